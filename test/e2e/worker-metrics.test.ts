import { parsePrometheusText, sampleValue } from '../support/prometheus-text';
import { eventually, inFuture, useTestSystem } from '../support/system';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';

// The worker as production runs it (worker.ts in a process of its own) serves /metrics on its
// ops port: its product metrics, counted by its activities and its workflows' decisions, and
// the Temporal SDK's own worker metrics, in one valid exposition.

const system = useTestSystem({ worker: false });
let worker: WorkerProcess | undefined;

afterAll(() => worker?.kill());

test("the worker's /metrics carries its reminders and the Temporal SDK's worker metrics", async () => {
  worker = startWorkerProcess(system(), { logLevel: 'info' });
  const httpPort = await eventually(
    () => {
      const started = worker!
        .stdout()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { msg: string; httpPort?: number })
        .find((line) => line.msg === 'worker started');
      return Promise.resolve(started?.httpPort);
    },
    60_000,
    "the worker's 'worker started' line",
  );

  const phone = '+393471239101';
  const created = await system().api('POST', '/v1/appointments', {
    appointmentId: 'WMET-1',
    startsAt: inFuture(3_600_000),
    client: { name: 'Giulia Neri', phone, smsConsent: true },
    reminders: [{ before: 'PT59M57S', channel: 'sms' }],
  });
  expect(created.status).toBe(201);
  await system().twilio.waitForMessages((m) => m.to === phone, 1, 30_000);

  const scrape = async () => {
    const response = await fetch(`http://127.0.0.1:${httpPort}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parsePrometheusText(await response.text());
  };
  const exposition = await eventually(async () => {
    const current = await scrape();
    return sampleValue(current, 'reminders_messages_sent_total', { channel: 'sms', purpose: 'reminder' }) === 1
      ? current
      : null;
  });
  expect(
    sampleValue(exposition, 'reminders_planned_total', { channel: 'sms', recipient: 'client', trigger: 'schedule' }),
  ).toBe(1);
  expect(exposition.types.get('process_cpu_seconds_total')).toBe('counter');

  // The SDK's own, from its Runtime's Prometheus exporter: pollers, slots, task latencies.
  const temporal = [...new Set(exposition.samples.map((s) => s.name).filter((n) => n.startsWith('temporal_')))];
  expect(temporal).toEqual(
    expect.arrayContaining([
      'temporal_worker_task_slots_available',
      'temporal_activity_execution_latency_bucket',
      'temporal_workflow_task_execution_latency_bucket',
    ]),
  );
  const taskQueue = system().config.temporal.taskQueue;
  expect(exposition.samples.some((s) => s.name.startsWith('temporal_') && s.labels.task_queue === taskQueue)).toBe(
    true,
  );
});
