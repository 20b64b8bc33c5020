import type { AppointmentDetails } from '../../domain/appointment';
import { composeAppointmentLog, type LoggedMessage } from '../../domain/appointment-log';
import { cancelRefusal } from '../../domain/custom-message-status';
import { consentProblem, customMessageSchema, recipientOf, scheduleCustomMessage } from '../../domain/custom-message';

const details: AppointmentDetails = {
  startsAt: '2026-12-01T09:30:00+01:00',
  timeZone: 'Europe/Rome',
  client: { name: 'Maria Rossi', phone: '+393471234567', smsConsent: true, emailConsent: false },
  practitioner: { name: 'Dr. Bianchi', phone: '+393471112222', email: 'B@example.com' },
  reminders: [],
  recipients: 'client',
  remindersEnabled: true,
};

test('the recipient is the practitioner only when the address is theirs; consent is the client’s alone', () => {
  expect(recipientOf(details, 'sms', '+393471112222')).toBe('practitioner');
  expect(recipientOf(details, 'email', 'b@example.com')).toBe('practitioner');
  expect(recipientOf(details, 'sms', '+393479999999')).toBe('client');
  expect(recipientOf(null, 'sms', '+393471112222')).toBe('client');
  expect(consentProblem(details, 'client', 'sms')).toBeNull();
  expect(consentProblem(details, 'client', 'email')).toMatch(/not consented to email/);
  expect(consentProblem(details, 'practitioner', 'email')).toBeNull();
});

test('scheduling: now without sendAt, never at or after the linked appointment start', () => {
  const now = new Date('2026-11-30T10:00:00Z');
  const deadline = new Date('2026-12-01T08:30:00Z');
  const base = { now, quietHours: null, timeZone: 'Europe/Rome', deadline };
  expect(scheduleCustomMessage({ ...base, sendAt: undefined })).toEqual({ scheduledFor: now });
  expect(scheduleCustomMessage({ ...base, sendAt: '2026-11-30T18:00:00Z' })).toEqual({
    scheduledFor: new Date('2026-11-30T18:00:00Z'),
  });
  expect(scheduleCustomMessage({ ...base, sendAt: '2026-12-01T08:30:00Z' })).toEqual({
    refused: { path: 'sendAt', message: 'is not before the appointment starts' },
  });
  expect(scheduleCustomMessage({ ...base, now: deadline, sendAt: undefined })).toEqual({
    refused: { path: 'appointmentId', message: 'the appointment has already started' },
  });
  expect(scheduleCustomMessage({ ...base, deadline: null, sendAt: '2027-06-01T08:30:00Z' })).toEqual({
    scheduledFor: new Date('2027-06-01T08:30:00Z'),
  });
});

test('a cancel is accepted while scheduled (and again once cancelled), refused with the reason after', () => {
  expect(cancelRefusal('scheduled')).toBeNull();
  expect(cancelRefusal('cancelled')).toBeNull();
  expect(cancelRefusal('sending')).toMatch(/being sent/);
  expect(cancelRefusal('sent')).toMatch(/already been sent/);
  expect(cancelRefusal('skipped')).toMatch(/already ended \(skipped\)/);
});

test('the request: the address must suit the channel, an SMS body fits 1600 characters, a subject is for email', () => {
  const parsed = customMessageSchema.safeParse({
    to: 'a@example.com',
    channel: 'sms',
    body: 'x'.repeat(1601),
    subject: 'Hi',
  });
  expect(parsed.success).toBe(false);
  expect(parsed.error?.issues.map((i) => i.path.join('.'))).toEqual(['to', 'body', 'subject']);
  expect(customMessageSchema.safeParse({ to: ' +393471234567 ', channel: 'sms', body: 'Hi' }).data).toEqual({
    to: '+393471234567',
    channel: 'sms',
    body: 'Hi',
  });
});

test('the appointment log tells a custom message scheduled, sent and delivered, or cancelled, in words', () => {
  const message = (overrides: Partial<LoggedMessage>): LoggedMessage => ({
    id: 'm1',
    direction: 'outbound',
    channel: 'sms',
    purpose: 'custom',
    recipient: 'client',
    reminderId: null,
    keyword: null,
    needsReview: false,
    body: 'Please bring your documents.',
    createdAt: new Date('2026-11-29T10:00:00Z'),
    sentAt: null,
    errorMessage: null,
    statusHistory: [],
    scheduledFor: new Date('2026-11-30T08:00:00Z'),
    mediaUrls: [],
    ...overrides,
  });
  const sent = message({
    statusHistory: [
      { status: 'queued', at: '2026-11-30T08:00:01.000Z', errorCode: null },
      { status: 'delivered', at: '2026-11-30T08:00:05.000Z', errorCode: null },
    ],
  });
  const cancelled = message({
    id: 'm2',
    channel: 'email',
    statusHistory: [{ status: 'cancelled', at: '2026-11-29T12:00:00.000Z', errorCode: null }],
  });
  const log = composeAppointmentLog([], [sent, cancelled], 'Europe/Rome');
  expect(log.map((e) => [e.event, e.detail])).toEqual([
    ['message_scheduled', 'Custom text to client scheduled for Mon 30 Nov at 09:00'],
    ['message_scheduled', 'Custom email to client scheduled for Mon 30 Nov at 09:00'],
    ['message_cancelled', 'Custom email to client cancelled'],
    ['message_sent', 'Sent custom text to client'],
    ['message_delivered', 'Delivered (custom text to client)'],
  ]);
});

// Depends on the merge of the domain branch: applyQuietHours (domain/quiet-hours.ts) throws
// "not implemented" until then for any practice with quiet hours on.
test('quiet hours move a scheduled message before them, and refuse one that would miss its appointment (needs the domain branch)', () => {
  const quietHours = { start: '21:00', end: '08:00' };
  const now = new Date('2026-11-30T09:00:00Z'); // 10:00 in Rome
  const moved = scheduleCustomMessage({
    sendAt: '2026-11-30T21:30:00Z', // 22:30 in Rome
    now,
    quietHours,
    timeZone: 'Europe/Rome',
    deadline: null,
  });
  expect('scheduledFor' in moved && moved.scheduledFor <= new Date('2026-11-30T20:00:00Z')).toBe(true);
  expect('scheduledFor' in moved && moved.scheduledFor > now).toBe(true);

  const late = new Date('2026-11-30T21:00:00Z'); // 22:00 in Rome: the latest time before has passed
  expect(
    scheduleCustomMessage({
      sendAt: '2026-11-30T21:30:00Z',
      now: late,
      quietHours,
      timeZone: 'Europe/Rome',
      deadline: new Date('2026-12-01T06:30:00Z'), // 07:30 in Rome, before quiet hours end
    }),
  ).toEqual({ refused: { path: 'sendAt', message: expect.stringMatching(/quiet hours/) as unknown } });
});
