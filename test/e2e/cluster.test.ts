import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import {
  findTemporalServer,
  freeLowPort,
  localTemporalServerEnv,
  setUpTemporalSchemas,
  startTemporalServer,
  type RunningTemporalServer,
} from '../../devenv/temporal-server';
import { startClusterLoad, startProcessCluster, type ProcessCluster } from '../support/process-cluster';
import { judgeSteadyLoad, KEPT_EVERY_PROMISE } from '../support/steady-load-verdict';
import { useTestSystem } from '../support/system';

// The deployment's shape on a production-shaped Temporal: the full Temporal server (not the dev
// server) persisted in PostgreSQL and configured through the official image's environment
// variables, as the compose file's `temporal` service is; two worker processes and two API
// replicas on one task queue and database, under a steady stream of creates and replies.

const ROOT = path.resolve(__dirname, '..', '..');
const tools = findTemporalServer(ROOT);
const describeWithServer = tools ? describe : describe.skip;
if (!tools) {
  console.warn(
    'cluster.test.ts skipped: the full Temporal server is not in .tools (devenv/provision-tools.ts builds it with Go; Go is missing here)',
  );
}

describeWithServer('two workers and two API replicas on the full Temporal server on PostgreSQL', () => {
  let server: RunningTemporalServer | undefined;
  const workDir = mkdtempSync(path.join(tmpdir(), 'ar-temporal-server-'));

  // Registered before useTestSystem's, so it runs first: the system needs the server's address.
  beforeAll(async () => {
    const admin = new URL(process.env.TEST_PG_ADMIN_URL!);
    const env = localTemporalServerEnv({
      postgres: {
        host: admin.hostname,
        port: Number(admin.port),
        user: decodeURIComponent(admin.username),
        password: decodeURIComponent(admin.password),
      },
      ports: {
        frontend: await freeLowPort(),
        frontendHttp: await freeLowPort(),
        history: await freeLowPort(),
        matching: await freeLowPort(),
        worker: await freeLowPort(),
        membership: [await freeLowPort(), await freeLowPort(), await freeLowPort(), await freeLowPort()],
      },
      // The compose deployment's own file.
      dynamicConfigFile: path.join(ROOT, 'deploy', 'temporal', 'dynamicconfig.yaml'),
    });
    // The embedded PostgreSQL is shared by the run: the server's databases get names of their own.
    const suffix = Date.now().toString(36);
    env.DBNAME = `temporal_${suffix}`;
    env.VISIBILITY_DBNAME = `temporal_visibility_${suffix}`;
    await setUpTemporalSchemas(tools!, env, () => {});
    server = await startTemporalServer({
      tools: tools!,
      env,
      workDir,
      namespace: 'default',
      log: () => {},
    });
  }, 120_000);

  const system = useTestSystem({ worker: false, temporal: () => ({ address: server!.address, uiUrl: null }) });
  let cluster: ProcessCluster | undefined;

  beforeAll(async () => {
    cluster = await startProcessCluster(system(), { apis: 2, workers: 2 });
  }, 180_000);

  afterAll(async () => {
    await cluster?.stop();
    await server?.stop();
    rmSync(workDir, { recursive: true, force: true });
  }, 60_000);

  test('every reminder is sent once, every reply applied, and both workers and both replicas did the work', async () => {
    const processes = cluster!;
    const load = startClusterLoad(processes, system(), 'CLUSTER');
    await new Promise((resolve) => setTimeout(resolve, 25_000));
    await load.finish(90_000);

    const verdict = await judgeSteadyLoad(load, system());
    expect(verdict).toMatchObject(KEPT_EVERY_PROMISE);
    expect(verdict.creates).toBeGreaterThanOrEqual(30);
    expect(verdict.replies).toBe(verdict.creates);

    // Both replicas answered creates and replies.
    const served = new Set(load.requests.map((r) => r.backend));
    expect([...served].sort()).toEqual(processes.apis.map((api) => api.baseUrl).sort());

    // Both workers ran reminder activities: the histories name the worker that took each task.
    const connection = await Connection.connect({ address: server!.address });
    try {
      const client = new Client({ connection, namespace: 'default' });
      const identities = new Set<string>();
      for (const { appointmentId } of load.requests.filter((r) => r.kind === 'create')) {
        const history = await client.workflow.getHandle(`appointment/clinic/${appointmentId}`).fetchHistory();
        for (const event of history.events ?? []) {
          const identity = event.activityTaskStartedEventAttributes?.identity;
          if (identity) identities.add(identity);
        }
      }
      const workerPids = processes.workers.map((worker) => String(worker.child.pid));
      expect([...identities].map((identity) => identity.split('@')[0]).sort()).toEqual(workerPids.sort());
    } finally {
      await connection.close();
    }
  }, 240_000);
});
