import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { DevSetupError } from './errors';

// `npm run dev` without LINK_SIGNING_SECRET: one random secret, made on the first start and
// kept in `.data/`, so confirm links in emails keep working across restarts.

const FILE = 'link-signing-secret';
const MIN_LENGTH = 32;

export function ensureLinkSigningSecret(dataDir: string): string {
  const file = path.join(dataDir, FILE);
  // A fresh clone has no `.data/` yet.
  mkdirSync(dataDir, { recursive: true });
  try {
    // `wx`: two launchers starting at once never overwrite each other's secret; the loser reads it.
    writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const secret = readFileSync(file, 'utf8').trim();
  if (secret.length < MIN_LENGTH) {
    throw new DevSetupError(
      `${file} in ${dataDir} holds no usable secret (at least ${MIN_LENGTH} characters); delete it to make a new one (old confirm links stop working).`,
    );
  }
  // A file made under a loose umask, or copied in, is still readable only by its owner.
  chmodSync(file, 0o600);
  return secret;
}
