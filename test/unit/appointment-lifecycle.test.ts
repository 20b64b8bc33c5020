import { workflowIdFor, type AppointmentDetails } from '../../domain/appointment';
import { AppointmentLifecycle, LifecycleError } from '../../domain/appointment-lifecycle';

const details: AppointmentDetails = {
  startsAt: '2026-12-01T09:30:00+01:00',
  timeZone: 'Europe/Rome',
  client: { name: 'Maria Rossi', phone: '+393471234567', smsConsent: true, emailConsent: false },
  practitioner: { name: 'Dr. Bianchi', phone: '+393471112222' },
  reminders: [
    { before: 'P1D', channel: 'sms' },
    { before: 'PT2H', channel: 'sms' },
  ],
  recipients: 'client',
  remindersEnabled: true,
};
const now = new Date('2026-11-01T00:00:00Z');
const fresh = () => new AppointmentLifecycle('A-1', details, false, now);
const status = (l: AppointmentLifecycle) => l.view('wf', 'run').status;

test('scheduled → awaiting_confirmation once a client reminder is sent → confirmed skips the rest', () => {
  const l = fresh();
  expect(status(l)).toBe('scheduled');
  const first = l.nextDue()!;
  expect(l.beginSend(first.id)).not.toBeNull();
  l.markSent(first.id, 'msg-1');
  expect(status(l)).toBe('awaiting_confirmation');
  l.confirm(new Date('2026-11-30T09:00:00Z'), 'sms');
  const view = l.view('wf', 'run');
  expect(view.status).toBe('confirmed');
  expect(view.confirmation).toEqual({ at: '2026-11-30T09:00:00.000Z', via: 'sms' });
  expect(view.reminders.map((r) => [r.state, r.reason])).toEqual([
    ['sent', null],
    ['skipped', 'confirmed'],
  ]);
  expect(l.nextDue()).toBeNull();
});

test('every change bumps the version the workflow waits on', () => {
  const l = fresh();
  const before = l.version;
  l.optOut();
  expect(l.version).toBeGreaterThan(before);
});

test('opt-out skips pending client SMS; opt-in restores those still ahead', () => {
  const l = fresh();
  l.optOut();
  expect(status(l)).toBe('opted_out');
  expect(l.nextDue()).toBeNull();
  l.optIn(new Date('2026-11-15T00:00:00Z'));
  expect(status(l)).toBe('scheduled');
  expect(l.view('wf', 'run').reminders.every((r) => r.state === 'pending')).toBe(true);
});

test('a permanent failure of the only client reminders makes the appointment failed', () => {
  const l = fresh();
  for (const id of ['r1', 'r2']) {
    l.beginSend(id);
    l.markFailed(id, 'invalid_number', 'msg');
  }
  expect(status(l)).toBe('failed');
});

test('the start passing unconfirmed ends the lifecycle as unconfirmed', () => {
  const l = fresh();
  l.beginSend('r1');
  l.markSent('r1', 'm');
  l.end();
  expect(l.isClosed).toBe(true);
  expect(status(l)).toBe('unconfirmed');
  expect(l.view('wf', 'run').reminders[1]).toMatchObject({ state: 'skipped', reason: 'past_due' });
});

test('cancel cancels pending reminders, is idempotent, and closes the appointment to changes', () => {
  const l = fresh();
  l.cancel(now, 'patient called');
  l.cancel(now, 'again');
  const view = l.view('wf', 'run');
  expect(view.status).toBe('cancelled');
  expect(view.cancellation).toEqual({ at: now.toISOString(), reason: 'patient called' });
  expect(view.reminders.every((r) => r.state === 'cancelled' && r.reason === 'appointment_cancelled')).toBe(true);
  expect(() => l.confirm(now, 'staff')).toThrow(LifecycleError);
  expect(() => l.checkReschedule({ location: 'x' }, now)).toThrow(/cancelled/);
});

