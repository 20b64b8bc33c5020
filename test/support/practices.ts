import { randomBytes } from 'node:crypto';
import type { PrismaClient } from '../../db/client';
import { createPractice } from '../../services/practices';

let senders = 0;

/**
 * A practice of its own for one test, so its rows (usage, appointments, messages) never mix
 * with another test's: a random id and a sender number no other practice of this test file has.
 */
export async function createOwnPractice(
  prisma: PrismaClient,
  settings: { timeZone?: string; smsMonthlyBudget?: number | null; name?: string } = {},
): Promise<{ id: string; smsFrom: string }> {
  const id = `p-${randomBytes(4).toString('hex')}`;
  const smsFrom = `+1500555${1000 + senders++}`;
  await createPractice(prisma, { id, name: settings.name ?? 'Studio', smsFrom, timeZone: settings.timeZone ?? 'UTC' });
  // Written directly: a test may want a budget the API refuses (0, one already used up).
  if (settings.smsMonthlyBudget !== undefined) {
    await prisma.practice.update({ where: { id }, data: { smsMonthlyBudget: settings.smsMonthlyBudget } });
  }
  return { id, smsFrom };
}
