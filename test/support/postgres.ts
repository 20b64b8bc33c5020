import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { createPrismaClient, type PrismaClient } from '../../db/client';
import { applyMigrations } from '../../db/migrate';

// Each test file gets a database of its own on the one server globalSetup starts, so files
// never see each other's rows and need no cleanup between them.

export interface TestDatabase {
  url: string;
  /** A plain function (no `this`): it can be kept apart from the object, e.g. for afterAll. */
  drop: () => Promise<void>;
}

export async function createTestDatabase(prefix: string): Promise<TestDatabase> {
  const adminUrl = process.env.TEST_PG_ADMIN_URL;
  if (!adminUrl) {
    throw new Error('TEST_PG_ADMIN_URL is unset: run the tests through jest (globalSetup starts PostgreSQL).');
  }
  // Lower-case and short: PostgreSQL folds unquoted names and truncates them at 63 bytes.
  const slug = prefix
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .slice(0, 30);
  const name = `test_${slug}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await withAdmin(adminUrl, (admin) => admin.query(`CREATE DATABASE ${admin.escapeIdentifier(name)}`));

  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const database = { url: url.toString(), drop: () => dropDatabase(adminUrl, name) };
  try {
    await applyMigrations(database.url);
  } catch (err) {
    await database.drop();
    throw err;
  }
  return database;
}

/**
 * A database of the test file's own with a Prisma client on it: made before the file's tests,
 * dropped after them. Call it at the top of the file; read `prisma` and `url` inside tests and
 * hooks.
 */
export function useTestDatabase(prefix: string): { readonly url: string; readonly prisma: PrismaClient } {
  let database: TestDatabase | undefined;
  let prisma: PrismaClient | undefined;
  beforeAll(async () => {
    database = await createTestDatabase(prefix);
    prisma = createPrismaClient(database.url);
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await database?.drop();
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useTestDatabase: read inside tests and hooks, once beforeAll has run.');
    return value;
  };
  return {
    get url() {
      return ready(database).url;
    },
    get prisma() {
      return ready(prisma);
    },
  };
}

async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  // FORCE terminates the sessions still open on it (a pool a test forgot to close).
  await withAdmin(adminUrl, (admin) =>
    admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(name)} WITH (FORCE)`),
  );
}

async function withAdmin<T>(adminUrl: string, work: (admin: Client) => Promise<T>): Promise<T> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}
