import { Client, Connection } from '@temporalio/client';
import { freePort } from '../../devenv/ports';
import { eventually, inFuture, useTestSystem } from '../support/system';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';

// The worker process, as production runs it, delivers what the API could not: a reply that
// came while the API's Temporal was unreachable reaches its workflow through the outbox.

const system = useTestSystem({ worker: false });
let worker: WorkerProcess | undefined;

afterAll(() => worker?.kill());

test('a "C" answered while the API could not reach Temporal reaches the workflow through the worker process', async () => {
  worker = startWorkerProcess(system());
  const phone = '+393471236666';
  const created = await system().api('POST', '/v1/appointments', {
    appointmentId: 'HK-1',
    startsAt: inFuture(3 * 24 * 3_600_000),
    client: { name: 'Giulia Neri', phone, smsConsent: true },
  });
  expect(created.status).toBe(201);

  // Nothing listens on this port: every Temporal call of this API fails at once.
  const connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}` });
  const api = await system().startApi(new Client({ connection, namespace: 'default' }));
  try {
    expect((await api.inboundSms({ From: phone, Body: 'C' })).status).toBe(200);
  } finally {
    await api.stop();
    await connection.close();
  }
  expect((await system().api('GET', '/v1/appointments/HK-1')).body.status).toBe('scheduled');

  await eventually(
    async () => (await system().api('GET', '/v1/appointments/HK-1')).body.status === 'confirmed',
    40_000,
    'the worker to deliver the stored reply',
  );
});
