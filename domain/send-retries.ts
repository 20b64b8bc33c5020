// How a send's retries are spaced. They back off (a provider in trouble is not hammered) but
// never so far that the time left before the appointment's start holds fewer than a handful
// of tries: a reminder due a minute before its start, whose first attempt was lost with its
// worker, still gets its retries in before the start.

/** The pause before a send's first retry; later pauses double. */
export const FIRST_RETRY_PAUSE_MS = 5_000;

/** The longest pause between two tries when time is plentiful (a reminder days ahead). */
export const LONGEST_RETRY_PAUSE_MS = 10 * 60_000;

/** Tries the time left must hold at least, at the longest pause. */
const TRIES_IN_TIME_LEFT = 8;

/** The longest pause between two tries of a send with `msLeft` before it is no longer wanted. */
export function longestRetryPause(msLeft: number): number {
  return Math.min(LONGEST_RETRY_PAUSE_MS, Math.max(FIRST_RETRY_PAUSE_MS, Math.floor(msLeft / TRIES_IN_TIME_LEFT)));
}
