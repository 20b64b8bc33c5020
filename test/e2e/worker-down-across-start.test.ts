import { eventually, useTestSystem } from '../support/system';

// Never late: a reminder whose time passes while no worker runs, and whose appointment has
// started by the time a worker is back, is never sent; it ends skipped with `too_late`.

const system = useTestSystem();
const PHONE = '+393471236666';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('a worker down across the start sends nothing when it comes back: the reminder is too_late', async () => {
  const startsAt = Date.now() + 12_000;
  const created = await system().api('POST', '/v1/appointments', {
    appointmentId: 'LATE-1',
    startsAt: new Date(startsAt).toISOString(),
    client: { name: 'Paolo Gialli', phone: PHONE, smsConsent: true },
    reminders: [{ before: 'PT6S', channel: 'sms' }],
  });
  expect(created.status).toBe(201);
  await system().stopWorker();

  // The reminder falls due (6 s) and the appointment starts (12 s) with no worker running.
  await sleep(Math.max(0, startsAt - Date.now()) + 2_000);
  await system().startWorker();

  const view = await eventually(
    async () => {
      const res = await system().api('GET', '/v1/appointments/LATE-1');
      return res.body.status === 'unconfirmed' && res.body;
    },
    30_000,
    'the appointment to end',
  );
  expect(view.reminders).toEqual([expect.objectContaining({ id: 'r1', state: 'skipped', reason: 'too_late' })]);
  expect(system().twilio.messages.filter((m) => m.to === PHONE)).toHaveLength(0);
});