test('rescheduling to a new time voids pending reminders and the confirmation and plans afresh', () => {
  const l = fresh();
  l.beginSend('r1');
  l.markSent('r1', 'm');
  l.confirm(now, 'staff');
  l.reschedule({ startsAt: '2026-12-03T15:00:00+01:00' }, new Date('2026-11-30T10:00:00Z'));
  const view = l.view('wf', 'run');
  expect(view.status).toBe('scheduled');
  expect(view.confirmation).toBeNull();
  expect(view.reminders.map((r) => [r.id, r.state, r.reason, r.sendAt])).toEqual([
    ['r1', 'sent', null, '2026-11-30T08:30:00.000Z'],
    ['r2', 'skipped', 'confirmed', '2026-12-01T06:30:00.000Z'],
    ['r3', 'pending', null, '2026-12-02T14:00:00.000Z'],
    ['r4', 'pending', null, '2026-12-03T12:00:00.000Z'],
  ]);
});

test('a reminder in flight is not touched by a concurrent cancel', () => {
  const l = fresh();
  l.beginSend('r1');
  l.cancel(now, null);
  l.markSent('r1', 'm');
  expect(l.view('wf', 'run').reminders.map((r) => r.state)).toEqual(['sent', 'cancelled']);
});

test('a reschedule into the past is refused, naming the field', () => {
  expect(() => fresh().checkReschedule({ startsAt: '2026-10-01T09:00:00Z' }, now)).toThrow(/past/);
  try {
    fresh().checkReschedule({ startsAt: '2026-10-01T09:00:00Z' }, now);
  } catch (err) {
    expect(err).toMatchObject({ type: 'InvalidChange', field: 'startsAt' });
  }
});

test('workflow ids follow the contract: appointment/<practiceId>/<appointmentId>', () => {
  expect(workflowIdFor('clinic', 'A-1001')).toBe('appointment/clinic/A-1001');
});

test('consent withdrawn after planning blocks the reminder when it is due', () => {
  const l = fresh();
  l.reschedule({ client: { smsConsent: false } }, now);
  expect(l.beginSend('r1')).toBeNull();
  expect(l.view('wf', 'run').reminders[0]).toMatchObject({ state: 'skipped', reason: 'no_consent' });
});

test('a client who opted out or withdrew consent is not texted a cancellation notice', () => {
  const l = fresh();
  expect(l.clientTextable).toBe(true);
  l.optOut();
  expect(l.clientTextable).toBe(false);
  const noConsent = fresh();
  noConsent.reschedule({ client: { smsConsent: false } }, now);
  expect(noConsent.clientTextable).toBe(false);
  const disabled = new AppointmentLifecycle('A-2', { ...details, remindersEnabled: false }, false, now);
  expect(disabled.clientTextable).toBe(true);
});

test('START brings back only reminders of the current plan, never those a reschedule replaced', () => {
  const l = fresh();
  l.optOut();
  l.reschedule({ startsAt: '2026-12-08T09:30:00+01:00' }, now);
  l.optIn(now);
  const reminders = l.view('wf', 'run').reminders;
  expect(reminders.map((r) => [r.id, r.state, r.reason])).toEqual([
    ['r1', 'skipped', 'opted_out'],
    ['r2', 'skipped', 'opted_out'],
    ['r3', 'pending', null],
    ['r4', 'pending', null],
  ]);
  expect(l.nextDue()?.id).toBe('r3');
});

test("a new phone brings its own opt-out state: the old number's STOP does not follow the client", () => {
  const l = fresh();
  l.optOut();
  l.reschedule({ client: { phone: '+393479999999' }, clientPhoneOptedOut: false }, now);
  expect(l.view('wf', 'run').status).toBe('scheduled');
  expect(l.view('wf', 'run').reminders.map((r) => [r.state, r.reason])).toEqual([
    ['pending', null],
    ['pending', null],
  ]);

  l.reschedule({ client: { phone: '+393478888888' }, clientPhoneOptedOut: true }, now);
  expect(l.view('wf', 'run').status).toBe('opted_out');
  expect(l.view('wf', 'run').reminders.map((r) => [r.state, r.reason])).toEqual([
    ['skipped', 'opted_out'],
    ['skipped', 'opted_out'],
  ]);
});
