import { randomBytes } from 'node:crypto';
import { type Config, ConfigError } from './index';

/**
 * The secret the API verifies confirm links with (and the worker signs them with). Real email
 * (SENDGRID_API_KEY) needs LINK_SIGNING_SECRET: links must outlive a restart and work on every
 * replica. Without SendGrid, email goes to the simulator, so a secret made for this process
 * will do, said in a warning. `npm run dev` keeps one in `.data/` instead (devenv/link-secret.ts).
 */
export function resolveLinkSigningSecret(
  config: Pick<Config, 'sendgrid' | 'linkSigningSecret'>,
  warn: (line: string) => void,
): string {
  if (config.linkSigningSecret) return config.linkSigningSecret;
  if (config.sendgrid) {
    throw new ConfigError([
      'LINK_SIGNING_SECRET: required when SENDGRID_API_KEY is set, so confirm links survive restarts (e.g. openssl rand -hex 32)',
    ]);
  }
  warn(
    'LINK_SIGNING_SECRET is unset: confirm links are signed with a secret made for this process; ' +
      'they stop working when it restarts and no other process accepts them (set LINK_SIGNING_SECRET to keep them)',
  );
  return randomBytes(32).toString('hex');
}
