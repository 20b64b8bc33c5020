import { IANAZone } from 'luxon';

// Quiet hours: the local hours of the day in which a practice never texts or emails its
// clients. One pure function decides where a due message goes; the planner, the custom
// messages and the view all use it.

/** Local wall-clock times "HH:MM" in the appointment's (or message's) time zone; the window may cross midnight. */
export interface QuietHours {
  start: string;
  end: string;
}

export const DEFAULT_QUIET_HOURS: QuietHours = { start: '21:00', end: '08:00' };

export type QuietHoursDecision = { sendAt: Date } | { skipped: 'quiet_hours_passed' };

const MINUTE = 60_000;
const DAY = 86_400_000;

/**
 * Where a message due at `due` goes: `due` itself when outside quiet hours; inside them, the
 * latest allowed time before; if that has passed, the next allowed time, when that is before
 * `deadline` (the appointment's start; null for no deadline); else skipped. A `due` earlier
 * than `now` means "now".
 *
 * The window is the local interval [start, end), crossing midnight when start > end. "The
 * latest allowed time before" is one minute before the window's start (20:59 for 21:00): the
 * start minute itself is quiet, and a minute is the setting's own precision, so staff and
 * clients see a round local time. "The next allowed time" is the window's end (08:00). The
 * deadline bounds only a move: a time outside quiet hours is kept as it is, and a moved time
 * must be strictly before the deadline.
 *
 * DST: quiet hours begin the first moment the clock shows `start` and end the last moment it
 * shows `end`, so a night is never cut short. A time the clock skips (02:30 when Rome jumps
 * from 02:00 to 03:00) is reached when the clock jumps past it (03:00 local); a time the clock
 * shows twice (01:30 when New York falls back) starts a window at its first showing and ends
 * one at its second. Nights that no allowed minute separates are one window, so a move never
 * lands inside quiet hours.
 */
export function applyQuietHours(
  due: Date,
  options: { quietHours: QuietHours | null; timeZone: string; now: Date; deadline: Date | null },
): QuietHoursDecision {
  const at = Math.max(due.getTime(), options.now.getTime());
  if (!options.quietHours) return { sendAt: new Date(at) };
  const zone = IANAZone.create(options.timeZone);
  if (!zone.isValid) throw new RangeError(`Unknown time zone "${options.timeZone}"`);
  const quiet = quietIntervalAround(at, zone, options.quietHours);
  if (!quiet) return { sendAt: new Date(at) };
  const latestBefore = quiet.start - MINUTE;
  const moved = latestBefore >= options.now.getTime() ? latestBefore : quiet.end;
  if (options.deadline && moved >= options.deadline.getTime()) return { skipped: 'quiet_hours_passed' };
  return { sendAt: new Date(moved) };
}

/** Instants in epoch milliseconds, [start, end). */
interface Interval {
  start: number;
  end: number;
}

/** The quiet interval holding the instant `at`, joined with the nights no allowed minute separates from it; null when `at` is allowed. */
function quietIntervalAround(at: number, zone: IANAZone, quietHours: QuietHours): Interval | null {
  const nightFrom = (day: number) => night(day, zone, quietHours);
  const today = Math.floor(wallClock(at, zone) / DAY) * DAY;
  // Yesterday's window may still hold `at` when it crosses midnight.
  const day = [today - DAY, today].find((d) => {
    const n = nightFrom(d);
    return n.start <= at && at < n.end;
  });
  if (day === undefined) return null;
  let { start, end } = nightFrom(day);
  for (let d = day - DAY; ; d -= DAY) {
    const previous = nightFrom(d);
    if (previous.start >= previous.end || previous.end <= start - MINUTE) break;
    start = previous.start;
  }
  for (let d = day + DAY; ; d += DAY) {
    const next = nightFrom(d);
    if (next.start >= next.end || next.start - MINUTE >= end) break;
    end = next.end;
  }
  return { start, end };
}

/** The window that starts on the local day `day` (its midnight as wall-clock milliseconds); empty when DST skips all of it. */
function night(day: number, zone: IANAZone, quietHours: QuietHours): Interval {
  const endDay = quietHours.end < quietHours.start ? day + DAY : day;
  return {
    start: instantsShowing(day + minutesOf(quietHours.start) * MINUTE, zone).first,
    end: instantsShowing(endDay + minutesOf(quietHours.end) * MINUTE, zone).last,
  };
}

function minutesOf(hhmm: string): number {
  const [hours, minutes] = hhmm.split(':').map(Number);
  return hours * 60 + minutes;
}

/** What the clock in `zone` shows at `instant`, as milliseconds of a calendar without DST. */
function wallClock(instant: number, zone: IANAZone): number {
  return instant + zone.offset(instant) * MINUTE;
}

/**
 * The first and last instants the clock shows `wall`: the same one on an ordinary day, two
 * when the clock falls back over it, and when the clock skips it, the instant it jumps past.
 * Luxon's own normalisation moves a skipped time forward by the gap (02:30 to 03:30), which
 * would keep 03:00-03:30 quiet although the clock shows a time after the window's end.
 */
function instantsShowing(wall: number, zone: IANAZone): { first: number; last: number } {
  // The offsets a day either side cover the one change a day may have; larger offset first, so earlier instant first.
  const offsets = [...new Set([wall - DAY, wall, wall + DAY].map((t) => zone.offset(t)))].sort((a, b) => b - a);
  const showing = offsets.map((o) => wall - o * MINUTE).filter((t) => wallClock(t, zone) === wall);
  if (showing.length > 0) return { first: showing[0], last: showing[showing.length - 1] };
  // Skipped: under the larger offset the clock still shows an earlier time, under the smaller a later one.
  let before = wall - offsets[0] * MINUTE;
  let after = wall - offsets[offsets.length - 1] * MINUTE;
  while (after - before > 1) {
    const middle = Math.floor((before + after) / 2);
    if (wallClock(middle, zone) >= wall) after = middle;
    else before = middle;
  }
  return { first: after, last: after };
}
