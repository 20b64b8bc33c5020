import { eventually, inFuture, useTestSystem } from '../support/system';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';

// Exactly-once across worker crashes: the worker runs as a separate process (`worker.ts`,
// as in production) and is killed with SIGKILL, not shut down politely.

const system = useTestSystem({ worker: false });
const workers = new Set<WorkerProcess>();

afterAll(() => {
  for (const worker of workers) worker.kill();
});

function startWorker(): WorkerProcess {
  const worker = startWorkerProcess(system());
  workers.add(worker);
  return worker;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('a worker killed while a reminder is pending: the next worker sends it exactly once', async () => {
  const first = startWorker();
  // A create answers with a query, so it returns only once the worker is serving; warming up
  // with an appointment that sends nothing keeps a slow worker start out of the timing below.
  const warmUp = await system().api('POST', '/v1/appointments', {
    appointmentId: 'WARM-UP',
    startsAt: inFuture(3_600_000),
    client: { name: 'Warm Up', phone: '+393471230001', smsConsent: true },
    remindersEnabled: false,
  });
  expect(warmUp.status).toBe(201);
  const created = await system().api('POST', '/v1/appointments', {
    appointmentId: 'KILL-1',
    startsAt: inFuture(3_600_000),
    client: { name: 'Maria Rossi', phone: '+393471234567', smsConsent: true },
    reminders: [{ before: 'PT59M45S', channel: 'sms' }], // due 15 s from now
  });
  expect(created.status).toBe(201);
  first.kill();

  const dueAt = Date.parse(created.body.reminders[0].sendAt);
  await sleep(Math.max(0, dueAt - Date.now()) + 3_000);
  expect(system().twilio.messages).toHaveLength(0);

  const second = startWorker();
  await system().twilio.waitForMessages((m) => m.to === '+393471234567', 1, 60_000);
  const view = await eventually(
    async () => {
      const res = await system().api('GET', '/v1/appointments/KILL-1');
      return res.body.reminders?.[0]?.state === 'sent' && res.body;
    },
    30_000,
    'the reminder to be recorded as sent',
  );
  await sleep(3_000);
  expect(system().twilio.messages).toHaveLength(1);
  expect(await system().prisma.message.count({ where: { direction: 'outbound' } })).toBe(1);
  expect(view.status).toBe('awaiting_confirmation');
  second.kill();
});

test('a worker killed after Twilio accepted the SMS but before it was recorded: the next worker adopts it in time, never sends it again', async () => {
  const first = startWorker();
  // Twilio accepts the message but its answer never reaches the worker.
  system().twilio.failNext((form) => form.To === '+393471239999', { hang: true });
  const created = await system().api('POST', '/v1/appointments', {
    appointmentId: 'KILL-2',
    // Due in 5 s, and the appointment starts 50 s later: the crashed attempt must be noticed
    // (heartbeat timeout) well before its 60 s start-to-close would end it.
    startsAt: inFuture(55_000),
    client: { name: 'Luca Verdi', phone: '+393471239999', smsConsent: true },
    reminders: [{ before: 'PT50S', channel: 'sms' }],
  });
  expect(created.status).toBe(201);
  await system().twilio.waitForMessages((m) => m.to === '+393471239999', 1, 30_000);
  const claimed = await system().prisma.message.findFirstOrThrow({ where: { to: '+393471239999' } });
  expect(claimed).toMatchObject({ status: 'sending', providerId: null });
  first.kill();

  const second = startWorker();
  const row = await eventually(
    async () => {
      const message = await system().prisma.message.findFirst({ where: { to: '+393471239999' } });
      return message?.providerId ? message : null;
    },
    90_000,
    'the retried activity to reconcile with Twilio',
  );
  expect(row.providerId).toBe(system().twilio.messages.find((m) => m.to === '+393471239999')!.sid);
  expect(system().twilio.messages.filter((m) => m.to === '+393471239999')).toHaveLength(1);
  const view = await system().api('GET', '/v1/appointments/KILL-2');
  expect(view.body.reminders[0]).toMatchObject({ state: 'sent', messageId: row.id });
  second.kill();
}, 180_000);
