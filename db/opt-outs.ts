import type { Prisma } from './client';

// A number's opt-out is per practice and per channel (SMS STOP does not silence email).
// Each opt-out period is one row, closed by an opt-in, so staff can see when and by which
// keyword a client left and came back.
//
// Keywords take effect in the order they were received (`at`, the inbound message's receive
// time), never in the order they happen to be recorded: a STOP or START dated before the
// latest change of state changes nothing.

/** A client or an open transaction: the inbound webhook records opt-outs with its message. */
type Db = Prisma.TransactionClient;

/** The number's open opt-out period, or null when it may be texted. */
export async function activeOptOut(db: Db, practiceId: string, phone: string) {
  return db.optOut.findFirst({
    where: { practiceId, phone, channel: 'sms', optedInAt: null },
    orderBy: { optedOutAt: 'desc' },
  });
}

/** Every opt-out period of the number, oldest first: when and by which keyword it left and came back. */
export async function optOutHistory(db: Db, practiceId: string, phone: string) {
  return db.optOut.findMany({
    where: { practiceId, phone, channel: 'sms' },
    orderBy: [{ optedOutAt: 'asc' }, { id: 'asc' }],
  });
}

export async function isOptedOut(db: Db, practiceId: string, phone: string): Promise<boolean> {
  return (await activeOptOut(db, practiceId, phone)) !== null;
}

/**
 * Idempotent: a second STOP while opted out keeps the first row (and its keyword and time).
 * A STOP received before the latest opt-in is superseded by it and changes nothing.
 * Returns whether the number was opted out by this call.
 */
export async function recordOptOut(
  db: Db,
  practiceId: string,
  phone: string,
  keyword: string,
  at: Date,
): Promise<boolean> {
  if (await isOptedOut(db, practiceId, phone)) return false;
  const optedInSince = await db.optOut.findFirst({
    where: { practiceId, phone, channel: 'sms', optedInAt: { gt: at } },
  });
  if (optedInSince) return false;
  await db.optOut.create({ data: { practiceId, phone, channel: 'sms', keyword, optedOutAt: at } });
  return true;
}

/**
 * Closes the open opt-out, unless it began after this START was received (the later STOP stands).
 * Returns whether the number was opted back in by this call.
 */
export async function recordOptIn(
  db: Db,
  practiceId: string,
  phone: string,
  keyword: string,
  at: Date,
): Promise<boolean> {
  const { count } = await db.optOut.updateMany({
    where: { practiceId, phone, channel: 'sms', optedInAt: null, optedOutAt: { lte: at } },
    data: { optedInAt: at, optInKeyword: keyword },
  });
  return count > 0;
}
