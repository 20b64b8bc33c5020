import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../config';
import { resolveLinkSigningSecret } from '../../config/link-signing-secret';
import { ensureLinkSigningSecret } from '../../devenv/dev-secrets';
import { DevSetupError } from '../../devenv/errors';

const SENDGRID = { apiKey: 'SG.key', apiBaseUrl: null };

describe('the API alone', () => {
  test('uses LINK_SIGNING_SECRET when set, with or without SendGrid, and warns of nothing', () => {
    const warn = jest.fn();
    const secret = 's'.repeat(32);
    expect(resolveLinkSigningSecret({ sendgrid: SENDGRID, linkSigningSecret: secret }, warn)).toBe(secret);
    expect(resolveLinkSigningSecret({ sendgrid: null, linkSigningSecret: secret }, warn)).toBe(secret);
    expect(warn).not.toHaveBeenCalled();
  });

  test('refuses to start with SendGrid configured and no secret, in one line naming the setting', () => {
    let thrown: unknown;
    try {
      resolveLinkSigningSecret({ sendgrid: SENDGRID, linkSigningSecret: null }, jest.fn());
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).problems).toEqual([
      expect.stringMatching(/^LINK_SIGNING_SECRET: required when SENDGRID_API_KEY is set/),
    ]);
  });

  test('without SendGrid and without a secret: a random one per process, with a warning', () => {
    const warn = jest.fn();
    const first = resolveLinkSigningSecret({ sendgrid: null, linkSigningSecret: null }, warn);
    const second = resolveLinkSigningSecret({ sendgrid: null, linkSigningSecret: null }, warn);
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(second).not.toBe(first);
    expect(warn).toHaveBeenCalledWith(
      expect.stringMatching(/LINK_SIGNING_SECRET is unset.*stop working when it restarts/),
    );
  });
});

describe('npm run dev keeps a secret in .data/', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'link-secret-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('made once (64 hex characters, readable only by its owner) and the same on every later start', () => {
    const first = ensureLinkSigningSecret(dir);
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    const file = path.join(dir, 'link-signing-secret');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(ensureLinkSigningSecret(dir)).toBe(first);
    expect(readFileSync(file, 'utf8').trim()).toBe(first);
  });

  test('a file without a usable secret stops the launcher with what to do, rather than replacing it', () => {
    writeFileSync(path.join(dir, 'link-signing-secret'), 'short\n', { mode: 0o644 });
    expect(() => ensureLinkSigningSecret(dir)).toThrow(DevSetupError);
    expect(() => ensureLinkSigningSecret(dir)).toThrow(/delete it to make a new one/);
    expect(readFileSync(path.join(dir, 'link-signing-secret'), 'utf8')).toBe('short\n');
  });
});
