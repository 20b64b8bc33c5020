import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { DevSetupError } from './errors';

// Random secrets `npm run dev` makes on its first start and keeps in `.data/`, so what they
// sign keeps working across restarts:
// - the confirm links' signing secret, when LINK_SIGNING_SECRET is unset;
// - a webhook token, when Twilio is unconfigured, that the API accepts as the signing key of
//   Twilio webhooks (TWILIO_DEV_WEBHOOK_TOKEN) and `npm run cli -- simulate reply` signs
//   with, so a developer can play the client through the real webhook path.

interface DevSecret {
  file: string;
  noun: 'secret' | 'token';
  /** What to do about an unusable file, and what that costs. */
  remedy: string;
}

const LINK_SIGNING_SECRET: DevSecret = {
  file: 'link-signing-secret',
  noun: 'secret',
  remedy: 'delete it to make a new one (old confirm links stop working)',
};

const DEV_WEBHOOK_TOKEN: DevSecret = {
  file: 'dev-webhook-token',
  noun: 'token',
  remedy: 'delete it and restart npm run dev to make a new one',
};

const MIN_LENGTH = 32;

export function ensureLinkSigningSecret(dataDir: string): string {
  return ensure(dataDir, LINK_SIGNING_SECRET);
}

export function ensureDevWebhookToken(dataDir: string): string {
  return ensure(dataDir, DEV_WEBHOOK_TOKEN);
}

/** The CLI's side: the token `npm run dev` made, or null when it never ran here (no file). */
export function readDevWebhookToken(dataDir: string): string | null {
  try {
    return usable(dataDir, DEV_WEBHOOK_TOKEN);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** The secret, made now if there is none yet. */
function ensure(dataDir: string, secret: DevSecret): string {
  const file = path.join(dataDir, secret.file);
  // A fresh clone has no `.data/` yet.
  mkdirSync(dataDir, { recursive: true });
  try {
    // `wx`: two launchers starting at once never overwrite each other's secret; the loser reads it.
    writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const value = usable(dataDir, secret);
  // A file made under a loose umask, or copied in, is still readable only by its owner.
  chmodSync(file, 0o600);
  return value;
}

function usable(dataDir: string, secret: DevSecret): string {
  const file = path.join(dataDir, secret.file);
  const value = readFileSync(file, 'utf8').trim();
  if (value.length < MIN_LENGTH) {
    throw new DevSetupError(
      `${file} holds no usable ${secret.noun} (at least ${MIN_LENGTH} characters); ${secret.remedy}.`,
    );
  }
  return value;
}
