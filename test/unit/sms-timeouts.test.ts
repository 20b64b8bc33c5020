import { SMS_SEND_ATTEMPT_TIMEOUT_MS, SMS_SEND_HEARTBEAT_TIMEOUT_MS } from '../../activities/contracts';
import { LONG_HAND_OVER_MS, SHORT_HAND_OVER_MS, timeoutExtension } from '../../domain/hand-over';
import { ATTEMPT_DATABASE_ALLOWANCE_MS, SEND_RESERVE_MS } from '../../activities/send-message';
import { TWILIO_FIND_SENT_REQUESTS, TWILIO_HTTP_TIMEOUT_MS } from '../../gateways/twilio';

// An attempt of sendSms must be over before Temporal starts its retry (start-to-close), or
// the two could both reach Twilio. Its worst case: reconcile (the message list, read twice),
// then create, each ended by the HTTP timeout, plus its database time and the reserve the
// activity keeps when deciding whether it may still call create.

test('a whole send attempt, at its slowest, fits in the activity start-to-close timeout', () => {
  const slowestAttempt =
    (TWILIO_FIND_SENT_REQUESTS + 1) * TWILIO_HTTP_TIMEOUT_MS + ATTEMPT_DATABASE_ALLOWANCE_MS + SEND_RESERVE_MS;
  expect(slowestAttempt).toBeLessThanOrEqual(SMS_SEND_ATTEMPT_TIMEOUT_MS);
});

test('the HTTP timeout is well under the attempt timeout, and far over what Twilio takes to answer', () => {
  expect(TWILIO_HTTP_TIMEOUT_MS * 4).toBeLessThanOrEqual(SMS_SEND_ATTEMPT_TIMEOUT_MS);
  expect(TWILIO_HTTP_TIMEOUT_MS).toBeGreaterThanOrEqual(5_000);
});

test('a create fits in the heartbeat timeout, which notices a dead worker well before the start-to-close would', () => {
  // The activity starts a create only with a whole gateway call and the reserve left of it:
  // a reconciling read and a create both fit.
  expect(2 * TWILIO_HTTP_TIMEOUT_MS + SEND_RESERVE_MS).toBeLessThanOrEqual(SMS_SEND_HEARTBEAT_TIMEOUT_MS);
  expect(SMS_SEND_HEARTBEAT_TIMEOUT_MS).toBeLessThanOrEqual(SMS_SEND_ATTEMPT_TIMEOUT_MS / 2);
});

test('a send handed over ahead still has a whole create left of its timeouts at its instant', () => {
  // The attempt starts at most its wait before its instant, and Temporal may start a retry a
  // heartbeat timeout after the attempt's start should no heartbeat get through (Temporal
  // down): the wait must fit in that span with the create. A short hand-over fits the usual
  // timeouts; a longer one extends both by what it waits beyond a short one.
  expect(timeoutExtension(SHORT_HAND_OVER_MS)).toBe(0);
  for (const waitMs of [1_000, SHORT_HAND_OVER_MS, 30_000, LONG_HAND_OVER_MS]) {
    const extension = timeoutExtension(waitMs);
    expect(waitMs + TWILIO_HTTP_TIMEOUT_MS + SEND_RESERVE_MS).toBeLessThanOrEqual(
      SMS_SEND_HEARTBEAT_TIMEOUT_MS + extension,
    );
    expect(waitMs + TWILIO_HTTP_TIMEOUT_MS + SEND_RESERVE_MS).toBeLessThanOrEqual(
      SMS_SEND_ATTEMPT_TIMEOUT_MS + extension,
    );
  }
});

test('a lost attempt is noticed as soon after its instant whether it was handed over short or long ahead', () => {
  // Lost before its final look (Temporal down, or the worker died waiting): Temporal notices
  // a heartbeat timeout after the attempt's start, the same instant after the due time.
  const noticedAfterDue = (leadMs: number) => SMS_SEND_HEARTBEAT_TIMEOUT_MS + timeoutExtension(leadMs) - leadMs;
  expect(noticedAfterDue(LONG_HAND_OVER_MS)).toBe(noticedAfterDue(SHORT_HAND_OVER_MS));
});
