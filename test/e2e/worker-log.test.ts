import { workflowIdFor } from '../../domain/appointment';
import { eventually, inFuture, useTestSystem } from '../support/system';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';

// A worker's log tells each appointment's story: the workflow logs when it plans, sends,
// learns a result, confirms and ends, on JSON lines carrying the workflow id, while the SDK's
// own chatter (the bundler's report, worker state changes) stays below LOG_LEVEL=info.

const system = useTestSystem({ worker: false });
let worker: WorkerProcess | undefined;

afterAll(() => worker?.kill());

interface LogLine {
  msg: string;
  level: number;
  workflowId?: string;
  sdkComponent?: string;
}

test('the worker log shows the plan, the send, its result, the confirmation, the cancellation and the end', async () => {
  worker = startWorkerProcess(system(), { logLevel: 'info' });
  const phone = '+393471235555';
  const created = await system().api('POST', '/v1/appointments', {
    appointmentId: 'LOG-1',
    startsAt: inFuture(3_600_000),
    client: { name: 'Giulia Neri', phone, smsConsent: true },
    reminders: [{ before: 'PT59M57S', channel: 'sms' }],
  });
  expect(created.status).toBe(201);
  await system().twilio.waitForMessages((m) => m.to === phone, 1, 30_000);
  await eventually(
    async () => (await system().api('GET', '/v1/appointments/LOG-1')).body.reminders[0].state === 'sent',
  );
  expect((await system().api('POST', '/v1/appointments/LOG-1/confirm')).status).toBe(200);
  await eventually(async () => (await system().api('GET', '/v1/appointments/LOG-1')).body.status === 'confirmed');

  const workflowId = workflowIdFor(system().practiceId, 'LOG-1');
  const story = () =>
    worker!
      .stdout()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine)
      .filter((line) => line.workflowId === workflowId && line.sdkComponent === 'workflow')
      .map((line) => line.msg);
  expect((await system().api('POST', '/v1/appointments/LOG-1/cancel', { reason: 'test' })).status).toBe(200);
  await eventually(() => Promise.resolve(story().includes('Ended')), 40_000, 'the workflow to log its end');
  expect(story()).toEqual([
    'Reminders planned',
    'Sending reminder',
    'Reminder sent',
    'Confirmed by staff',
    'Cancelled',
    'Ended',
  ]);

  const output = worker.stdout();
  expect(output).not.toContain('asset workflow-bundle');
  expect(output).not.toContain('Worker state changed');
  expect(output).not.toContain(phone);
}, 120_000);
