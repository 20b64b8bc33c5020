import type { Prisma, PrismaClient } from './client';
import { smsUsage as usageOf, usageMonth, type SmsUsage } from '../domain/sms-budget';

// The practice's SMS budget: segments used per month (sms_usage, the month in the practice's
// time zone) against practices.sms_monthly_budget (null: no limit, usage still counted).
//
// A message is charged at most once: messages.budget_segments holds what it was charged, and
// every charge and refund locks the message row first, so retried or replayed attempts of one
// send, even concurrent ones, see the charge the first one made. Sends of different messages
// meet only on the month's usage row, which one conditional upsert raises only while the sum
// stays within the budget: PostgreSQL takes the row's lock and evaluates the condition on its
// latest committed value, so concurrent sends can never overspend.

/** What charging a message decided. */
export type SmsCharge =
  /** The message holds a charge of `segments` (made now, or by an earlier attempt). */
  | { outcome: 'charged'; segments: number }
  /** Charging it would take the month's usage (`used`) over the practice's budget: nothing was charged. */
  | { outcome: 'exhausted'; month: string; budget: number; used: number };

interface LockedMessage {
  practiceId: string;
  timeZone: string;
  budget: number | null;
  charged: number | null;
}

/** Locks the message row for the transaction and reads its charge with its practice's budget settings. */
async function lockMessage(tx: Prisma.TransactionClient, messageId: string): Promise<LockedMessage> {
  const [row] = await tx.$queryRaw<LockedMessage[]>`
    SELECT m.practice_id AS "practiceId", p.time_zone AS "timeZone",
           p.sms_monthly_budget AS "budget", m.budget_segments AS "charged"
    FROM messages m JOIN practices p ON p.id = m.practice_id
    WHERE m.id = ${messageId}::uuid
    FOR UPDATE OF m`;
  if (!row) throw new Error(`No message ${messageId} to charge to the SMS budget.`);
  return row;
}

/**
 * Charges `segments` to the message's practice for the month of `at`, unless the message
 * already holds a charge (then that one stands, even if its text has since been recomposed
 * with another segment count). Refused, with nothing written, when the practice has a
 * budget and the month's usage plus `segments` would exceed it.
 */
export async function chargeSms(
  prisma: PrismaClient,
  charge: { messageId: string; segments: number; at: Date },
): Promise<SmsCharge> {
  return prisma.$transaction(async (tx) => {
    const message = await lockMessage(tx, charge.messageId);
    if (message.charged !== null) return { outcome: 'charged', segments: message.charged };
    const month = usageMonth(charge.at, message.timeZone);
    const { budget } = message;
    // The first send of a month inserts the row; a later one adds to it. The WHERE of the
    // SELECT guards the insert, the WHERE of the update guards the addition.
    const raised = await tx.$queryRaw<Array<{ segments: number }>>`
      INSERT INTO sms_usage (practice_id, month, segments, updated_at)
      SELECT ${message.practiceId}, ${month}, ${charge.segments}::int, now()
      WHERE ${budget}::int IS NULL OR ${charge.segments}::int <= ${budget}::int
      ON CONFLICT (practice_id, month) DO UPDATE
        SET segments = sms_usage.segments + EXCLUDED.segments, updated_at = now()
        WHERE ${budget}::int IS NULL OR sms_usage.segments + EXCLUDED.segments <= ${budget}::int
      RETURNING segments`;
    if (raised.length === 0) {
      const usage = await tx.smsUsage.findUnique({
        where: { practiceId_month: { practiceId: message.practiceId, month } },
      });
      return { outcome: 'exhausted', month, budget: budget ?? 0, used: usage?.segments ?? 0 };
    }
    await tx.message.update({ where: { id: charge.messageId }, data: { budgetSegments: charge.segments } });
    return { outcome: 'charged', segments: charge.segments };
  });
}

/**
 * Gives the message's charge back (a send the provider provably never took). Counted off
 * the month of `at`, which is the charge's own month unless the month turned over between
 * the charge and the refusal; never below zero. Returns the segments given back (0 when the
 * message held no charge, so a repeated refund changes nothing).
 */
export async function refundSms(prisma: PrismaClient, messageId: string, at: Date): Promise<number> {
  return prisma.$transaction(async (tx) => {
    const message = await lockMessage(tx, messageId);
    if (message.charged === null) return 0;
    const month = usageMonth(at, message.timeZone);
    await tx.$executeRaw`
      UPDATE sms_usage SET segments = GREATEST(segments - ${message.charged}::int, 0), updated_at = now()
      WHERE practice_id = ${message.practiceId} AND month = ${month}`;
    await tx.message.update({ where: { id: messageId }, data: { budgetSegments: null } });
    return message.charged;
  });
}

/** A practice's SMS usage in the month of `at`, for its settings view. */

export async function smsUsage(db: Prisma.TransactionClient, practiceId: string, at: Date): Promise<SmsUsage> {
  const practice = await db.practice.findUniqueOrThrow({
    where: { id: practiceId },
    select: { timeZone: true, smsMonthlyBudget: true },
  });
  const month = usageMonth(at, practice.timeZone);
  const usage = await db.smsUsage.findUnique({ where: { practiceId_month: { practiceId, month } } });
  return usageOf(month, usage?.segments ?? 0, practice.smsMonthlyBudget);
}
