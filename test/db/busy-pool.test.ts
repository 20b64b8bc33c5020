import { useTestDatabase } from '../support/postgres';

// Under load every connection of the pool can be busy for seconds (the benchmark's thousand
// sends, fifty replies a second). A transaction that waits its turn must start when one is
// free, not fail after Prisma's default two seconds: an inbound SMS webhook that failed so
// answered 500, and Twilio does not retry it.

const db = useTestDatabase('busy_pool');

test('a transaction waits for a busy pool instead of failing after two seconds', async () => {
  // More holders than the pool has connections, each busy for 3 s.
  const holders = Array.from({ length: 12 }, () =>
    db.prisma.$transaction((tx) => tx.$executeRaw`SELECT pg_sleep(3)`, { maxWait: 20_000, timeout: 20_000 }),
  );
  await new Promise((resolve) => setTimeout(resolve, 200));
  const started = Date.now();
  const answer = await db.prisma.$transaction((tx) => tx.$queryRaw<[{ one: number }]>`SELECT 1 AS one`);
  expect(answer).toEqual([{ one: 1 }]);
  expect(Date.now() - started).toBeGreaterThan(2_000);
  await Promise.all(holders);
});
