import { createHash, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Client, DatabaseError } from 'pg';

// `prisma migrate deploy` needs Prisma's native schema engine, which cannot be downloaded
// everywhere. This applies the same `prisma/migrations/<name>/migration.sql` files and keeps
// `_prisma_migrations` exactly as Prisma does, so either tool can take over from the other.

export interface ApplyMigrationsOptions {
  migrationsDir?: string;
  log?: (line: string) => void;
}

const DEFAULT_MIGRATIONS_DIR = path.resolve(__dirname, '..', 'prisma', 'migrations');

// The key Prisma's schema engine locks on: holding it also keeps a concurrent
// `prisma migrate deploy` out, not only another copy of this function.
const PRISMA_ADVISORY_LOCK_KEY = 72707369;
const LOCK_WAIT = '60s';

// Prisma's own DDL (schema-engine, PostgreSQL flavour); IF NOT EXISTS because we check
// under the advisory lock rather than by introspection.
const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
);`;

interface LocalMigration {
  name: string;
  script: string;
  checksum: string;
}

interface MigrationRow {
  migration_name: string;
  checksum: string;
  started_at: Date;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

export async function applyMigrations(
  databaseUrl: string,
  options: ApplyMigrationsOptions = {},
): Promise<{ applied: string[] }> {
  const log = options.log ?? (() => {});
  const migrations = await readMigrations(options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR);
  const client = await connectCreatingDatabase(databaseUrl, log);
  try {
    await acquireLock(client, log);
    await client.query(CREATE_MIGRATIONS_TABLE);
    const { rows } = await client.query<MigrationRow>(
      'SELECT migration_name, checksum, started_at, finished_at, rolled_back_at FROM _prisma_migrations ORDER BY started_at',
    );
    const pending = pendingMigrations(migrations, rows, log);
    for (const migration of pending) {
      log(`applying migration ${migration.name}`);
      await applyOne(client, migration);
    }
    if (pending.length === 0) log('database is up to date');
    return { applied: pending.map((m) => m.name) };
  } finally {
    // Ending the session releases the advisory lock too.
    await client.end();
  }
}

function checksumOf(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function readMigrations(migrationsDir: string): Promise<LocalMigration[]> {
  const entries = await fs.readdir(migrationsDir, { withFileTypes: true });
  // Prisma orders migrations by folder name; the timestamp prefix makes that chronological.
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const file = path.join(migrationsDir, name, 'migration.sql');
      const bytes = await fs.readFile(file).catch((err: NodeJS.ErrnoException) => {
        throw new Error(`migration ${name} has no readable migration.sql (${file}): ${err.message}`);
      });
      return { name, script: bytes.toString('utf8'), checksum: checksumOf(bytes) };
    }),
  );
}

// Git may check files out with other line endings than they were applied with; Prisma
// accepts the LF and CRLF variants of a script as unchanged, and so must we.
function matchesChecksum(script: string, checksum: string): boolean {
  const variants = [script, script.replace(/\r\n/g, '\n'), script.replace(/\n/g, '\r\n')];
  return variants.some((variant) => checksumOf(variant) === checksum);
}

function pendingMigrations(
  local: LocalMigration[],
  rows: MigrationRow[],
  log: (line: string) => void,
): LocalMigration[] {
  const failed = rows.find((r) => r.finished_at === null && r.rolled_back_at === null);
  if (failed) {
    throw new Error(
      `migration ${failed.migration_name} (started at ${failed.started_at.toISOString()}) is recorded as failed in ` +
        '_prisma_migrations, so no further migrations will be applied. Undo or complete its changes by hand, then ' +
        `mark it: \`prisma migrate resolve --rolled-back ${failed.migration_name}\` (it will be applied again) or ` +
        `\`prisma migrate resolve --applied ${failed.migration_name}\`; without the Prisma CLI, ` +
        `UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = '${failed.migration_name}' ` +
        'AND finished_at IS NULL. See https://pris.ly/d/migrate-resolve',
    );
  }

  // A rolled-back row does not count as applied: Prisma applies the migration again.
  const applied = new Map(
    rows.filter((r) => r.finished_at !== null && r.rolled_back_at === null).map((r) => [r.migration_name, r]),
  );
  const localNames = new Set(local.map((m) => m.name));
  for (const name of applied.keys()) {
    if (!localNames.has(name)) log(`migration ${name} is applied but not in the migrations folder (newer code?)`);
  }

  const pending: LocalMigration[] = [];
  for (const migration of local) {
    const row = applied.get(migration.name);
    if (!row) {
      pending.push(migration);
    } else if (!matchesChecksum(migration.script, row.checksum)) {
      throw new Error(
        `migration ${migration.name} was modified after it was applied (checksum in _prisma_migrations ` +
          `${row.checksum}, file ${migration.checksum}). Restore the original file and put the change in a new migration.`,
      );
    }
  }
  return pending;
}

