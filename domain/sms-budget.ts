import { DateTime } from 'luxon';

// A practice's SMS budget is counted per calendar month of the practice's own time zone, so
// its staff see the month turn over at their midnight, not at UTC's.

/** The budget month ("YYYY-MM") that `at` falls in, in `timeZone` (an IANA name). */
export function usageMonth(at: Date, timeZone: string): string {
  const local = DateTime.fromJSDate(at, { zone: timeZone });
  if (!local.isValid) throw new RangeError(`Cannot place ${at.toISOString()} in time zone "${timeZone}".`);
  return local.toFormat('yyyy-MM');
}

export interface SmsUsage {
  month: string;
  /** Segments charged this month. */
  segments: number;
  /** Segments allowed per month; null: no limit. */
  budget: number | null;
  /** What is left of the budget this month; null without a budget. */
  remaining: number | null;
}

export function smsUsage(month: string, segments: number, budget: number | null): SmsUsage {
  return { month, segments, budget, remaining: budget === null ? null : Math.max(0, budget - segments) };
}
