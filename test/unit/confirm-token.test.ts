import { createHmac } from 'node:crypto';
import type { AppointmentStatus } from '../../domain/appointment';
import { confirmLinkStanding, confirmLinkUrl, signConfirmToken, verifyConfirmToken } from '../../domain/confirm-token';

const SECRET = 'a-test-secret-of-at-least-32-characters';
const STARTS_AT = '2026-12-01T09:30:00+01:00';
const START_MS = Date.parse(STARTS_AT);
const before = new Date(START_MS - 60_000);

const token = (practiceId = 'clinic', appointmentId = 'A-1001', startsAt = STARTS_AT, secret = SECRET) =>
  signConfirmToken(secret, { practiceId, appointmentId, startsAt });

describe('confirm tokens', () => {
  test('a token verifies to the appointment it names, expiring at the start', () => {
    expect(verifyConfirmToken(SECRET, token(), before)).toEqual({
      status: 'ok',
      practiceId: 'clinic',
      appointmentId: 'A-1001',
      expiresAt: new Date(START_MS),
    });
  });

  test('is URL-safe, short, and carries no personal data', () => {
    const t = token('clinic', 'A-1001');
    expect(t).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(t.length).toBeLessThanOrEqual(100);
    const payload = Buffer.from(t.split('.')[0], 'base64url').toString('utf8');
    expect(JSON.parse(payload)).toEqual(['clinic', 'A-1001', START_MS / 1000]);
  });

  test('ids with any characters survive the round trip', () => {
    const check = verifyConfirmToken(SECRET, token('ström & co', 'A/1.2?x=ü'), before);
    expect(check).toMatchObject({ status: 'ok', practiceId: 'ström & co', appointmentId: 'A/1.2?x=ü' });
  });

  test('expires when the appointment starts, not a second later', () => {
    expect(verifyConfirmToken(SECRET, token(), new Date(START_MS - 1))).toMatchObject({ status: 'ok' });
    expect(verifyConfirmToken(SECRET, token(), new Date(START_MS))).toEqual({
      status: 'expired',
      expiresAt: new Date(START_MS),
    });
    expect(verifyConfirmToken(SECRET, token(), new Date(START_MS + 3_600_000))).toMatchObject({ status: 'expired' });
  });

  test('a start with milliseconds expires no later than the start', () => {
    const t = token('clinic', 'A-1', '2026-12-01T08:30:00.900Z');
    expect(verifyConfirmToken(SECRET, t, new Date('2026-12-01T08:30:00.900Z'))).toMatchObject({ status: 'expired' });
  });

  test('a token signed with another secret is invalid', () => {
    expect(
      verifyConfirmToken(
        SECRET,
        token('clinic', 'A-1001', STARTS_AT, 'another-secret-also-32-characters-long'),
        before,
      ),
    ).toEqual({
      status: 'invalid',
    });
  });

  test('a changed payload under the original signature is invalid (other appointment, later expiry)', () => {
    const [, signature] = token().split('.');
    for (const forged of [
      ['other', 'A-1001', START_MS / 1000],
      ['clinic', 'A-1002', START_MS / 1000],
      ['clinic', 'A-1001', START_MS / 1000 + 86_400],
    ]) {
      const payload = Buffer.from(JSON.stringify(forged)).toString('base64url');
      expect(verifyConfirmToken(SECRET, `${payload}.${signature}`, before)).toEqual({ status: 'invalid' });
    }
  });

  test('an expired token with a forged signature is invalid, not expired', () => {
    const [payload] = token().split('.');
    expect(verifyConfirmToken(SECRET, `${payload}.${'A'.repeat(43)}`, new Date(START_MS + 1))).toEqual({
      status: 'invalid',
    });
  });

  test.each([
    ['empty', ''],
    ['no dot', 'abc'],
    ['three parts', 'a.b.c'],
    ['not base64url', 'a+b.c/d'],
    ['truncated signature', token().slice(0, -1)],
    ['extra character', `${token()}A`],
    ['huge', 'A'.repeat(5_000)],
  ])('%s is invalid', (_what, bad) => {
    expect(verifyConfirmToken(SECRET, bad, before)).toEqual({ status: 'invalid' });
  });

  test('a correctly signed payload of the wrong shape is invalid', () => {
    // Only a holder of the secret can make one; verify still never throws on it.
    for (const shape of ['{"a":1}', '["clinic"]', '["clinic","A",1.5]', '["","A",1]', 'not json']) {
      const payload = Buffer.from(shape).toString('base64url');
      const signature = createHmac('sha256', SECRET).update(`confirm.v1.${payload}`).digest('base64url');
      expect(verifyConfirmToken(SECRET, `${payload}.${signature}`, before)).toEqual({ status: 'invalid' });
    }
  });

  test('refuses to sign with a short secret', () => {
    expect(() => token('clinic', 'A', STARTS_AT, 'short')).toThrow(/at least 32/);
  });

  test('confirmLinkUrl builds PUBLIC_BASE_URL/confirm/<token>', () => {
    const url = confirmLinkUrl({
      publicBaseUrl: 'https://reminders.example.com/',
      secret: SECRET,
      practiceId: 'clinic',
      appointmentId: 'A-1001',
      startsAt: STARTS_AT,
    });
    expect(url).toBe(`https://reminders.example.com/confirm/${token()}`);
  });
});

describe('what a confirm link leads to', () => {
  const now = new Date(START_MS - 3_600_000);
  const view = (status: AppointmentStatus, startsAt = STARTS_AT) => ({ status, startsAt });

  test.each([
    ['scheduled', 'confirmable'],
    ['awaiting_confirmation', 'confirmable'],
    ['opted_out', 'confirmable'],
    ['failed', 'confirmable'],
    ['confirmed', 'confirmed'],
    ['cancelled', 'cancelled'],
    ['unconfirmed', 'over'],
  ] as const)('%s → %s', (status, standing) => {
    expect(confirmLinkStanding(view(status), now)).toBe(standing);
  });

  test('a started appointment is over, even one confirmed; a cancelled one stays cancelled', () => {
    const after = new Date(START_MS);
    expect(confirmLinkStanding(view('confirmed'), after)).toBe('over');
    expect(confirmLinkStanding(view('awaiting_confirmation'), after)).toBe('over');
    expect(confirmLinkStanding(view('cancelled'), after)).toBe('cancelled');
  });
});