async function applyOne(client: Client, migration: LocalMigration): Promise<void> {
  const id = randomUUID();
  await client.query('BEGIN');
  try {
    await client.query(
      'INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at) VALUES ($1, $2, $3, now())',
      [id, migration.checksum, migration.name],
    );
    // No parameters: pg then uses the simple-query protocol, which accepts a multi-statement script.
    await client.query(migration.script);
    await client.query(
      'UPDATE _prisma_migrations SET finished_at = clock_timestamp(), applied_steps_count = 1 WHERE id = $1',
      [id],
    );
    await client.query('COMMIT');
  } catch (err) {
    // If the connection itself broke, the server has discarded the transaction already; the
    // script's error is the one worth reporting.
    await client.query('ROLLBACK').catch(() => {});
    throw new Error(
      `migration ${migration.name} failed and was rolled back: ${describeSqlError(err, migration.script)}`,
      {
        cause: err,
      },
    );
  }
}

function describeSqlError(err: unknown, script: string): string {
  if (!(err instanceof DatabaseError)) return String(err);
  const offset = Number(err.position);
  if (!Number.isInteger(offset) || offset < 1) return err.message;
  const line = script.slice(0, offset - 1).split('\n').length;
  return `${err.message} (migration.sql line ${line})`;
}

async function acquireLock(client: Client, log: (line: string) => void): Promise<void> {
  const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
    PRISMA_ADVISORY_LOCK_KEY,
  ]);
  if (rows[0].locked) return;
  log('another process is applying migrations; waiting for it');
  await client.query(`SET lock_timeout = '${LOCK_WAIT}'`);
  try {
    await client.query('SELECT pg_advisory_lock($1)', [PRISMA_ADVISORY_LOCK_KEY]);
  } catch (err) {
    if (err instanceof DatabaseError && err.code === '55P03') {
      throw new Error(
        `timed out after ${LOCK_WAIT} waiting for the migration lock (pg_advisory_lock(${PRISMA_ADVISORY_LOCK_KEY})) ` +
          'held by another process',
        { cause: err },
      );
    }
    throw err;
  }
  await client.query('RESET lock_timeout');
}

// A user-provided server may have an empty cluster; creating the database spares a manual step.
async function connectCreatingDatabase(databaseUrl: string, log: (line: string) => void): Promise<Client> {
  try {
    return await connect(databaseUrl);
  } catch (err) {
    if (!(err instanceof DatabaseError && err.code === '3D000')) throw err;
  }
  const url = new URL(databaseUrl);
  const database = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres';
  const admin = await connect(url.toString());
  try {
    log(`creating database ${database}`);
    await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(database)}`);
  } catch (err) {
    // Another process starting at the same moment may have created it first.
    const raced = err instanceof DatabaseError && (err.code === '42P04' || err.code === '23505');
    if (!raced) throw err;
  } finally {
    await admin.end();
  }
  return connect(databaseUrl);
}

async function connect(connectionString: string): Promise<Client> {
  const client = new Client({ connectionString });
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => {});
    throw err;
  }
  return client;
}
