import { execFile } from 'node:child_process';
import type { Server } from 'node:http';
import path from 'node:path';
import { createApp } from '../../api/app';
import { freePort } from '../../devenv/ports';
import { BackgroundWork } from '../../lib/background-work';
import { createLogger } from '../../lib/logger';
import { match } from '../support/matchers';
import { eventually, inFuture, useTestSystem } from '../support/system';

// `npm run cli -- simulate reply` against a running API: the real webhook, the real workflow.
// The API here runs as `npm run dev` runs it without Twilio: no Twilio credentials, and the
// development webhook token the CLI signs with.

const system = useTestSystem();
const ROOT = path.resolve(__dirname, '..', '..');
const TOKEN = 'dev-webhook-token-for-tests-0123456789abcdef';
const CLIENT = '+393471330001';

let devApi: { url: string; server: Server; background: BackgroundWork };

beforeAll(async () => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const background = new BackgroundWork(createLogger('silent'));
  const app = createApp({
    config: { ...system().config, publicBaseUrl: url, twilio: null, twilioDevWebhookToken: TOKEN },
    prisma: system().prisma,
    temporal: system().temporal,
    log: createLogger('silent'),
    background,
  });
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(port, '127.0.0.1', () => resolve(listening));
  });
  devApi = { url, server, background };
});
afterAll(async () => {
  await new Promise((resolve) => devApi?.server.close(resolve));
  await devApi?.background.idle();
});

/** Runs the CLI in its own process, as `npm run cli` does, with only the settings given. */
function cli(args: string[], env: Record<string, string> = {}) {
  const inherited = { ...process.env };
  for (const name of Object.keys(inherited)) {
    if (/^(TWILIO_|PUBLIC_BASE_URL$|DATABASE_URL$|PORT$)/.test(name)) delete inherited[name];
  }
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      path.join(ROOT, 'node_modules', '.bin', 'tsx'),
      ['cli/main.ts', ...args],
      { cwd: ROOT, env: { ...inherited, DATABASE_URL: system().databaseUrl, ...env }, encoding: 'utf8' },
      (error, stdout, stderr) => resolve({ code: error ? (error.code as number) : 0, stdout, stderr }),
    );
  });
}

const reply = (body: string, extra: string[] = []) =>
  cli(['simulate', 'reply', '--from', CLIENT, '--body', body, '--practice', 'clinic', '--url', devApi.url, ...extra], {
    TWILIO_DEV_WEBHOOK_TOKEN: TOKEN,
  });

const view = async (id: string) => (await system().api('GET', `/v1/appointments/${id}`)).body;

test('STOP, START, C and HELP end to end: each takes effect and prints its answer', async () => {
  await system().prisma.practice.update({
    where: { id: 'clinic' },
    data: { quietHoursStart: null, quietHoursEnd: null },
  });
  const created = await system().api('POST', '/v1/appointments', {
    appointmentId: 'SIM-1',
    startsAt: inFuture(3 * 24 * 3_600_000),
    client: { name: 'Maria Rossi', phone: CLIENT, smsConsent: true },
    reminders: [{ before: 'PT1H', channel: 'sms' }],
  });
  expect(created.status).toBe(201);

  const stop = await reply('STOP');
  expect(stop).toMatchObject({ code: 0, stdout: match.stringContaining('Practice clinic') });
  await eventually(async () => (await view('SIM-1')).status === 'opted_out', 15_000, 'opted out');

  const start = await reply('START');
  expect(start).toMatchObject({ code: 0, stdout: match.stringContaining('Practice clinic') });
  await eventually(async () => (await view('SIM-1')).status === 'scheduled', 15_000, 'opted back in');

  const confirm = await reply('C');
  expect(confirm).toMatchObject({ code: 0, stderr: '' });
  expect(confirm.stdout.trim()).not.toBe('no answer');
  await eventually(async () => (await view('SIM-1')).status === 'confirmed', 15_000, 'confirmed');

  const help = await reply('HELP');
  expect(help).toMatchObject({ code: 0, stdout: match.stringContaining('+390212345678') });

  // Free text is for staff: the practice does not answer it.
  expect(await reply('See you then')).toEqual({ code: 0, stdout: 'no answer\n', stderr: '' });
  expect(
    await system().prisma.message.count({
      where: { from: CLIENT, direction: 'inbound', providerId: { startsWith: 'SM' } },
    }),
  ).toBe(5);
});

test('an API that is not running: one line saying so', async () => {
  const url = `http://127.0.0.1:${await freePort()}`;
  const result = await cli(
    ['simulate', 'reply', '--from', CLIENT, '--body', 'C', '--to', '+15005550006', '--url', url],
    {
      TWILIO_DEV_WEBHOOK_TOKEN: TOKEN,
    },
  );
  expect(result.code).toBe(1);
  expect(result.stdout).toBe('');
  expect(result.stderr).toMatch(
    /^Could not reach the API at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\): is `npm run dev` running\?[^\n]*\n$/,
  );
});

test('no token to sign with: one line saying where it comes from', async () => {
  const result = await cli([
    'simulate',
    'reply',
    '--from',
    CLIENT,
    '--body',
    'C',
    '--practice',
    'clinic',
    '--url',
    devApi.url,
  ]);
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/^No token to sign the webhook with: start the API with `npm run dev`[^\n]*\n$/);
});

test('an API with Twilio configured refuses the development token', async () => {
  const before = await system().prisma.message.count();
  const result = await cli(
    ['simulate', 'reply', '--from', CLIENT, '--body', 'STOP', '--practice', 'clinic', '--url', system().baseUrl],
    { TWILIO_DEV_WEBHOOK_TOKEN: TOKEN },
  );
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/^The API refused the signature \(403: Invalid X-Twilio-Signature\.\)[^\n]*\n$/);
  expect(await system().prisma.message.count()).toBe(before);
});

test('a practice that does not exist, and --help', async () => {
  const missing = await cli(['simulate', 'reply', '--from', CLIENT, '--body', 'C', '--url', devApi.url], {
    TWILIO_DEV_WEBHOOK_TOKEN: TOKEN,
  });
  expect(missing).toEqual({
    code: 1,
    stdout: '',
    stderr: 'No practice "demo"; give --practice <id> or --to <its number>.\n',
  });
  const help = await cli(['simulate', 'reply', '--help']);
  expect(`${help.stdout}${help.stderr}`).toContain('simulate reply --from <E.164> --body <text>');
});
