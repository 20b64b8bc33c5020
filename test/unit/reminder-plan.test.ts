import type { AppointmentDetails } from '../../domain/appointment';
import { planReminders } from '../../domain/reminder-plan';
import { reminderRuleSchema } from '../../domain/fields';

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
