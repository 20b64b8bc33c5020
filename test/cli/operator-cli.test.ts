import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { DateTime } from 'luxon';
import { createPrismaClient, type PrismaClient } from '../../db/client';
import { practiceForApiKey } from '../../services/api-keys';
import { createPractice } from '../../services/practices';
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
  return cliWith({ DATABASE_URL: databaseUrl }, ...args);
}

function cliWith(env: Record<string, string | undefined>, ...args: string[]) {
  const result = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['cli/main.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
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
    '--locale',
    'it-it',
  );
  expect(created).toMatchObject({ code: 0, stderr: '' });
  expect(created.stdout).toContain('Created practice "studio"');
  expect(await prisma.practice.findUniqueOrThrow({ where: { id: 'studio' } })).toMatchObject({
    smsFrom: '+393471234000',
    senderName: 'StudioV',
    timeZone: 'Europe/Rome',
    locale: 'it-IT',
    reminderPolicy: [
      { before: 'P1D', channel: 'sms', recipients: 'client' },
      { before: 'PT2H', channel: 'sms', recipients: 'client' },
    ],
    quietHoursStart: '21:00',
    quietHoursEnd: '08:00',
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

describe('practice update and practice show', () => {
  beforeAll(async () => {
    await createPractice(prisma, { id: 'salon', name: 'Salon Blu', smsFrom: '+393471235000', timeZone: 'Europe/Rome' });
    await createPractice(prisma, { id: 'taken', name: 'Other', smsFrom: '+393471235001' });
  });

  test('changes every setting given, keeps the others, and prints the result', async () => {
    const updated = cli(
      'practice',
      'update',
      '--id',
      'salon',
      '--sender-name',
      'Salon+Blu',
      '--locale',
      'it-IT',
      '--reminder-policy',
      '[{"before":"P1D","channel":"sms","recipients":"both"},{"before":"PT3H","channel":"email"}]',
      '--quiet-hours',
      '20:00-08:30',
      '--template',
      'reminder_client.sms.it=A domani, {{clientFirstName}}!',
      '--template',
      'help.sms=Call {{practiceName}}',
      '--sms-monthly-budget',
      '800',
      '--opt-out-replies',
      'twilio',
      '--sms-from',
      '+393471235002',
    );
    expect(updated).toMatchObject({ code: 0, stderr: '' });
    expect(updated.stdout).toContain('Updated practice "salon".');
    expect(updated.stdout).toMatch(/Reminders\s+1 day before by sms to both; 3 hours before by email to client/);
    expect(updated.stdout).toMatch(/Quiet hours\s+20:00-08:30/);
    expect(updated.stdout).toMatch(/SMS budget\s+800 segments a month/);
    expect(updated.stdout).toContain('reminder_client.sms.it: A domani, {{clientFirstName}}!');
    expect(await prisma.practice.findUniqueOrThrow({ where: { id: 'salon' } })).toMatchObject({
      name: 'Salon Blu',
      smsFrom: '+393471235002',
      senderName: 'Salon+Blu',
      timeZone: 'Europe/Rome',
      quietHoursStart: '20:00',
      quietHoursEnd: '08:30',
      templates: { 'reminder_client.sms.it': 'A domani, {{clientFirstName}}!', 'help.sms': 'Call {{practiceName}}' },
      smsMonthlyBudget: 800,
      optOutReplies: 'twilio',
    });

    const cleared = cli(
      'practice',
      'update',
      '--id',
      'salon',
      '--quiet-hours',
      'off',
      '--sms-monthly-budget',
      'off',
      '--sender-name',
      '',
      '--template',
      'help.sms=',
    );
    expect(cleared).toMatchObject({ code: 0, stderr: '' });
    expect(await prisma.practice.findUniqueOrThrow({ where: { id: 'salon' } })).toMatchObject({
      senderName: null,
      quietHoursStart: null,
      quietHoursEnd: null,
      templates: { 'reminder_client.sms.it': 'A domani, {{clientFirstName}}!' },
      smsMonthlyBudget: null,
    });
  });

  test('practice show prints the settings and this month of SMS usage', async () => {
    await prisma.practice.update({ where: { id: 'salon' }, data: { smsMonthlyBudget: 100 } });
    const month = DateTime.now().setZone('Europe/Rome').toFormat('yyyy-MM');
    await prisma.smsUsage.create({ data: { practiceId: 'salon', month, segments: 42 } });
    const shown = cli('practice', 'show', '--id', 'salon');
    expect(shown).toMatchObject({ code: 0, stderr: '' });
    expect(shown.stdout).toContain('Practice "salon"');
    expect(shown.stdout).toMatch(/SMS sender\s+\+393471235002/);
    expect(shown.stdout).toMatch(/Locale\s+it-IT/);
    expect(shown.stdout).toMatch(/Quiet hours\s+off/);
    expect(shown.stdout).toMatch(/STOP\/START\s+answered by Twilio/);
    expect(shown.stdout).toMatch(new RegExp(`SMS used ${month}\\s+42 segments, 58 left`));
  });

  test('bad settings: one line per bad flag, exit 1, nothing written', async () => {
    const before = await prisma.practice.findUniqueOrThrow({ where: { id: 'salon' } });
    const syntax = cli(
      'practice',
      'update',
      '--id',
      'salon',
      '--quiet-hours',
      'nights',
      '--reminder-policy',
      '[{before:P1D}]',
      '--sms-monthly-budget',
      'lots',
      '--template',
      'no-equals-sign',
    );
    expect(syntax.code).toBe(1);
    expect(syntax.stderr.trim().split('\n')).toEqual([
      `--reminder-policy: must be JSON, e.g. '[{"before":"P1D","channel":"sms"}]'`,
      '--quiet-hours: must be HH:MM-HH:MM, e.g. 21:00-08:00, or off',
      '--sms-monthly-budget: must be a whole number of SMS segments, or off',
      '--template: "no-equals-sign" must be <key>=<text>',
    ]);

    const values = cli(
      'practice',
      'update',
      '--id',
      'salon',
      '--sender-name',
      '0123456789',
      '--locale',
      'xx-YY',
      '--quiet-hours',
      '25:00-08:00',
      '--reminder-policy',
      '[{"before":"P1D","channel":"fax"}]',
      '--sms-monthly-budget',
      '0',
      '--opt-out-replies',
      'nobody',
      '--time-zone',
      'Mars/Base',
    );
    expect(values.code).toBe(1);
    expect(values.stderr.trim().split('\n').sort()).toEqual([
      '--locale: must be a BCP 47 language tag we support, e.g. en or it-IT',
      '--opt-out-replies: must be "practice" or "twilio"',
      '--quiet-hours start: must be a time of day "HH:MM", e.g. 21:00',
      '--reminder-policy [0].channel: must be "sms" or "email"',
      '--sender-name: must not be only digits',
      '--sms-monthly-budget: must be at least 1 segment',
      '--time-zone: must be an IANA time zone, e.g. Europe/Rome',
    ]);
    expect(await prisma.practice.findUniqueOrThrow({ where: { id: 'salon' } })).toEqual(before);
  });

  test("another practice's sender, an unknown practice, or nothing to change: one clear line", () => {
    const taken = cli('practice', 'update', '--id', 'salon', '--sms-from', '+393471235001');
    expect(taken.code).toBe(1);
    expect(taken.stderr.trim()).toBe(
      'Another practice already sends from +393471235001; inbound replies could not be routed.',
    );
    expect(cli('practice', 'update', '--id', 'nope', '--name', 'X').stderr.trim()).toBe('No practice with id "nope".');
    expect(cli('practice', 'show', '--id', 'nope').stderr.trim()).toBe('No practice with id "nope".');
    const nothing = cli('practice', 'update', '--id', 'salon');
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toMatch(/^Give at least one setting to change\.\n\nUsage: npm run cli -- practice update/);
  });
});

describe('--help', () => {
  const noDatabase = { DATABASE_URL: undefined };

  test.each(['practice create', 'practice update', 'practice show', 'apikey create', 'apikey revoke'])(
    '%s --help prints its usage and needs no database',
    (command) => {
      for (const flag of ['--help', '-h']) {
        const help = cliWith(noDatabase, ...command.split(' '), flag);
        expect(help).toMatchObject({ code: 0, stderr: '' });
        expect(help.stdout).toMatch(new RegExp(`^Usage: npm run cli -- ${command} --`));
      }
    },
  );

  test('the top-level --help lists every command', () => {
    const help = cliWith(noDatabase, '--help');
    expect(help).toMatchObject({ code: 0, stderr: '' });
    for (const command of ['practice create', 'practice update', 'practice show', 'apikey create', 'apikey revoke'])
      expect(help.stdout).toContain(`  ${command} --`);
  });

  test('--help wins over other flags, even ones that are wrong', () => {
    const help = cliWith(noDatabase, 'practice', 'update', '--bogus', '--help');
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toContain('--quiet-hours <HH:MM-HH:MM|off>');
  });
});
