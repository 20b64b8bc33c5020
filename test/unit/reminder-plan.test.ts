import type { AppointmentDetails } from '../../domain/appointment';
import { planReminders } from '../../domain/reminder-plan';
import { reminderRuleSchema } from '../../domain/fields';
import { DEFAULT_QUIET_HOURS } from '../../domain/quiet-hours';

const base: AppointmentDetails = {
  startsAt: '2026-12-01T09:30:00+01:00',
  timeZone: 'Europe/Rome',
  client: { name: 'Maria Rossi', phone: '+393471234567', smsConsent: true, emailConsent: false },
  reminders: [
    { before: 'P1D', channel: 'sms' },
    { before: 'PT2H', channel: 'sms' },
  ],
  recipients: 'client',
  remindersEnabled: true,
};
const longBefore = new Date('2026-11-01T00:00:00Z');

test('plans one reminder per rule at start minus the duration, in time order', () => {
  const plan = planReminders(base, { now: longBefore, firstSeq: 1 });
  expect(plan.map((r) => [r.id, r.sendAt, r.state, r.reason])).toEqual([
    ['r1', '2026-11-30T08:30:00.000Z', 'pending', null],
    ['r2', '2026-12-01T06:30:00.000Z', 'pending', null],
  ]);
});

test('"1 day before" is a calendar day in the appointment zone across a DST change', () => {
  // Europe/Rome leaves summer time on 2026-10-25: 09:30 local is 08:30Z after, 07:30Z before.
  const plan = planReminders(
    { ...base, startsAt: '2026-10-26T09:30:00+01:00', reminders: [{ before: 'P1D', channel: 'sms' }] },
    { now: new Date('2026-10-01T00:00:00Z'), firstSeq: 1 },
  );
  expect(plan[0].sendAt).toBe('2026-10-25T08:30:00.000Z');
});

test('without SMS consent, without a phone, or with reminders disabled nothing is pending, each with its reason', () => {
  const noConsent = planReminders(
    { ...base, client: { ...base.client, smsConsent: false } },
    { now: longBefore, firstSeq: 1 },
  );
  expect(noConsent.map((r) => r.reason)).toEqual(['no_consent', 'no_consent']);
  const noPhone = planReminders(
    { ...base, client: { name: 'X', email: 'x@example.com', smsConsent: true, emailConsent: true } },
    { now: longBefore, firstSeq: 1 },
  );
  expect(noPhone.map((r) => r.reason)).toEqual(['no_contact', 'no_contact']);
  const disabled = planReminders({ ...base, remindersEnabled: false }, { now: longBefore, firstSeq: 1 });
  expect(disabled.every((r) => r.state === 'skipped' && r.reason === 'disabled')).toBe(true);
});

test('opted-out clients get no SMS but still get email; a run without email skips it', () => {
  expect(planReminders(base, { now: longBefore, firstSeq: 1, optedOut: true }).map((r) => r.reason)).toEqual([
    'opted_out',
    'opted_out',
  ]);
  const withEmail = {
    ...base,
    client: { ...base.client, email: 'm@example.com', emailConsent: true },
    reminders: [{ before: 'P1D', channel: 'email' as const }],
  };
  const email = planReminders(withEmail, { now: longBefore, firstSeq: 1, optedOut: true });
  expect(email[0]).toMatchObject({ state: 'pending', reason: null, fallbackFrom: null });
  const smsOnlyRun = planReminders(withEmail, { now: longBefore, firstSeq: 1, deliverableChannels: ['sms'] });
  expect(smsOnlyRun[0]).toMatchObject({ state: 'skipped', reason: 'channel_unavailable' });
});

test('overdue rules collapse into one reminder sent now; the others are skipped as past due', () => {
  const now = new Date('2026-12-01T07:00:00Z'); // 1.5 h before the start: both rules are overdue
  const plan = planReminders(
    { ...base, reminders: [...base.reminders, { before: 'PT1H', channel: 'sms' }] },
    { now, firstSeq: 1 },
  );
  const byRule = Object.fromEntries(plan.map((r) => [r.before, r]));
  expect(byRule.P1D).toMatchObject({ state: 'skipped', reason: 'past_due' });
  expect(byRule.PT2H).toMatchObject({ state: 'pending', sendAt: now.toISOString() });
  expect(byRule.PT1H).toMatchObject({ state: 'pending', sendAt: '2026-12-01T07:30:00.000Z' });
});

