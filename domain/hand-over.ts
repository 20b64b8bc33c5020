// When a workflow hands a reminder to its send, ahead of the instant it is due. The send
// prepares everything (its row, its text, its budget charge, `sending`) and waits inside its
// activity for the instant, so the gateway is called on time however many reminders fall due
// at once: Temporal and the worker take tens of seconds on two cores to fire a thousand timers
// and start their sends (the morning batch at 09:00), and a send already waiting is not
// delayed by them.
//
// A waiting attempt sends no heartbeat (one that reaches the server is a billed action) except
// its final look shortly before the instant. So that Temporal cannot start a retry while the
// attempt may still call the gateway, the attempt's heartbeat and start-to-close timeouts grow
// by however much longer than a short hand-over it waits. An attempt lost before its final
// look (its worker died, or it failed while Temporal was down) is then noticed as soon after
// its instant as a short hand-over's is; one lost after it, and any retry whose worker dies,
// is noticed that much later. Only reminders due long before their appointment's start can
// afford that, so only they are handed over long ahead.

/** How long ahead a reminder due shortly before its start is handed over: the attempt's usual timeouts fit the wait. */
export const SHORT_HAND_OVER_MS = 10_000;

/** How long ahead a reminder due long before its start is handed over: a thousand due at once are all waiting in time. */
export const LONG_HAND_OVER_MS = 60_000;

/** A reminder due at least this long before its appointment's start is handed over long ahead. */
export const LONG_HAND_OVER_BEFORE_START_MS = 10 * 60_000;

/** How long before its due instant a reminder is handed to its send. */
export function handOverLead(dueMs: number, startsAtMs: number): number {
  return startsAtMs - dueMs >= LONG_HAND_OVER_BEFORE_START_MS ? LONG_HAND_OVER_MS : SHORT_HAND_OVER_MS;
}

/** How much longer than usual the timeouts of an attempt that waits `waitMs` for its instant must be. */
export function timeoutExtension(waitMs: number): number {
  return Math.max(0, Math.min(waitMs, LONG_HAND_OVER_MS) - SHORT_HAND_OVER_MS);
}
