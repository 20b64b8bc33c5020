import {
  appointmentAttention,
  buildReminderReport,
  compareAttention,
  confirmationRate,
  reminderReportQuerySchema,
  reportRange,
  type AttentionRank,
  type ReminderReportCounts,
  type ReportRange,
} from '../../domain/reports';
import { match } from '../support/matchers';

const ROME = 'Europe/Rome';
const HOUR = 3_600_000;

function rangeOf(query: { from?: string; to?: string }, now: string, timeZone = ROME): ReportRange {
  const found = reportRange(query, timeZone, new Date(now));
  if ('problem' in found) throw new Error(`unexpected problem: ${JSON.stringify(found.problem)}`);
  return found.range;
}

describe('the report range', () => {
  test('defaults to the 7 days ending today, today being the practice’s local date', () => {
    // 23:30 UTC on 1 Dec is already 2 Dec in Rome.
    const range = rangeOf({}, '2026-12-01T23:30:00Z');
    expect(range).toMatchObject({ from: '2026-11-26', to: '2026-12-02' });
    expect(range.days).toEqual([
      '2026-11-26',
      '2026-11-27',
      '2026-11-28',
      '2026-11-29',
      '2026-11-30',
      '2026-12-01',
      '2026-12-02',
    ]);
    expect(range.start.toISOString()).toBe('2026-11-25T23:00:00.000Z');
    expect(range.end.toISOString()).toBe('2026-12-02T23:00:00.000Z');
  });

  test('from alone runs to today; to alone covers the 7 days ending with it', () => {
    expect(rangeOf({ from: '2026-11-30' }, '2026-12-01T10:00:00Z')).toMatchObject({
      from: '2026-11-30',
      to: '2026-12-01',
    });
    expect(rangeOf({ to: '2026-11-10' }, '2026-12-01T10:00:00Z')).toMatchObject({
      from: '2026-11-04',
      to: '2026-11-10',
    });
    // A from in the future is a one-day report of that day, not an inverted range.
    expect(rangeOf({ from: '2026-12-05' }, '2026-12-01T10:00:00Z')).toMatchObject({
      from: '2026-12-05',
      to: '2026-12-05',
    });
  });

  test('a local day follows the clock on the wall: the DST change day lasts 25 hours', () => {
    const range = rangeOf({ from: '2026-10-25', to: '2026-10-25' }, '2026-12-01T10:00:00Z');
    expect(range.start.toISOString()).toBe('2026-10-24T22:00:00.000Z');
    expect(range.end.toISOString()).toBe('2026-10-25T23:00:00.000Z');
  });

  test('from after to, and more than 366 days, are refused naming the parameter to fix', () => {
    const now = new Date('2026-12-01T10:00:00Z');
    expect(reportRange({ from: '2026-11-20', to: '2026-11-10' }, ROME, now)).toEqual({
      problem: { path: 'from', message: 'must not be after to (2026-11-10)' },
    });
    expect(rangeOf({ from: '2025-01-01', to: '2026-01-01' }, '2026-12-01T10:00:00Z').days).toHaveLength(366);
    expect(reportRange({ from: '2025-01-01', to: '2026-01-02' }, ROME, now)).toEqual({
      problem: { path: 'to', message: 'must be at most 366 days after from, both included' },
    });
    expect(reportRange({ from: '2024-01-01' }, ROME, now)).toEqual({
      problem: { path: 'from', message: 'must be at most 366 days before to (2026-12-01), both included' },
    });
  });

  test('dates must be real calendar dates written YYYY-MM-DD; unknown parameters are malformed', () => {
    for (const bad of ['2026-02-30', '2026-13-01', '1-12-2026', '2026-12-01T00:00:00Z', '']) {
      const result = reminderReportQuerySchema.safeParse({ from: bad });
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]).toMatchObject({ path: ['from'], message: match.stringMatching(/YYYY-MM-DD/) });
    }
    expect(reminderReportQuerySchema.safeParse({ from: ['2026-12-01', '2026-12-02'] }).success).toBe(false);
    expect(reminderReportQuerySchema.safeParse({ day: '2026-12-01' }).error?.issues[0].code).toBe('unrecognized_keys');
    expect(reminderReportQuerySchema.parse({ from: '2024-02-29' })).toEqual({ from: '2024-02-29' });
  });
});

describe('the confirmation rate', () => {
  test('is the confirmed share of reminded appointments, null when none was reminded', () => {
    expect(confirmationRate(1, 2)).toBe(0.5);
    expect(confirmationRate(2, 3)).toBe(0.6667);
    expect(confirmationRate(0, 4)).toBe(0);
    expect(confirmationRate(0, 0)).toBeNull();
  });
});

