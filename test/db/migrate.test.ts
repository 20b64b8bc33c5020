import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { applyMigrations } from '../../db/migrate';

// Runs applyMigrations against the real PostgreSQL globalSetup starts. Each test uses a
// database that does not exist yet, which applyMigrations must create itself.

const MIGRATIONS_DIR = path.resolve(__dirname, '..', '..', 'prisma', 'migrations');
const created: string[] = [];
const tempDirs: string[] = [];

function adminUrl(): string {
  const url = process.env.TEST_PG_ADMIN_URL;
  if (!url) throw new Error('TEST_PG_ADMIN_URL is unset: run the tests through jest (globalSetup starts PostgreSQL).');
  return url;
}

function newDatabaseUrl(): string {
  const name = `test_migrate_${randomBytes(6).toString('hex')}`;
  created.push(name);
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

async function query<T extends object>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

async function localMigrations(dir = MIGRATIONS_DIR): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

async function copyOfMigrations(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ar-migrations-'));
  tempDirs.push(dir);
  await fs.cp(MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

async function tables(url: string): Promise<string[]> {
  const rows = await query<{ table_name: string }>(
    url,
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
  );
  return rows.map((r) => r.table_name);
}

afterAll(async () => {
  for (const name of created) await query(adminUrl(), `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  for (const dir of tempDirs) await fs.rm(dir, { recursive: true, force: true });
});

test('creates the database, applies every migration once, and does nothing the second time', async () => {
  const url = newDatabaseUrl();
  const all = await localMigrations();
  expect(all.length).toBeGreaterThan(0);

  expect(await applyMigrations(url)).toEqual({ applied: all });
  const tablesAfterFirst = await tables(url);
  expect(tablesAfterFirst).toEqual(expect.arrayContaining(['_prisma_migrations', 'practices', 'messages']));

  expect(await applyMigrations(url)).toEqual({ applied: [] });
  expect(await tables(url)).toEqual(tablesAfterFirst);
  const rows = await query<{ migration_name: string }>(url, 'SELECT migration_name FROM _prisma_migrations');
  expect(rows.map((r) => r.migration_name).sort()).toEqual(all);
});

test('keeps _prisma_migrations exactly as prisma migrate deploy does', async () => {
  const url = newDatabaseUrl();
  await applyMigrations(url);

  // The table prisma's schema engine creates, column for column.
  const columns = await query<Record<string, unknown>>(
    url,
    `SELECT column_name, data_type, character_maximum_length AS length, is_nullable, column_default
       FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
  );
  expect(columns).toEqual([
    { column_name: 'id', data_type: 'character varying', length: 36, is_nullable: 'NO', column_default: null },
    { column_name: 'checksum', data_type: 'character varying', length: 64, is_nullable: 'NO', column_default: null },
    {
      column_name: 'finished_at',
      data_type: 'timestamp with time zone',
      length: null,
      is_nullable: 'YES',
      column_default: null,
    },
    {
      column_name: 'migration_name',
      data_type: 'character varying',
      length: 255,
      is_nullable: 'NO',
      column_default: null,
    },
    { column_name: 'logs', data_type: 'text', length: null, is_nullable: 'YES', column_default: null },
    {
      column_name: 'rolled_back_at',
      data_type: 'timestamp with time zone',
      length: null,
      is_nullable: 'YES',
      column_default: null,
    },
    {
      column_name: 'started_at',
      data_type: 'timestamp with time zone',
      length: null,
      is_nullable: 'NO',
      column_default: 'now()',
    },
    { column_name: 'applied_steps_count', data_type: 'integer', length: null, is_nullable: 'NO', column_default: '0' },
  ]);
  const [primaryKey] = await query<{ columns: string }>(
    url,
    `SELECT string_agg(a.attname, ',') AS columns FROM pg_index i
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
      WHERE i.indrelid = '_prisma_migrations'::regclass AND i.indisprimary`,
  );
  expect(primaryKey.columns).toBe('id');

  const rows = await query<{
    id: string;
    checksum: string;
    migration_name: string;
    started_at: Date;
    finished_at: Date | null;
    rolled_back_at: Date | null;
    logs: string | null;
    applied_steps_count: number;
  }>(url, 'SELECT * FROM _prisma_migrations ORDER BY migration_name');
  const names = await localMigrations();
  expect(rows.map((r) => r.migration_name)).toEqual(names);
  for (const row of rows) {
    const bytes = await fs.readFile(path.join(MIGRATIONS_DIR, row.migration_name, 'migration.sql'));
    expect(row.checksum).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(row.finished_at).toBeInstanceOf(Date);
    expect(row.finished_at!.getTime()).toBeGreaterThanOrEqual(row.started_at.getTime());
    expect(row.applied_steps_count).toBe(1);
    expect(row.rolled_back_at).toBeNull();
    expect(row.logs).toBeNull();
  }
});

test('refuses a migration that was modified after it was applied, but not a mere line-ending change', async () => {
  const dir = await copyOfMigrations();
  const url = newDatabaseUrl();
  await applyMigrations(url, { migrationsDir: dir });
  const [first] = await localMigrations(dir);
  const file = path.join(dir, first, 'migration.sql');
  const original = await fs.readFile(file, 'utf8');

  // Git may check the file out with CRLF; prisma treats that as unchanged, and so do we.
  await fs.writeFile(file, original.replace(/\n/g, '\r\n'));
  expect(await applyMigrations(url, { migrationsDir: dir })).toEqual({ applied: [] });

  await fs.writeFile(file, `${original}\nALTER TABLE "practices" ADD COLUMN "sneaky" TEXT;\n`);
  await expect(applyMigrations(url, { migrationsDir: dir })).rejects.toThrow(
    `migration ${first} was modified after it was applied`,
  );
  const columns = await query(url, "SELECT 1 FROM information_schema.columns WHERE column_name = 'sneaky'");
  expect(columns).toHaveLength(0);
});

test('a failing migration rolls back completely and names itself; fixed, it applies', async () => {
  const dir = await copyOfMigrations();
  const url = newDatabaseUrl();
  await applyMigrations(url, { migrationsDir: dir });

  const broken = '29991231000000_broken';
  await fs.mkdir(path.join(dir, broken));
  const file = path.join(dir, broken, 'migration.sql');
  await fs.writeFile(
    file,
    '-- CreateTable\nCREATE TABLE "half_done" ("id" INTEGER NOT NULL);\n\nINSERT INTO "no_such_table" VALUES (1);\n',
  );
  await expect(applyMigrations(url, { migrationsDir: dir })).rejects.toThrow(
    /migration 29991231000000_broken failed and was rolled back: relation "no_such_table" does not exist \(migration.sql line 4\)/,
  );
  expect(await tables(url)).not.toContain('half_done');
  const recorded = await query<{ migration_name: string }>(url, 'SELECT migration_name FROM _prisma_migrations');
  expect(recorded.map((r) => r.migration_name)).not.toContain(broken);

  await fs.writeFile(file, '-- CreateTable\nCREATE TABLE "half_done" ("id" INTEGER NOT NULL);\n');
  expect(await applyMigrations(url, { migrationsDir: dir })).toEqual({ applied: [broken] });
  expect(await tables(url)).toContain('half_done');
});

test('stops at a migration prisma recorded as failed and says how to resolve it', async () => {
  const url = newDatabaseUrl();
  await applyMigrations(url);
  // What `prisma migrate deploy` leaves behind when a script fails half-way.
  await query(
    url,
    `INSERT INTO _prisma_migrations (id, checksum, migration_name, logs)
     VALUES (gen_random_uuid()::text, repeat('0', 64), '29991231000000_failed', 'syntax error')`,
  );
  const attempt = applyMigrations(url);
  await expect(attempt).rejects.toThrow(/migration 29991231000000_failed .* is recorded as failed/);
  await expect(attempt).rejects.toThrow(/prisma migrate resolve --rolled-back 29991231000000_failed/);

  // Once resolved as rolled back, it no longer blocks.
  await query(
    url,
    "UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = '29991231000000_failed'",
  );
  expect(await applyMigrations(url)).toEqual({ applied: [] });
});

test('an API and a worker starting at once apply each migration exactly once', async () => {
  const url = newDatabaseUrl();
  const results = await Promise.all([applyMigrations(url), applyMigrations(url), applyMigrations(url)]);
  const all = await localMigrations();
  expect(results.flatMap((r) => r.applied).sort()).toEqual(all);
  const rows = await query<{ migration_name: string }>(url, 'SELECT migration_name FROM _prisma_migrations');
  expect(rows.map((r) => r.migration_name).sort()).toEqual(all);
});
