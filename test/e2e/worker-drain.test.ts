import { SHUTDOWN_DEADLINE_MS } from '../../lib/shutdown';
import { eventually, inFuture, useTestSystem } from '../support/system';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';

// A worker stopped by its orchestrator (SIGTERM) in the middle of a send lets that send finish
// and record its result before it exits, instead of abandoning it to a retry elsewhere.

const system = useTestSystem({ worker: false });
let worker: WorkerProcess | undefined;

afterAll(() => worker?.kill());

const PHONE = '+393478880001';
const TWILIO_DELAY_MS = 4_000;

test('a worker given SIGTERM while Twilio is answering a send finishes that send, records it, and exits 0', async () => {
  worker = startWorkerProcess(system(), { logLevel: 'info', captureStderr: true });
  const current = worker;
  await eventually(
    () => Promise.resolve(current.stdout().includes('"worker started"')),
    120_000,
    'the worker to start',
  );
  system().twilio.failNext((form) => form.To === PHONE, { delayMs: TWILIO_DELAY_MS });
  const created = await system().api('POST', '/v1/appointments', {
    appointmentId: 'DRAIN-1',
    startsAt: inFuture(3_600_000),
    client: { name: 'Paolo Neri', phone: PHONE, smsConsent: true },
    reminders: [{ before: 'PT59M55S', channel: 'sms' }],
  });
  expect(created.status).toBe(201);
  const [sent] = await system().twilio.waitForMessages((m) => m.to === PHONE, 1, 60_000);

  const exit = await current.terminate();
  expect(exit).toMatchObject({ code: 0, signal: null });
  // It waited for Twilio's answer, well inside its deadline.
  expect(exit.ms).toBeGreaterThan(TWILIO_DELAY_MS / 2);
  expect(exit.ms).toBeLessThan(SHUTDOWN_DEADLINE_MS);
  const row = await system().prisma.message.findFirstOrThrow({ where: { to: PHONE } });
  expect(row.providerId).toBe(sent.sid);

  // The send ran once, on its first attempt, and completed: nothing left for another worker.
  const history = await system().temporal.workflow.getHandle('appointment/clinic/DRAIN-1').fetchHistory();
  const events = history.events ?? [];
  const started = events
    .filter((e) => e.activityTaskStartedEventAttributes)
    .map((e) => e.activityTaskStartedEventAttributes!);
  expect(started.every((attributes) => attributes.attempt === 1)).toBe(true);
  expect(events.filter((e) => e.activityTaskCompletedEventAttributes)).toHaveLength(started.length);
  expect(system().twilio.messages.filter((m) => m.to === PHONE)).toHaveLength(1);
}, 180_000);