describe('the reminder report', () => {
  test('every day of the range appears, quiet days with zeros; totals come from their own grouping', () => {
    const range = rangeOf({ from: '2026-11-30', to: '2026-12-02' }, '2026-12-02T10:00:00Z');
    const counts: ReminderReportCounts = {
      messages: [
        {
          day: '2026-12-01',
          channel: 'sms',
          sent: 3,
          delivered: 1,
          failed: 1,
          fallbacks: 0,
          segments: 4,
          remindedAppointments: 3,
          confirmedAppointments: 1,
        },
        {
          day: '2026-12-01',
          channel: 'email',
          sent: 2,
          delivered: 0,
          failed: 0,
          fallbacks: 1,
          segments: 0,
          remindedAppointments: 2,
          confirmedAppointments: 2,
        },
        {
          day: '2026-12-01',
          channel: null,
          sent: 5,
          delivered: 1,
          failed: 1,
          fallbacks: 1,
          segments: 4,
          remindedAppointments: 4,
          confirmedAppointments: 2,
        },
        {
          day: null,
          channel: null,
          sent: 5,
          delivered: 1,
          failed: 1,
          fallbacks: 1,
          segments: 4,
          remindedAppointments: 4,
          confirmedAppointments: 2,
        },
        {
          day: null,
          channel: 'sms',
          sent: 3,
          delivered: 1,
          failed: 1,
          fallbacks: 0,
          segments: 4,
          remindedAppointments: 3,
          confirmedAppointments: 1,
        },
      ],
      confirmations: [
        { day: '2026-12-01', via: 'sms', count: 1 },
        { day: '2026-12-02', via: 'staff', count: 2 },
      ],
      optOuts: [{ day: '2026-11-30', count: 1 }],
    };
    const report = buildReminderReport(range, ROME, counts);
    expect(report.days.map((d) => d.date)).toEqual(['2026-11-30', '2026-12-01', '2026-12-02']);
    const quiet = report.days[2];
    expect(quiet).toEqual({
      date: '2026-12-02',
      sms: {
        sent: 0,
        delivered: 0,
        failed: 0,
        fallbacks: 0,
        segments: 0,
        remindedAppointments: 0,
        confirmedAppointments: 0,
        confirmationRate: null,
      },
      email: {
        sent: 0,
        delivered: 0,
        failed: 0,
        fallbacks: 0,
        segments: null,
        remindedAppointments: 0,
        confirmedAppointments: 0,
        confirmationRate: null,
      },
      remindedAppointments: 0,
      confirmedAppointments: 0,
      confirmationRate: null,
      confirmations: { sms: 0, email: 0, staff: 2, total: 2 },
      optOuts: 0,
    });
    expect(report.days[1].sms).toEqual({
      sent: 3,
      delivered: 1,
      failed: 1,
      fallbacks: 0,
      segments: 4,
      remindedAppointments: 3,
      confirmedAppointments: 1,
      confirmationRate: 0.3333,
    });
    expect(report.days[1]).toMatchObject({
      email: { sent: 2, fallbacks: 1, segments: null, confirmationRate: 1 },
      // An appointment reminded by text and by email counts once.
      remindedAppointments: 4,
      confirmationRate: 0.5,
      confirmations: { sms: 1, email: 0, staff: 0, total: 1 },
    });
    expect(report.days[0].optOuts).toBe(1);
    expect(report.totals).toMatchObject({
      sms: { sent: 3 },
      email: { sent: 0 },
      remindedAppointments: 4,
      confirmationRate: 0.5,
      confirmations: { sms: 1, email: 0, staff: 2, total: 3 },
      optOuts: 1,
    });
  });
});

describe('what needs the front desk', () => {
  const now = new Date('2026-12-01T08:00:00Z');
  const at = (hours: number) => new Date(now.getTime() + hours * HOUR);

  test('an open appointment within 24 hours is unconfirmed; nothing reached its client is said too', () => {
    expect(
      appointmentAttention({ status: 'awaiting_confirmation', startsAt: at(3), reachedClient: true }, now),
    ).toEqual(['unconfirmed_within_24h']);
    expect(appointmentAttention({ status: 'scheduled', startsAt: at(24), reachedClient: false }, now)).toEqual([
      'unconfirmed_within_24h',
      'no_reminder_reached',
    ]);
    expect(appointmentAttention({ status: 'opted_out', startsAt: at(5), reachedClient: true }, now)).toEqual([
      'unconfirmed_within_24h',
    ]);
  });

  test('failed reminders need a call whenever the appointment is; later ones still waiting do not', () => {
    expect(appointmentAttention({ status: 'failed', startsAt: at(72), reachedClient: false }, now)).toEqual([
      'no_reminder_reached',
    ]);
    expect(appointmentAttention({ status: 'scheduled', startsAt: at(24.01), reachedClient: false }, now)).toEqual([]);
  });

  test('confirmed, cancelled and started appointments need nothing', () => {
    expect(appointmentAttention({ status: 'confirmed', startsAt: at(2), reachedClient: false }, now)).toEqual([]);
    expect(appointmentAttention({ status: 'cancelled', startsAt: at(2), reachedClient: false }, now)).toEqual([]);
    expect(appointmentAttention({ status: 'failed', startsAt: at(0), reachedClient: false }, now)).toEqual([]);
    expect(appointmentAttention({ status: 'unconfirmed', startsAt: at(-1), reachedClient: false }, now)).toEqual([]);
  });

  test('order: soonest upcoming start first, then replies without one, oldest first', () => {
    const items: Array<AttentionRank & { name: string }> = [
      { name: 'reply new', upcomingStart: null, oldestReplyAt: at(-1), key: 'm2' },
      { name: 'in 20h', upcomingStart: at(20), oldestReplyAt: null, key: 'B' },
      { name: 'reply old', upcomingStart: null, oldestReplyAt: at(-30), key: 'm1' },
      { name: 'in 2h', upcomingStart: at(2), oldestReplyAt: at(-5), key: 'C' },
      { name: 'in 20h too', upcomingStart: at(20), oldestReplyAt: null, key: 'A' },
    ];
    expect(items.sort(compareAttention).map((i) => i.name)).toEqual([
      'in 2h',
      'in 20h too',
      'in 20h',
      'reply old',
      'reply new',
    ]);
  });
});
