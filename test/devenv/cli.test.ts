import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { createPrismaClient } from '../../db/client';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { startForeignListener, type ForeignListener } from './foreign-listener';

// The operator CLI (cli/main.ts) reads only DATABASE_URL; devenv/cli.ts, which `npm run cli`
// and bin/appointment-reminders run, supplies the development database when it is unset.

const ROOT = path.resolve(__dirname, '..', '..');
let database: TestDatabase;
let foreign: ForeignListener;

beforeAll(async () => {
  database = await createTestDatabase('devenv_cli');
  foreign = await startForeignListener();
});
afterAll(async () => {
  await foreign?.stop();
  await database?.drop();
});

function run(script: string, args: string[], env: Record<string, string>) {
  const inherited = { ...process.env };
  delete inherited.DATABASE_URL;
  delete inherited.DEV_POSTGRES_PORT;
  const result = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [script, ...args], {
    cwd: ROOT,
    env: { ...inherited, ...env },
    encoding: 'utf8',
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('the product CLI alone, without DATABASE_URL: one line saying so', () => {
  expect(run('cli/main.ts', ['apikey', 'create', '--practice', 'demo'], {})).toEqual({
    code: 1,
    stdout: '',
    stderr:
      'DATABASE_URL is not set: set it to the PostgreSQL database to manage ' +
      '(`npm run cli -- …` sets it to the embedded development database).\n',
  });
});

test('through devenv/cli.ts a configured DATABASE_URL is used as it is', async () => {
  const created = run(
    'devenv/cli.ts',
    ['practice', 'create', '--id', 'wrapped', '--name', 'Wrapped', '--sms-from', '+393471234000'],
    {
      DATABASE_URL: database.url,
    },
  );
  expect(created).toMatchObject({ code: 0, stderr: '' });
  const prisma = createPrismaClient(database.url);
  try {
    expect(await prisma.practice.findUnique({ where: { id: 'wrapped' } })).not.toBeNull();
  } finally {
    await prisma.$disconnect();
  }
});

test('through devenv/cli.ts a foreign server on DEV_POSTGRES_PORT is refused, never used', () => {
  const refused = run('devenv/cli.ts', ['apikey', 'create', '--practice', 'demo'], {
    DEV_POSTGRES_PORT: String(foreign.port),
  });
  expect(refused.code).toBe(1);
  expect(refused.stdout).toBe('');
  expect(refused.stderr).toMatch(
    new RegExp(
      `^Port ${foreign.port}, wanted for the embedded PostgreSQL, is already in use by another process .*DATABASE_URL to use your own database\\.\\n$`,
    ),
  );
});

test('a usage error needs no database', () => {
  const usage = run('devenv/cli.ts', ['practice', 'delete'], { DEV_POSTGRES_PORT: String(foreign.port) });
  expect(usage.code).toBe(1);
  expect(usage.stderr).toMatch(/^Unknown command "practice delete"\.\n\nUsage: npm run cli/);
});