test('recipients "both" plans for client and practitioner; practitioners need no consent', () => {
  const plan = planReminders(
    {
      ...base,
      client: { ...base.client, smsConsent: false },
      practitioner: { name: 'Dr. Bianchi', phone: '+393471112222' },
      recipients: 'both',
      reminders: [{ before: 'P1D', channel: 'sms' }],
    },
    { now: longBefore, firstSeq: 7 },
  );
  expect(plan.map((r) => [r.id, r.recipient, r.state, r.reason])).toEqual([
    ['r7', 'client', 'skipped', 'no_consent'],
    ['r8', 'practitioner', 'pending', null],
  ]);
});

test('a rule longer than a year is refused when validated and never reaches the plan', () => {
  expect(reminderRuleSchema.safeParse({ before: 'P1Y', channel: 'sms' }).success).toBe(true);
  expect(reminderRuleSchema.safeParse({ before: 'P366D', channel: 'sms' }).success).toBe(false);
  expect(reminderRuleSchema.safeParse({ before: 'P300000Y', channel: 'sms' }).success).toBe(false);
  // A plan from before the bound (or a hand-made one) must still be total: no null sendAt.
  for (const reminders of [
    [
      { before: 'PT2H', channel: 'sms' as const },
      { before: 'P300000Y', channel: 'sms' as const },
    ],
    [
      { before: 'P300000Y', channel: 'sms' as const },
      { before: 'PT2H', channel: 'sms' as const },
    ],
  ]) {
    const plan = planReminders({ ...base, reminders }, { now: longBefore, firstSeq: 1 });
    expect(plan.map((r) => [r.before, r.sendAt])).toEqual([['PT2H', '2026-12-01T06:30:00.000Z']]);
  }
});

test('a rule names its own recipients; a rule without them follows the appointment', () => {
  const plan = planReminders(
    {
      ...base,
      practitioner: { name: 'Dr. Bianchi', phone: '+393471112222' },
      reminders: [
        { before: 'P1D', channel: 'sms', recipients: 'both' },
        { before: 'PT2H', channel: 'sms' },
        { before: 'PT1H', channel: 'sms', recipients: 'practitioner' },
      ],
    },
    { now: longBefore, firstSeq: 1 },
  );
  expect(plan.map((r) => [r.before, r.recipient, r.state])).toEqual([
    ['P1D', 'client', 'pending'],
    ['P1D', 'practitioner', 'pending'],
    ['PT2H', 'client', 'pending'],
    ['PT1H', 'practitioner', 'pending'],
  ]);
});

