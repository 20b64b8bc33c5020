import { SHUTDOWN_DEADLINE_MS } from '../../lib/shutdown';
import { startClusterLoad, startProcessCluster, type ProcessCluster } from '../support/process-cluster';
import { NO_ANSWER } from '../support/steady-load';
import { judgeSteadyLoad, KEPT_EVERY_PROMISE } from '../support/steady-load-verdict';
import { inFuture, useTestSystem } from '../support/system';
import type { ProcessExit } from '../support/worker-process';

// A rolling deploy: two API replicas and two workers, real processes on one database and task
// queue, each stopped with SIGTERM (as Kubernetes and compose stop them) and replaced one at a
// time while creates and replies keep coming. Graceful means: the replica left the load
// balancer first and then finished what it had; the worker finished its activities; each exited
// 0 well inside the orchestrator's 30 s; and no create, reminder or reply was lost or doubled.

const system = useTestSystem({ worker: false });
let cluster: ProcessCluster | undefined;

beforeAll(async () => {
  cluster = await startProcessCluster(system(), { apis: 2, workers: 2 });
}, 180_000);

afterAll(async () => {
  await cluster?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function expectGraceful(exit: ProcessExit): void {
  expect(exit).toMatchObject({ code: 0, signal: null });
  expect(exit.ms).toBeLessThan(SHUTDOWN_DEADLINE_MS);
}

test('a rolling restart of every API replica and worker under steady creates and replies loses and doubles nothing', async () => {
  const processes = cluster!;
  const load = startClusterLoad(processes, system(), 'ROLL');
  await sleep(4_000);
  const exits = [];
  exits.push(await processes.restartWorker(0));
  exits.push(await processes.restartApi(0));
  exits.push(await processes.restartWorker(1));
  exits.push(await processes.restartApi(1));
  await sleep(3_000);
  await load.finish(90_000);

  for (const exit of exits) expectGraceful(exit);
  const verdict = await judgeSteadyLoad(load, system());
  expect(verdict).toMatchObject(KEPT_EVERY_PROMISE);
  // Each replica left the load balancer before its SIGTERM: no request was refused or cut (a
  // client giving up on a slow answer, on a loaded machine, is retried and is not a cut).
  expect(verdict.connectionErrors.filter((error) => !error.includes(NO_ANSWER))).toEqual([]);
  expect(verdict.creates).toBeGreaterThanOrEqual(30);
  expect(verdict.replies).toBe(verdict.creates);

  // Each step of the shutdown is logged, in order.
  const log = processes.output();
  for (const step of ['worker stopping', 'housekeeping stopped', 'worker: activities finished', 'worker stopped']) {
    expect(log).toContain(`"msg":"${step}"`);
  }
  for (const step of ['API stopping', 'HTTP: all connections closed', 'API stopped']) {
    expect(log).toContain(`"msg":"${step}"`);
  }
}, 240_000);

test('a request under way when its replica gets SIGTERM is answered, then the replica exits 0', async () => {
  const processes = cluster!;
  // Frozen workers (SIGSTOP): a read of the appointment waits for its workflow to answer the
  // query behind it (a create no longer waits for the worker).
  const signalWorkers = (signal: NodeJS.Signals) => {
    for (const worker of processes.workers) process.kill(worker.child.pid!, signal);
  };
  signalWorkers('SIGSTOP');
  const api = processes.apis[0];
  const created = await system().api(
    'POST',
    '/v1/appointments',
    {
      appointmentId: 'IN-FLIGHT',
      startsAt: inFuture(3_600_000),
      client: { name: 'Anna Bianchi', phone: '+393479990001', smsConsent: true },
      remindersEnabled: false,
    },
    { baseUrl: api.baseUrl },
  );
  expect(created.status).toBe(201);
  const answered = system()
    .api('GET', '/v1/appointments/IN-FLIGHT', undefined, { baseUrl: api.baseUrl })
    .then((res) => ({ status: res.status, at: Date.now() }));
  await sleep(1_000);
  const stopping = api.terminate().then((exit) => ({ ...exit, at: Date.now() }));
  await sleep(1_000);
  // The replica refuses new connections while it finishes the one under way.
  await expect(fetch(`${api.baseUrl}/v1/appointments/IN-FLIGHT`)).rejects.toThrow();
  signalWorkers('SIGCONT');

  const [answer, exit] = await Promise.all([answered, stopping]);
  expect(answer.status).toBe(200);
  expectGraceful(exit);
  expect(answer.at).toBeLessThanOrEqual(exit.at);
  expect(api.stdout()).toMatch(/"inFlight":1,.*"msg":"HTTP: refusing new connections/);
}, 120_000);
