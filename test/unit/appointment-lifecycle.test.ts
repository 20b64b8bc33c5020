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
  l.optOut('reply', 'STOP');
  expect(l.version).toBeGreaterThan(before);
});

test('opt-out skips pending client SMS; opt-in restores those still ahead', () => {
  const l = fresh();
  l.optOut('reply', 'STOP');
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

test('a client who opted out or withdrew consent is not texted a cancellation notice; email when allowed', () => {
  const l = fresh();
  expect(l.noticeChannel).toBe('sms');
  l.optOut('reply', 'STOP');
  expect(l.noticeChannel).toBeNull();
  const noConsent = fresh();
  noConsent.reschedule({ client: { smsConsent: false } }, now);
  expect(noConsent.noticeChannel).toBeNull();
  const disabled = new AppointmentLifecycle('A-2', { ...details, remindersEnabled: false }, false, now);
  expect(disabled.noticeChannel).toBe('sms');
  const withEmail = { ...details, client: { ...details.client, email: 'maria@example.com', emailConsent: true } };
  const emailOnly = new AppointmentLifecycle('A-3', withEmail, true, now, undefined, { channels: ['sms', 'email'] });
  expect(emailOnly.noticeChannel).toBe('email');
  // A run from before email existed never emails.
  expect(
    new AppointmentLifecycle('A-4', withEmail, true, now, undefined, { channels: ['sms'] }).noticeChannel,
  ).toBeNull();
});

test('START brings back only reminders of the current plan, never those a reschedule replaced', () => {
  const l = fresh();
  l.optOut('reply', 'STOP');
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
  l.optOut('reply', 'STOP');
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

describe('a reminder being sent when something changes', () => {
  const inFlight = () => {
    const l = fresh();
    l.beginSend('r1');
    return l;
  };

  test.each([
    ['cancel', (l: AppointmentLifecycle) => l.cancel(now, null), ['cancelled', 'appointment_cancelled']],
    ['confirm', (l: AppointmentLifecycle) => l.confirm(now, 'staff'), ['skipped', 'confirmed']],
    ['opt-out', (l: AppointmentLifecycle) => l.optOut('reply', 'STOP'), ['skipped', 'opted_out']],
  ] as const)('%s supersedes it; once stopped it settles as the change says', (_name, change, [state, reason]) => {
    const l = inFlight();
    expect(l.inFlightSuperseded).toBe(false);
    change(l);
    expect(l.inFlightSuperseded).toBe(true);
    expect(l.resumeInFlight('r1')).toBe(false);
    expect(l.view('wf', 'run').reminders[0]).toMatchObject({ state, reason });
  });

  test('the gateway took it before the stop: it is sent, whatever came meanwhile', () => {
    const l = inFlight();
    l.cancel(now, null);
    l.markSent('r1', 'msg-1');
    expect(l.view('wf', 'run').reminders[0]).toMatchObject({ state: 'sent', reason: null });
    expect(l.inFlightSuperseded).toBe(false);
  });

  test('a START after the STOP lets it go on; new details only are resent, unless they block it', () => {
    const l = inFlight();
    l.optOut('reply', 'STOP');
    l.optIn(now);
    expect(l.inFlightSuperseded).toBe(false);
    expect(l.resumeInFlight('r1')).toBe(true);
    l.reschedule({ client: { smsConsent: false } }, now);
    expect(l.resumeInFlight('r1')).toBe(false);
    expect(l.view('wf', 'run').reminders[0]).toMatchObject({ state: 'skipped', reason: 'no_consent' });
  });
});

describe('replies', () => {
  const at = (minute: number) => new Date(Date.UTC(2026, 10, 2, 0, minute)).toISOString();
  const reply = (intent: 'confirm' | 'opt_out' | 'opt_in', messageId: string, minute: number, from?: string) => ({
    intent,
    keyword: intent,
    messageId,
    receivedAt: at(minute),
    ...(from ? { from } : {}),
  });

  test('each message applies once; an older opt-in or opt-out than the last one applied is stale', () => {
    const l = fresh();
    expect(l.applyReply(reply('opt_out', 'm2', 2), now)).toBe('applied');
    expect(l.applyReply(reply('opt_in', 'm1', 1), now)).toBe('stale');
    expect(status(l)).toBe('opted_out');
    expect(l.applyReply(reply('opt_in', 'm3', 3), now)).toBe('applied');
    expect(l.applyReply(reply('opt_out', 'm2', 2), now)).toBe('duplicate');
    expect(status(l)).toBe('scheduled');
  });

  test("opt-outs count only from the client's current number; a confirmation of a closed appointment does nothing", () => {
    const l = fresh();
    expect(l.applyReply(reply('opt_out', 'm1', 1, '+393470000009'), now)).toBe('other_number');
    expect(status(l)).toBe('scheduled');
    l.cancel(now, null);
    expect(l.applyReply(reply('confirm', 'm2', 2), now)).toBe('closed');
  });
});

test('a snapshot carries everything into a new lifecycle, which goes on where the old one stood', () => {
  const l = fresh();
  l.beginSend('r1');
  expect(() => l.snapshot()).toThrow(/being sent/);
  l.markSent('r1', 'msg-1');
  l.applyReply({ intent: 'opt_out', keyword: 'STOP', messageId: 'm1', receivedAt: now.toISOString() }, now);
  const carried = new AppointmentLifecycle('A-1', details, false, new Date(0), l.snapshot());
  expect(carried.view('wf', 'run2')).toEqual({ ...l.view('wf', 'run'), runId: 'run2' });
  expect(carried.applyReply({ intent: 'opt_out', keyword: 'STOP', messageId: 'm1', receivedAt: '' }, now)).toBe(
    'duplicate',
  );
  carried.reschedule({ startsAt: '2026-12-02T09:30:00+01:00' }, now);
  expect(carried.view('wf', 'run2').reminders.map((r) => r.id)).toEqual(['r1', 'r2', 'r3', 'r4']);
});

test('a manual reminder is refused once the appointment is cancelled or has started, and ignores the reminders switch', () => {
  const cancelled = fresh();
  cancelled.cancel(now, null);
  expect(() => cancelled.remindNow('sms', now)).toThrow(
    new LifecycleError('AppointmentClosed', 'The appointment is cancelled.'),
  );
  const started = fresh();
  expect(() => started.checkRemind('sms', new Date('2026-12-01T09:30:00+01:00'))).toThrow(/already started/);
  const off = new AppointmentLifecycle('A-2', { ...details, remindersEnabled: false }, false, now);
  const manual = off.remindNow('sms', now);
  expect(manual).toMatchObject({ id: 'r3', state: 'pending', manual: true, sendAt: now.toISOString() });
  expect(off.nextDue()?.id).toBe('r3');
  expect(off.beginSend('r3')).not.toBeNull();
});
