import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient, type Prisma } from '../generated/prisma/client';

export type { Prisma, PrismaClient };

// Prisma 7 runs its query compiler in Wasm and talks to PostgreSQL through the pure-JS `pg`
// driver, so no native engine is needed at runtime.
export function createPrismaClient(databaseUrl: string): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl }) });
}
