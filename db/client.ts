import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient, type Prisma } from '../generated/prisma/client';

export type { Prisma, PrismaClient };

/** How long a transaction waits for a connection of the pool before it fails. */
const TRANSACTION_MAX_WAIT_MS = 10_000;

/** How long a transaction may run, once started, before it is rolled back. */
const TRANSACTION_TIMEOUT_MS = 10_000;

// Prisma 7 runs its query compiler in Wasm and talks to PostgreSQL through the pure-JS `pg`
// driver, so no native engine is needed at runtime.
export function createPrismaClient(databaseUrl: string): PrismaClient {
  return new PrismaClient({
    adapter: new PrismaPg({ connectionString: databaseUrl }),
    // Prisma's defaults fail a transaction that waited 2 s for a connection, or ran 5 s: under
    // load every connection of the pool can be busy that long (the benchmark's replies at
    // 50/s), and an inbound SMS webhook failed so answered 500, which Twilio never retries.
    // Waiting is right: a webhook has 15 s, a send attempt longer.
    transactionOptions: { maxWait: TRANSACTION_MAX_WAIT_MS, timeout: TRANSACTION_TIMEOUT_MS },
  });
}
