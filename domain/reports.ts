import { DateTime } from 'luxon';
import { z } from 'zod';
import type { AppointmentStatus, Channel, Confirmation } from './appointment';

// The two staff reports: reminders per day and channel (GET /v1/reports/reminders) and what the
// front desk acts on now (GET /v1/reports/attention). Their rules live here; services/reports.ts
// only counts and lists in SQL what these rules name.

/** The days a reminder report covers when the request names none: the last 7, today included. */
export const DEFAULT_REPORT_DAYS = 7;
/** The longest range one request may ask for (a year, leap day included). */
export const MAX_REPORT_DAYS = 366;

/** Message purposes that are reminders: the planned and manual ones, and the email sent when a text failed. */
export const REMINDER_PURPOSES = ['reminder', 'fallback'] as const;
/**
 * Statuses that mean the provider refused the message or could not deliver it. `too_late` is
 * not one: nothing was sent, on purpose (the reminder reads `skipped`).
 */
export const FAILED_STATUSES = ['failed', 'undelivered'] as const;

const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_MESSAGE = 'must be a date as YYYY-MM-DD, e.g. 2026-12-01';

const localDate = z
  .string('must be given once')
  .refine((value) => LOCAL_DATE.test(value) && DateTime.fromISO(value, { zone: 'utc' }).isValid, DATE_MESSAGE);

/** `GET /v1/reports/reminders`: local dates in the practice's time zone, both included. */
export const reminderReportQuerySchema = z.strictObject({ from: localDate.optional(), to: localDate.optional() });

export type ReminderReportQuery = z.infer<typeof reminderReportQuerySchema>;

/** `GET /v1/reports/attention` takes no parameters: one it does not know is a client bug (400). */
export const attentionQuerySchema = z.strictObject({});

export interface ReportRange {
  from: string;
  to: string;
  /** Every local date from `from` to `to`, in order. */
  days: string[];
  /** Local midnight starting `from`, and local midnight ending `to`, as instants. */
  start: Date;
  end: Date;
}

export type RangeProblem = { path: 'from' | 'to'; message: string };

/**
 * The range a report covers, from the parameters given and today's date in the practice's
 * time zone: `to` defaults to today, `from` to the 7 days ending with `to`. A local day is
 * what the clock on the practice's wall shows, so across a DST change it lasts 23 or 25 hours.
 */
export function reportRange(
  query: ReminderReportQuery,
  timeZone: string,
  now: Date,
): { range: ReportRange } | { problem: RangeProblem } {
  const today = DateTime.fromJSDate(now, { zone: timeZone }).toISODate()!;
  const to = query.to ?? (query.from && query.from > today ? query.from : today);
  const from = query.from ?? plusDays(to, -(DEFAULT_REPORT_DAYS - 1));
  if (from > to) return { problem: { path: 'from', message: `must not be after to (${to})` } };
  const length = daysBetween(from, to) + 1;
  if (length > MAX_REPORT_DAYS) {
    // Name the parameter the caller gave: a `from` alone reaches to today.
    return query.to
      ? { problem: { path: 'to', message: `must be at most ${MAX_REPORT_DAYS} days after from, both included` } }
      : {
          problem: {
            path: 'from',
            message: `must be at most ${MAX_REPORT_DAYS} days before to (${to}), both included`,
          },
        };
  }
  const days = Array.from({ length }, (_, i) => plusDays(from, i));
  return {
    range: {
      from,
      to,
      days,
      start: DateTime.fromISO(from, { zone: timeZone }).toJSDate(),
      end: DateTime.fromISO(plusDays(to, 1), { zone: timeZone }).toJSDate(),
    },
  };
}

function plusDays(date: string, days: number): string {
  return DateTime.fromISO(date, { zone: 'utc' }).plus({ days }).toISODate()!;
}

function daysBetween(from: string, to: string): number {
  return DateTime.fromISO(to, { zone: 'utc' }).diff(DateTime.fromISO(from, { zone: 'utc' }), 'days').days;
}

/**
 * Of the appointments whose client a reminder went out to, the share confirmed (by any
 * channel, at any time, and still standing); null when no reminder went out.
 */
export function confirmationRate(confirmed: number, reminded: number): number | null {
  if (reminded === 0) return null;
  return Math.round((confirmed / reminded) * 10_000) / 10_000;
}

/** Counts for one local day (or the whole range) and one channel, as SQL grouped them. */
export interface ChannelCounts {
  sent: number;
  delivered: number;
  failed: number;
  fallbacks: number;
  segments: number;
  remindedAppointments: number;
  confirmedAppointments: number;
}

export interface ChannelFigures extends Omit<ChannelCounts, 'segments'> {
  /** SMS segments charged that day, for every text; null for email, which has none. */
  segments: number | null;
  confirmationRate: number | null;
}

export type ConfirmationCounts = Record<Confirmation['via'], number> & { total: number };

export interface DayFigures {
  sms: ChannelFigures;
  email: ChannelFigures;
  /** Both channels: an appointment reminded by text and by email counts once. */
  remindedAppointments: number;
  confirmedAppointments: number;
  confirmationRate: number | null;
  confirmations: ConfirmationCounts;
  optOuts: number;
}

export interface ReminderReport {
  from: string;
  to: string;
  timeZone: string;
  days: Array<{ date: string } & DayFigures>;
  totals: DayFigures;
}

