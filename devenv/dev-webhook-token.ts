import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { DevSetupError } from './errors';

// `npm run dev` without Twilio: one random token, made on the first start and kept in `.data/`,
// that the API accepts as the signing key of Twilio webhooks (TWILIO_DEV_WEBHOOK_TOKEN) and
// `npm run cli -- simulate reply` signs with, so a developer can play the client through the
// real webhook path. With Twilio configured neither uses it: its auth token signs webhooks.

const FILE = 'dev-webhook-token';
const MIN_LENGTH = 32;

/** The launcher's side: the token, made now if there is none yet. */
export function ensureDevWebhookToken(dataDir: string): string {
  const file = path.join(dataDir, FILE);
  // A fresh clone has no `.data/` yet.
  mkdirSync(dataDir, { recursive: true });
  try {
    // `wx`: two launchers starting at once never overwrite each other's token; the loser reads it.
    writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const token = tokenIn(file);
  // A file made under a loose umask, or copied in, is still readable only by its owner.
  chmodSync(file, 0o600);
  return token;
}

/** The CLI's side: the token `npm run dev` made, or null when it never ran here (no file). */
export function readDevWebhookToken(dataDir: string): string | null {
  try {
    return tokenIn(path.join(dataDir, FILE));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

function tokenIn(file: string): string {
  const token = readFileSync(file, 'utf8').trim();
  if (token.length < MIN_LENGTH) {
    throw new DevSetupError(
      `${file} holds no usable token (at least ${MIN_LENGTH} characters); delete it and restart npm run dev to make a new one.`,
    );
  }
  return token;
}
