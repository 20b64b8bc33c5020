import { createPrismaClient } from '../../db/client';
import { chargeSms, refundSms, smsUsage } from '../../db/sms-budget';
import { createOwnPractice } from '../support/practices';
import { useTestDatabase } from '../support/postgres';

// The SMS budget's bookkeeping against a real PostgreSQL: what a charge counts, that a message
// is charged once, that concurrent charges never overspend, and the month in the practice's zone.

const db = useTestDatabase('sms_budget');

/** A practice of its own per test, so usage never mixes. */
async function practice(smsMonthlyBudget: number | null, timeZone = 'Europe/Rome'): Promise<string> {
  return (await createOwnPractice(db.prisma, { smsMonthlyBudget, timeZone })).id;
}

/** An outbound SMS row as the send activity claims it. */
async function message(practiceId: string): Promise<string> {
  const row = await db.prisma.message.create({
    data: {
      practiceId,
      direction: 'outbound',
      channel: 'sms',
      to: '+393471234567',
      from: '+15005550006',
      body: 'Hi Maria',
      status: 'pending',
    },
  });
  return row.id;
}

const NOV = new Date('2026-11-15T10:00:00Z');

const usedIn = async (practiceId: string, month: string) =>
  (await db.prisma.smsUsage.findUnique({ where: { practiceId_month: { practiceId, month } } }))?.segments ?? 0;

test("a charge counts the message's segments in the month and records them on the row", async () => {
  const p = await practice(100);
  const [a, b] = [await message(p), await message(p)];
  expect(await chargeSms(db.prisma, { messageId: a, segments: 2, at: NOV })).toEqual({
    outcome: 'charged',
    segments: 2,
  });
  expect(await chargeSms(db.prisma, { messageId: b, segments: 3, at: NOV })).toEqual({
    outcome: 'charged',
    segments: 3,
  });
  expect(await usedIn(p, '2026-11')).toBe(5);
  expect((await db.prisma.message.findUniqueOrThrow({ where: { id: b } })).budgetSegments).toBe(3);
  expect(await smsUsage(db.prisma, p, NOV)).toEqual({ month: '2026-11', segments: 5, budget: 100, remaining: 95 });
});

test('charging the same message again (a retried or replayed attempt) keeps its first charge', async () => {
  const p = await practice(100);
  const m = await message(p);
  await chargeSms(db.prisma, { messageId: m, segments: 2, at: NOV });
  // Recomposed with another segment count since: the first charge stands.
  expect(await chargeSms(db.prisma, { messageId: m, segments: 3, at: NOV })).toEqual({
    outcome: 'charged',
    segments: 2,
  });
  await Promise.all([1, 2, 3].map(() => chargeSms(db.prisma, { messageId: m, segments: 2, at: NOV })));
  expect(await usedIn(p, '2026-11')).toBe(2);
});

test('20 concurrent one-segment charges against a budget of 10: exactly 10 succeed', async () => {
  const p = await practice(10);
  const ids = await Promise.all(Array.from({ length: 20 }, () => message(p)));
  // Several clients, so the charges really run side by side on separate connections.
  const clients = Array.from({ length: 4 }, () => createPrismaClient(db.url));
  try {
    const results = await Promise.all(
      ids.map((messageId, i) => chargeSms(clients[i % clients.length], { messageId, segments: 1, at: NOV })),
    );
    expect(results.filter((r) => r.outcome === 'charged')).toHaveLength(10);
    expect(results.filter((r) => r.outcome === 'exhausted')).toHaveLength(10);
  } finally {
    await Promise.all(clients.map((c) => c.$disconnect()));
  }
  expect(await usedIn(p, '2026-11')).toBe(10);
  expect(await db.prisma.message.count({ where: { practiceId: p, budgetSegments: 1 } })).toBe(10);
  expect(await db.prisma.message.count({ where: { practiceId: p, budgetSegments: null } })).toBe(10);
});