describe('quiet hours', () => {
  const quietHours = DEFAULT_QUIET_HOURS;

  test('an appointment made at 22:30 for 09:00 next morning gets its "1 day before" at 08:00', () => {
    const plan = planReminders(
      { ...base, startsAt: '2026-12-02T09:00:00+01:00', reminders: [{ before: 'P1D', channel: 'sms' }] },
      { now: new Date('2026-12-01T21:30:00Z'), firstSeq: 1, quietHours },
    );
    expect(plan.map((r) => [r.sendAt, r.state, r.reason])).toEqual([['2026-12-02T07:00:00.000Z', 'pending', null]]);
  });

  test('"2 hours before" an 08:30 appointment (06:30) moves to 20:59 the evening before', () => {
    const plan = planReminders(
      { ...base, startsAt: '2026-12-02T08:30:00+01:00', reminders: [{ before: 'PT2H', channel: 'sms' }] },
      { now: longBefore, firstSeq: 1, quietHours },
    );
    expect(plan.map((r) => [r.sendAt, r.state, r.reason])).toEqual([['2026-12-01T19:59:00.000Z', 'pending', null]]);
  });

  test('when 20:59 has passed and 08:00 is not before the start, the reminder is skipped as quiet_hours_passed', () => {
    // Made at 23:00 for 07:30: "2 hours before" is 05:30, quiet; 20:59 has passed; 08:00 is after
    // the start. "10 hours before" (21:30) is overdue, so due now, which is quiet too. "1 day
    // before" was overdue and superseded by "10 hours before" before quiet hours were asked.
    const plan = planReminders(
      {
        ...base,
        startsAt: '2026-12-02T07:30:00+01:00',
        reminders: [
          { before: 'P1D', channel: 'sms' },
          { before: 'PT10H', channel: 'sms' },
          { before: 'PT2H', channel: 'sms' },
        ],
      },
      { now: new Date('2026-12-01T22:00:00Z'), firstSeq: 1, quietHours },
    );
    expect(plan.map((r) => [r.before, r.state, r.reason])).toEqual([
      ['P1D', 'skipped', 'past_due'],
      ['PT10H', 'skipped', 'quiet_hours_passed'],
      ['PT2H', 'skipped', 'quiet_hours_passed'],
    ]);
  });

  test('the overdue rule still picks by rule time, and the reminder it keeps is not sent into the night', () => {
    // Made at 22:30 for 09:00: "1 day before" (09:00) and "13 hours before" (20:00) are overdue;
    // 20:00 is the later one and is kept; "now" is quiet, so it goes out at 08:00.
    const plan = planReminders(
      {
        ...base,
        startsAt: '2026-12-02T09:00:00+01:00',
        reminders: [
          { before: 'P1D', channel: 'sms' },
          { before: 'PT13H', channel: 'sms' },
        ],
      },
      { now: new Date('2026-12-01T21:30:00Z'), firstSeq: 1, quietHours },
    );
    const byRule = Object.fromEntries(plan.map((r) => [r.before, r]));
    expect(byRule.P1D).toMatchObject({ state: 'skipped', reason: 'past_due' });
    expect(byRule.PT13H).toMatchObject({ state: 'pending', reason: null, sendAt: '2026-12-02T07:00:00.000Z' });
  });

  test('two reminders quiet hours move onto the same minute become one: the later rule is kept', () => {
    // The default policy, made at 22:30 for 09:00: "1 day before" is overdue (now, quiet) and
    // "2 hours before" is 07:00 (quiet); both would go at 08:00.
    const plan = planReminders(
      { ...base, startsAt: '2026-12-02T09:00:00+01:00' },
      { now: new Date('2026-12-01T21:30:00Z'), firstSeq: 1, quietHours },
    );
    const byRule = Object.fromEntries(plan.map((r) => [r.before, r]));
    expect(byRule.PT2H).toMatchObject({ state: 'pending', sendAt: '2026-12-02T07:00:00.000Z' });
    expect(byRule.P1D).toMatchObject({ state: 'skipped', reason: 'quiet_hours_passed' });
  });

  test('reminders already skipped keep their reason and rule time; other recipients and channels are not merged', () => {
    const plan = planReminders(
      {
        ...base,
        startsAt: '2026-12-02T08:30:00+01:00',
        client: { ...base.client, smsConsent: false, email: 'm@example.com', emailConsent: true },
        practitioner: { name: 'Dr. Bianchi', phone: '+393471112222' },
        recipients: 'both',
        reminders: [
          { before: 'PT2H', channel: 'sms' },
          { before: 'PT2H', channel: 'email' },
        ],
      },
      { now: longBefore, firstSeq: 1, quietHours },
    );
    expect(plan.map((r) => [r.recipient, r.channel, r.sendAt, r.state, r.reason])).toEqual([
      ['practitioner', 'sms', '2026-12-01T19:59:00.000Z', 'pending', null],
      ['client', 'email', '2026-12-01T19:59:00.000Z', 'pending', null],
      ['client', 'sms', '2026-12-02T05:30:00.000Z', 'skipped', 'no_consent'],
      ['practitioner', 'email', '2026-12-02T05:30:00.000Z', 'skipped', 'no_contact'],
    ]);
  });

  test('across a DST change the move lands on local 20:59 (Rome, spring forward)', () => {
    const plan = planReminders(
      { ...base, startsAt: '2026-03-29T08:30:00+02:00', reminders: [{ before: 'PT2H', channel: 'sms' }] },
      { now: new Date('2026-03-01T00:00:00Z'), firstSeq: 1, quietHours },
    );
    expect(plan[0].sendAt).toBe('2026-03-28T19:59:00.000Z'); // 20:59 +01:00, the evening before the change
  });

  test('absent or null quiet hours change nothing, so histories planned before them replay identically', () => {
    const details = { ...base, startsAt: '2026-12-02T08:30:00+01:00' };
    const without = planReminders(details, { now: longBefore, firstSeq: 1 });
    expect(planReminders(details, { now: longBefore, firstSeq: 1, quietHours: null })).toEqual(without);
    expect(without.map((r) => r.sendAt)).toEqual(['2026-12-01T07:30:00.000Z', '2026-12-02T05:30:00.000Z']);
  });
});
