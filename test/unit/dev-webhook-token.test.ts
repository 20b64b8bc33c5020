import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../config';
import { ensureDevWebhookToken, readDevWebhookToken } from '../../devenv/dev-secrets';
import { DevSetupError } from '../../devenv/errors';

// The development webhook token: made by `npm run dev` in .data/, read by `npm run cli`, and
// never a second key next to Twilio's.

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'dev-webhook-token-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('made once, kept across restarts, readable only by its owner; the CLI reads the same', () => {
  const data = path.join(dir, '.data');
  expect(readDevWebhookToken(data)).toBeNull();
  const token = ensureDevWebhookToken(data);
  expect(token).toMatch(/^[0-9a-f]{64}$/);
  expect(ensureDevWebhookToken(data)).toBe(token);
  expect(readDevWebhookToken(data)).toBe(token);
  expect(statSync(path.join(data, 'dev-webhook-token')).mode & 0o777).toBe(0o600);
  expect(readFileSync(path.join(data, 'dev-webhook-token'), 'utf8')).toBe(`${token}\n`);
});

test('a file with no usable token is refused, naming it and what to do', () => {
  writeFileSync(path.join(dir, 'dev-webhook-token'), 'short\n');
  expect(() => readDevWebhookToken(dir)).toThrow(DevSetupError);
  expect(() => ensureDevWebhookToken(dir)).toThrow(
    /dev-webhook-token holds no usable token .*delete it and restart npm run dev/,
  );
});

test('TWILIO_DEV_WEBHOOK_TOKEN is read, and refused next to Twilio credentials or when too short', () => {
  const token = 't'.repeat(32);
  expect(loadConfig({ TWILIO_DEV_WEBHOOK_TOKEN: token }).twilioDevWebhookToken).toBe(token);
  expect(loadConfig({}).twilioDevWebhookToken).toBeNull();
  const problems = (env: NodeJS.ProcessEnv) => {
    try {
      loadConfig(env);
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
    return [];
  };
  expect(
    problems({
      TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`,
      TWILIO_AUTH_TOKEN: 'secret',
      TWILIO_DEV_WEBHOOK_TOKEN: token,
    }),
  ).toEqual([
    'TWILIO_DEV_WEBHOOK_TOKEN: is for development without Twilio: unset it, webhooks are verified with TWILIO_AUTH_TOKEN',
  ]);
  expect(problems({ TWILIO_DEV_WEBHOOK_TOKEN: 'short' })).toEqual([
    'TWILIO_DEV_WEBHOOK_TOKEN: must be at least 32 characters (e.g. openssl rand -hex 32)',
  ]);
});
