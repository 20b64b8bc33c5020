import type { PrismaClient } from './client';

// A number's opt-out is per practice and per channel (SMS STOP does not silence email).
// Each opt-out period is one row, closed by an opt-in, so staff can see when and by which
// keyword a client left and came back.

async function activeOptOut(prisma: PrismaClient, practiceId: string, phone: string) {
  return prisma.optOut.findFirst({
    where: { practiceId, phone, channel: 'sms', optedInAt: null },
    orderBy: { optedOutAt: 'desc' },
  });
}

export async function isOptedOut(prisma: PrismaClient, practiceId: string, phone: string): Promise<boolean> {
  return (await activeOptOut(prisma, practiceId, phone)) !== null;
}

/** Idempotent: a second STOP while opted out keeps the first row (and its keyword and time). */
export async function recordOptOut(
  prisma: PrismaClient,
  practiceId: string,
  phone: string,
  keyword: string,
  at: Date,
): Promise<void> {
  if (await isOptedOut(prisma, practiceId, phone)) return;
  await prisma.optOut.create({ data: { practiceId, phone, channel: 'sms', keyword, optedOutAt: at } });
}

export async function recordOptIn(
  prisma: PrismaClient,
  practiceId: string,
  phone: string,
  keyword: string,
  at: Date,
): Promise<void> {
  await prisma.optOut.updateMany({
    where: { practiceId, phone, channel: 'sms', optedInAt: null },
    data: { optedInAt: at, optInKeyword: keyword },
  });
}
