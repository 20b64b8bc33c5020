import { z } from 'zod';

// Quiet hours: the local hours of the day in which a practice never texts or emails its
// clients. One pure function decides where a due message goes; the planner, the custom
// messages and the view all use it.

/** Local wall-clock times "HH:MM" in the appointment's (or message's) time zone; the window may cross midnight. */
export interface QuietHours {
  start: string;
  end: string;
}

export const DEFAULT_QUIET_HOURS: QuietHours = { start: '21:00', end: '08:00' };

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day "HH:MM", e.g. 21:00');

/** A practice's setting: a window, or null for off. */
export const quietHoursSchema = z
  .strictObject({ start: hhmm, end: hhmm })
  .refine((q) => q.start !== q.end, 'start and end must differ')
  .nullable();

export type QuietHoursDecision = { sendAt: Date } | { skipped: 'quiet_hours_passed' };

/**
 * Where a message due at `due` goes: `due` itself when outside quiet hours; inside them, the
 * latest allowed time before; if that has passed, the next allowed time, when that is before
 * `deadline` (the appointment's start; null for no deadline); else skipped. A `due` earlier
 * than `now` means "now".
 */
export function applyQuietHours(
  due: Date,
  options: { quietHours: QuietHours | null; timeZone: string; now: Date; deadline: Date | null },
): QuietHoursDecision {
  const at = due < options.now ? options.now : due;
  if (!options.quietHours) return { sendAt: at };
  throw new Error('applyQuietHours: not implemented yet (issue 10, domain helper)');
}

/** A practice's stored window (columns quiet_hours_start/_end; both null: off). */
export function quietHoursOf(practice: {
  quietHoursStart: string | null;
  quietHoursEnd: string | null;
}): QuietHours | null {
  return practice.quietHoursStart && practice.quietHoursEnd
    ? { start: practice.quietHoursStart, end: practice.quietHoursEnd }
    : null;
}
