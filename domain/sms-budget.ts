import { DateTime } from 'luxon';

// A practice's SMS budget is counted per calendar month of the practice's own time zone, so
// its staff see the month turn over at their midnight, not at UTC's.

/** The budget month ("YYYY-MM") that `at` falls in, in `timeZone` (an IANA name). */
export function usageMonth(at: Date, timeZone: string): string {
  const local = DateTime.fromJSDate(at, { zone: timeZone });
  if (!local.isValid) throw new RangeError(`Cannot place ${at.toISOString()} in time zone "${timeZone}".`);
  return local.toFormat('yyyy-MM');
}
