import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { eventually, inFuture, useTestSystem } from '../support/system';

// Exactly-once across worker crashes: the worker runs as a separate process (`worker.ts`,
// as in production) and is killed with SIGKILL, not shut down politely.

const ROOT = path.resolve(__dirname, '..', '..');
const system = useTestSystem({ worker: false });
const workers = new Set<ChildProcess>();

afterAll(() => {
  for (const child of workers) kill(child);
});

function startWorkerProcess(): ChildProcess {
  const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['worker.ts'], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      DATABASE_URL: system().databaseUrl,
      TEMPORAL_ADDRESS: system().config.temporal.address!,
      TEMPORAL_TASK_QUEUE: system().config.temporal.taskQueue,
      TWILIO_ACCOUNT_SID: system().twilio.accountSid,
      TWILIO_AUTH_TOKEN: system().twilio.authToken,
      TWILIO_API_BASE_URL: system().twilio.baseUrl,
      LOG_LEVEL: 'error',
    },
  });
  workers.add(child);
  return child;
}

/** SIGKILL the whole process group: tsx runs the worker in a child node process. */
function kill(child: ChildProcess): void {
  workers.delete(child);
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('a worker killed while a reminder is pending: the next worker sends it exactly once', async () => {
  const first = startWorkerProcess();
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
  kill(first);

  const dueAt = Date.parse(created.body.reminders[0].sendAt);
  await sleep(Math.max(0, dueAt - Date.now()) + 3_000);
  expect(system().twilio.messages).toHaveLength(0);

  const second = startWorkerProcess();
  await system().twilio.waitForMessages((m) => m.to === '+393471234567', 1, 60_000);
  const view = await eventually(async () => {
    const res = await system().api('GET', '/v1/appointments/KILL-1');
    return res.body.reminders?.[0]?.state === 'sent' && res.body;
  }, 30_000, 'the reminder to be recorded as sent');
  await sleep(3_000);
  expect(system().twilio.messages).toHaveLength(1);
  expect(await system().prisma.message.count({ where: { direction: 'outbound' } })).toBe(1);
  expect(view.status).toBe('awaiting_confirmation');
  kill(second);
});

test('a worker killed after Twilio accepted the SMS but before it was recorded does not send it again', async () => {
  const first = startWorkerProcess();
  // Twilio accepts the message but its answer never reaches the worker.
  system().twilio.failNext((form) => form.To === '+393471239999', { hang: true });
  const created = await system().api('POST', '/v1/appointments', {
    appointmentId: 'KILL-2',
    startsAt: inFuture(3_600_000),
    client: { name: 'Luca Verdi', phone: '+393471239999', smsConsent: true },
    reminders: [{ before: 'PT59M55S', channel: 'sms' }],
  });
  expect(created.status).toBe(201);
  await system().twilio.waitForMessages((m) => m.to === '+393471239999', 1, 30_000);
  const claimed = await system().prisma.message.findFirstOrThrow({ where: { to: '+393471239999' } });
  expect(claimed).toMatchObject({ status: 'sending', providerId: null });
  kill(first);

  const second = startWorkerProcess();
  // The retry comes after the activity's start-to-close timeout (30 s) expires.
  const row = await eventually(async () => {
    const message = await system().prisma.message.findFirst({ where: { to: '+393471239999' } });
    return message?.providerId ? message : null;
  }, 90_000, 'the retried activity to reconcile with Twilio');
  expect(row.providerId).toBe(system().twilio.messages.find((m) => m.to === '+393471239999')!.sid);
  expect(system().twilio.messages.filter((m) => m.to === '+393471239999')).toHaveLength(1);
  const view = await system().api('GET', '/v1/appointments/KILL-2');
  expect(view.body.reminders[0]).toMatchObject({ state: 'sent', messageId: row.id });
  kill(second);
}, 180_000);
