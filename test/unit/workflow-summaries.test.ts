import type { AppointmentView, Reminder } from '../../domain/appointment';
import {
  appointmentCurrentDetails,
  appointmentWorkflowDetails,
  appointmentWorkflowSummary,
  customMessageCurrentDetails,
  customMessageWorkflowSummary,
  describeBefore,
  reminderLabel,
  waitSummary,
} from '../../domain/workflow-summaries';

const PHONE = '+393471234567';
const EMAIL = 'maria.rossi@example.com';

function reminder(overrides: Partial<Reminder>): Reminder {
  return {
    id: 'r1',
    channel: 'sms',
    recipient: 'client',
    before: 'P1D',
    sendAt: '2026-11-30T08:30:00.000Z',
    state: 'pending',
    messageId: null,
    reason: null,
    fallbackFrom: null,
    ...overrides,
  };
}

function view(overrides: Partial<AppointmentView>): AppointmentView {
  return {
    appointmentId: 'A-1001',
    status: 'scheduled',
    startsAt: '2026-12-01T09:30:00.000+01:00',
    timeZone: 'Europe/Rome',
    location: null,
    client: { name: 'Maria Rossi', phone: PHONE, email: EMAIL, smsConsent: true, emailConsent: true },
    practitioner: null,
    recipients: 'client',
    remindersEnabled: true,
    confirmation: null,
    cancellation: null,
    reminders: [],
    workflowId: 'appointment/clinic/A-1001',
    runId: 'run',
    ...overrides,
  };
}

const facts = {
  practiceId: 'clinic',
  practiceName: 'Studio Bianchi',
  appointmentId: 'A-1001',
  startsAt: '2026-12-01T09:30:00.000+01:00',
  timeZone: 'Europe/Rome',
  clientName: 'Maria Rossi',
};

test('the workflow summary names practice, appointment, local start and initials, nothing more', () => {
  expect(appointmentWorkflowSummary(facts)).toBe(
    'Studio Bianchi · A-1001 · Tue 1 Dec at 09:30 (Europe/Rome) · client M. R.',
  );
  const details = appointmentWorkflowDetails({
    ...facts,
    reminders: [
      { before: 'P1D', channel: 'sms' },
      { before: 'PT2H', channel: 'email' },
    ],
  });
  expect(details).toContain('**Reminders booked:** SMS 1 day before, email 2 hours before');
  expect(details).not.toContain('Maria');
});

test('a rule reads as written: days, hours and minutes', () => {
  expect(describeBefore('P1D')).toBe('1 day');
  expect(describeBefore('PT2H')).toBe('2 hours');
  expect(describeBefore('PT1H30M')).toBe('1 hour 30 minutes');
  expect(describeBefore('PT0S')).toBe('at once');
});

test('timers and sends say which reminder, how far ahead, on which channel, to whom', () => {
  const r1 = reminder({});
  expect(reminderLabel(r1)).toBe('reminder r1: 1 day before, SMS to client');
  expect(reminderLabel(reminder({ channel: 'email', fallbackFrom: 'sms' }))).toBe(
    'fallback r1: email to client (the SMS failed)',
  );
  expect(reminderLabel(reminder({ id: 'r3', manual: true, before: 'PT0S' }))).toBe(
    'reminder r3: asked for by staff, SMS to client',
  );
  expect(waitSummary(r1, view({}))).toBe('reminder r1: 1 day before, SMS to client, due Mon 30 Nov at 09:30');
  expect(waitSummary(null, view({}))).toBe('appointment starts Tue 1 Dec at 09:30: no reminder left before it');
});

test('the current details say status, next reminder, last outcome, confirmation and cancellation', () => {
  const running = appointmentCurrentDetails(
    view({
      status: 'awaiting_confirmation',
      reminders: [
        reminder({ state: 'failed', reason: 'invalid_number' }),
        reminder({ id: 'r2', before: 'PT2H', sendAt: '2026-12-01T06:30:00.000Z' }),
      ],
    }),
    false,
  );
  expect(running).toBe(
    [
      '**Status:** `awaiting_confirmation`, starts Tue 1 Dec at 09:30 (Europe/Rome)',
      '**Next:** reminder r2: 2 hours before, SMS to client, at Tue 1 Dec at 07:30',
      '**Last outcome:** reminder r1: 1 day before, SMS to client: failed, the phone number is not valid',
      '**Reminders:** r1 SMS to client: failed (invalid_number) · r2 SMS to client: pending',
    ].join('  \n'),
  );
  const ended = appointmentCurrentDetails(
    view({
      status: 'cancelled',
      confirmation: { at: '2026-11-30T09:00:00.000Z', via: 'sms' },
      cancellation: { at: '2026-11-30T10:00:00.000Z', reason: 'client called' },
    }),
    true,
  );
  expect(ended).toContain('**Status:** `cancelled` (ended)');
  expect(ended).not.toContain('**Next:**');
  expect(ended).toContain('**Confirmed:** by the client (text reply), Mon 30 Nov at 10:00');
  expect(ended).toContain('**Cancelled:** Mon 30 Nov at 11:00: client called');
  for (const text of [running, ended]) {
    expect(text).not.toContain(PHONE);
    expect(text).not.toContain(EMAIL);
    expect(text).not.toContain('Maria');
  }
});

test('a custom message says what it is, when it is due and how it ended', () => {
  const message = {
    practiceId: 'clinic',
    practiceName: 'Studio Bianchi',
    channel: 'sms' as const,
    recipient: 'client' as const,
    scheduledFor: '2026-12-01T08:30:00.000Z',
    timeZone: 'Europe/Rome',
    appointmentId: 'A-1001',
  };
  expect(customMessageWorkflowSummary(message)).toBe(
    'Studio Bianchi · custom SMS to client · due Tue 1 Dec at 09:30 (Europe/Rome) · appointment A-1001',
  );
  expect(customMessageCurrentDetails(message, 'skipped', 'opted_out')).toBe(
    '**Status:** `skipped`, the client opted out of texts (STOP)  \n' +
      '**Message:** custom SMS to client, due Tue 1 Dec at 09:30 (Europe/Rome)',
  );
});
