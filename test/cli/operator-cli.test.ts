import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { createPrismaClient, type PrismaClient } from '../../db/client';
import { practiceForApiKey } from '../../services/api-keys';
import { createTestDatabase } from '../support/postgres';

// The operator CLI as operators run it: a process, its output and its exit code.

const ROOT = path.resolve(__dirname, '..', '..');
let databaseUrl: string;
let drop: () => Promise<void>;
let prisma: PrismaClient;

beforeAll(async () => {
  const database = await createTestDatabase('cli');
  databaseUrl = database.url;
  drop = database.drop;
  prisma = createPrismaClient(databaseUrl);
});
afterAll(async () => {
  await prisma?.$disconnect();
  await drop?.();
});

function cli(...args: string[]) {
  const result = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['cli/main.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl },
    encoding: 'utf8',
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('practice create, apikey create and apikey revoke', async () => {
  const created = cli(
    'practice',
    'create',
    '--id',
    'studio',
    '--name',
    'Studio Verdi',
    '--sms-from',
    '+393471234000',
    '--time-zone',
    'Europe/Rome',
    '--sender-name',
    'StudioV',
  );
  expect(created).toMatchObject({ code: 0, stderr: '' });
  expect(created.stdout).toContain('Created practice "studio"');
  expect(await prisma.practice.findUniqueOrThrow({ where: { id: 'studio' } })).toMatchObject({
    smsFrom: '+393471234000',
    senderName: 'StudioV',
    timeZone: 'Europe/Rome',
    reminderPolicy: [
      { before: 'P1D', channel: 'sms' },
      { before: 'PT2H', channel: 'sms' },
    ],
  });

  const keyed = cli('apikey', 'create', '--practice', 'studio');
  expect(keyed.code).toBe(0);
  const key = keyed.stdout.split('\n')[0];
  expect(key).toMatch(/^ark_[0-9a-f]{8}_\S+$/);
  expect((await practiceForApiKey(prisma, key))?.id).toBe('studio');
  const stored = await prisma.apiKey.findFirstOrThrow({ where: { practiceId: 'studio' } });
  expect(stored.hash).not.toContain(key);
  expect(key.startsWith(stored.prefix)).toBe(true);

  const revoked = cli('apikey', 'revoke', '--key-prefix', stored.prefix);
  expect(revoked.code).toBe(0);
  expect(await practiceForApiKey(prisma, key)).toBeNull();
});

test('bad input exits 1 with a clear message naming the problem, and writes nothing', async () => {
  const before = await prisma.practice.count();
  const bad = cli(
    'practice',
    'create',
    '--id',
    'Bad Id',
    '--name',
    'X',
    '--sms-from',
    '12345',
    '--time-zone',
    'Mars/Base',
  );
  expect(bad.code).toBe(1);
  expect(bad.stderr).toContain('--id: must be lower-case letters');
  expect(bad.stderr).toContain('--sms-from: must be an E.164 number');
  expect(bad.stderr).toContain('--time-zone: must be an IANA time zone');
  expect(bad.stderr).not.toMatch(/\n\s+at /);
  expect(await prisma.practice.count()).toBe(before);

  const missing = cli('practice', 'create', '--name', 'X');
  expect(missing.code).toBe(1);
  expect(missing.stderr).toContain('--id is required.');

  const unknownPractice = cli('apikey', 'create', '--practice', 'nope');
  expect(unknownPractice).toMatchObject({ code: 1 });
  expect(unknownPractice.stderr.trim()).toBe('No practice with id "nope".');

  const unknownCommand = cli('practice', 'delete');
  expect(unknownCommand.code).toBe(1);
  expect(unknownCommand.stderr).toContain('Unknown command "practice delete".');
});
