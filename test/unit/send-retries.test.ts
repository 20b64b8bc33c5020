import { FINAL_LOOK_MS, SMS_SEND_HEARTBEAT_TIMEOUT_MS } from '../../activities/contracts';
import {
  handOverLead,
  LONG_HAND_OVER_BEFORE_START_MS,
  SHORT_HAND_OVER_MS,
  timeoutExtension,
} from '../../domain/hand-over';
import { FIRST_RETRY_PAUSE_MS, LONGEST_RETRY_PAUSE_MS, longestRetryPause } from '../../domain/send-retries';

// The chaos run's case: a reminder due a minute before its start, handed to its send
// a short hand-over early; the worker dies as it is about to send, so Temporal hears of it only a
// heartbeat timeout after the final look; the provider then refuses twice in a row (the fake's
// most). The fourth try must still come before the start.

/** Start of each retry after the first failure is noticed, as Temporal spaces them (backoff 2). */
function retryStarts(longestPause: number, retries: number): number[] {
  const starts: number[] = [];
  let at = 0;
  for (let i = 0, pause = FIRST_RETRY_PAUSE_MS; i < retries; i++, pause *= 2) {
    at += Math.min(pause, longestPause);
    starts.push(at);
  }
  return starts;
}

test('a reminder due a minute before its start gets a third retry in before the start after losing its first attempt', () => {
  const dueBeforeStartMs = 60_000;
  expect(handOverLead(0, dueBeforeStartMs)).toBe(SHORT_HAND_OVER_MS);
  const msLeftWhenScheduled = dueBeforeStartMs + SHORT_HAND_OVER_MS;
  const noticedAfterDueMs = SMS_SEND_HEARTBEAT_TIMEOUT_MS - FINAL_LOOK_MS;
  const [, , third] = retryStarts(longestRetryPause(msLeftWhenScheduled), 3);
  expect(noticedAfterDueMs + third).toBeLessThan(dueBeforeStartMs);
});

test('retries of a reminder days ahead back off as far as before; never faster than the first pause', () => {
  expect(longestRetryPause(3 * 86_400_000)).toBe(LONGEST_RETRY_PAUSE_MS);
  expect(longestRetryPause(10_000)).toBe(FIRST_RETRY_PAUSE_MS);
  expect(longestRetryPause(-1)).toBe(FIRST_RETRY_PAUSE_MS);
});

test('a reminder handed over long ahead still gets its retries in long before the start after losing an attempt twice', () => {
  // Due as close to its start as a long hand-over allows; its worker dies right after the final
  // look, so Temporal notices a whole (extended) heartbeat timeout later; the first retry's
  // worker dies too, noticed as late again; then the provider refuses twice.
  const dueBeforeStartMs = LONG_HAND_OVER_BEFORE_START_MS;
  const leadMs = handOverLead(0, dueBeforeStartMs);
  expect(leadMs).toBeGreaterThan(SHORT_HAND_OVER_MS);
  const heartbeatTimeoutMs = SMS_SEND_HEARTBEAT_TIMEOUT_MS + timeoutExtension(leadMs);
  const noticedAfterDueMs = heartbeatTimeoutMs - FINAL_LOOK_MS;
  const [first, , third] = retryStarts(longestRetryPause(dueBeforeStartMs + leadMs), 3);
  const lastTryMs = noticedAfterDueMs + first + heartbeatTimeoutMs + (third - first);
  // Half the time before the start is left over: a long hand-over costs these reminders little.
  expect(lastTryMs).toBeLessThan(dueBeforeStartMs / 2);
});