/** What the queries found; a key of null is the whole range, a channel of null both channels. */
export interface ReminderReportCounts {
  messages: Array<{ day: string | null; channel: Channel | null } & ChannelCounts>;
  confirmations: Array<{ day: string; via: Confirmation['via']; count: number }>;
  optOuts: Array<{ day: string; count: number }>;
}

const NO_COUNTS: ChannelCounts = {
  sent: 0,
  delivered: 0,
  failed: 0,
  fallbacks: 0,
  segments: 0,
  remindedAppointments: 0,
  confirmedAppointments: 0,
};

/** The report with every day of the range, a day without activity showing zeros. */
export function buildReminderReport(
  range: ReportRange,
  timeZone: string,
  counts: ReminderReportCounts,
): ReminderReport {
  const figuresOf = (day: string | null): DayFigures => {
    const of = (channel: Channel | null): ChannelCounts => {
      const row = counts.messages.find((r) => r.day === day && r.channel === channel) ?? NO_COUNTS;
      // Only the figures: the row's grouping keys are not part of the report.
      return {
        sent: row.sent,
        delivered: row.delivered,
        failed: row.failed,
        fallbacks: row.fallbacks,
        segments: row.segments,
        remindedAppointments: row.remindedAppointments,
        confirmedAppointments: row.confirmedAppointments,
      };
    };
    const both = of(null);
    const confirmations: ConfirmationCounts = { sms: 0, email: 0, staff: 0, total: 0 };
    for (const row of counts.confirmations) {
      if (day !== null && row.day !== day) continue;
      confirmations[row.via] += row.count;
      confirmations.total += row.count;
    }
    return {
      sms: channelFigures(of('sms'), 'sms'),
      email: channelFigures(of('email'), 'email'),
      remindedAppointments: both.remindedAppointments,
      confirmedAppointments: both.confirmedAppointments,
      confirmationRate: confirmationRate(both.confirmedAppointments, both.remindedAppointments),
      confirmations,
      optOuts: counts.optOuts.filter((row) => day === null || row.day === day).reduce((sum, row) => sum + row.count, 0),
    };
  };
  return {
    from: range.from,
    to: range.to,
    timeZone,
    days: range.days.map((date) => ({ date, ...figuresOf(date) })),
    totals: figuresOf(null),
  };
}

function channelFigures(counts: ChannelCounts, channel: Channel): ChannelFigures {
  return {
    ...counts,
    segments: channel === 'sms' ? counts.segments : null,
    confirmationRate: confirmationRate(counts.confirmedAppointments, counts.remindedAppointments),
  };
}

// The attention report.

/** How far ahead an unconfirmed appointment needs the front desk. */
export const ATTENTION_HORIZON_MS = 24 * 3_600_000;

export type AttentionReason = 'unconfirmed_within_24h' | 'no_reminder_reached' | 'reply_needs_review';

/** What the database knows of an upcoming or recent appointment. */
export interface AppointmentFacts {
  status: AppointmentStatus;
  startsAt: Date;
  /** A client reminder went out on some channel and was not reported failed. */
  reachedClient: boolean;
}

/** Statuses that need nothing more from the front desk before the appointment. */
const SETTLED: ReadonlySet<AppointmentStatus> = new Set(['confirmed', 'cancelled']);

/**
 * Why an appointment needs the front desk now, apart from replies: it starts within 24 hours
 * and is not confirmed; or no reminder reached its client: the workflow gave up (`failed`:
 * every client reminder failed and none is left), or it starts within 24 hours and nothing
 * has reached the client yet, even if a later reminder is still planned (a call today beats
 * a text two hours before). Appointments that started, were confirmed or cancelled need nothing.
 */
export function appointmentAttention(facts: AppointmentFacts, now: Date): AttentionReason[] {
  const ahead = facts.startsAt.getTime() - now.getTime();
  if (ahead <= 0 || SETTLED.has(facts.status)) return [];
  const soon = ahead <= ATTENTION_HORIZON_MS;
  const reasons: AttentionReason[] = [];
  if (soon) reasons.push('unconfirmed_within_24h');
  if (facts.status === 'failed' || (soon && !facts.reachedClient)) reasons.push('no_reminder_reached');
  return reasons;
}

/** An item's place in the list: what `orderAttention` compares. */
export interface AttentionRank {
  /** The appointment's start, when it is still ahead. */
  upcomingStart: Date | null;
  /** The oldest reply waiting for review, if any. */
  oldestReplyAt: Date | null;
  /** A stable last key (the appointment id, or the reply's). */
  key: string;
}

/**
 * Most urgent first: appointments still ahead, soonest start first (the desk has until then);
 * then replies to review that belong to no upcoming appointment, oldest first (they have no
 * deadline, and the longest-waiting client has waited longest).
 */
export function compareAttention(a: AttentionRank, b: AttentionRank): number {
  if (a.upcomingStart && b.upcomingStart) {
    return a.upcomingStart.getTime() - b.upcomingStart.getTime() || a.key.localeCompare(b.key);
  }
  if (a.upcomingStart) return -1;
  if (b.upcomingStart) return 1;
  return (a.oldestReplyAt?.getTime() ?? 0) - (b.oldestReplyAt?.getTime() ?? 0) || a.key.localeCompare(b.key);
}