test('a charge that would go over is refused whole, and says how much was used', async () => {
  const p = await practice(5);
  await chargeSms(db.prisma, { messageId: await message(p), segments: 4, at: NOV });
  const over = await message(p);
  expect(await chargeSms(db.prisma, { messageId: over, segments: 2, at: NOV })).toEqual({
    outcome: 'exhausted',
    month: '2026-11',
    budget: 5,
    used: 4,
  });
  expect((await db.prisma.message.findUniqueOrThrow({ where: { id: over } })).budgetSegments).toBeNull();
  // What fits still goes.
  expect(await chargeSms(db.prisma, { messageId: await message(p), segments: 1, at: NOV })).toMatchObject({
    outcome: 'charged',
  });
  expect(await smsUsage(db.prisma, p, NOV)).toEqual({ month: '2026-11', segments: 5, budget: 5, remaining: 0 });
});

test('a message larger than the whole budget is refused even in an unused month', async () => {
  const p = await practice(2);
  expect(await chargeSms(db.prisma, { messageId: await message(p), segments: 3, at: NOV })).toMatchObject({
    outcome: 'exhausted',
    used: 0,
  });
  expect(await db.prisma.smsUsage.count({ where: { practiceId: p } })).toBe(0);
});

test("the month rolls over at the practice's midnight: November's usage does not block December", async () => {
  const p = await practice(2, 'Europe/Rome');
  const lastOfNovember = new Date('2026-11-30T22:59:00Z'); // 23:59 in Rome
  const firstOfDecember = new Date('2026-11-30T23:01:00Z'); // 00:01 in Rome, still November in UTC
  await chargeSms(db.prisma, { messageId: await message(p), segments: 2, at: lastOfNovember });
  expect(await chargeSms(db.prisma, { messageId: await message(p), segments: 1, at: lastOfNovember })).toMatchObject({
    outcome: 'exhausted',
  });
  expect(await chargeSms(db.prisma, { messageId: await message(p), segments: 2, at: firstOfDecember })).toEqual({
    outcome: 'charged',
    segments: 2,
  });
  expect([await usedIn(p, '2026-11'), await usedIn(p, '2026-12')]).toEqual([2, 2]);
  expect(await smsUsage(db.prisma, p, firstOfDecember)).toMatchObject({ month: '2026-12', segments: 2, remaining: 0 });
});

test('no budget: every charge is counted and none is refused', async () => {
  const p = await practice(null);
  for (let i = 0; i < 3; i++) {
    expect(await chargeSms(db.prisma, { messageId: await message(p), segments: 10_000, at: NOV })).toMatchObject({
      outcome: 'charged',
    });
  }
  expect(await smsUsage(db.prisma, p, NOV)).toEqual({
    month: '2026-11',
    segments: 30_000,
    budget: null,
    remaining: null,
  });
});

test('a refund gives the charge back once, and the message may be charged again', async () => {
  const p = await practice(3);
  const m = await message(p);
  await chargeSms(db.prisma, { messageId: m, segments: 3, at: NOV });
  expect(await refundSms(db.prisma, m, NOV)).toBe(3);
  expect(await refundSms(db.prisma, m, NOV)).toBe(0);
  expect(await usedIn(p, '2026-11')).toBe(0);
  expect((await db.prisma.message.findUniqueOrThrow({ where: { id: m } })).budgetSegments).toBeNull();
  expect(await chargeSms(db.prisma, { messageId: m, segments: 3, at: NOV })).toMatchObject({ outcome: 'charged' });
  expect(await usedIn(p, '2026-11')).toBe(3);
});

test('a practice with no usage yet reads zero', async () => {
  const p = await practice(50, 'America/New_York');
  expect(await smsUsage(db.prisma, p, new Date('2026-12-01T03:00:00Z'))).toEqual({
    month: '2026-11',
    segments: 0,
    budget: 50,
    remaining: 50,
  });
});
