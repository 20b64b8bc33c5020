import { startSteadyLoad, type SteadyLoad } from './steady-load';
import { eventually, type TestSystem } from './system';
import { startApiProcess, type ApiProcess } from './api-process';
import { startWorkerProcess, type ProcessExit, type WorkerProcess, type WorkerTarget } from './worker-process';

// A deployment in miniature: N API replicas behind a load balancer (the list of live
// backends) and M worker processes, all real processes on one database and task queue.
// Restarts are rolling and graceful, as an orchestrator does them: the replica leaves the
// load balancer, gets SIGTERM, and a new one takes its place.

export const PUBLIC_BASE_URL = 'https://reminders.example.test';

export interface ProcessCluster {
  readonly apis: ApiProcess[];
  readonly workers: WorkerProcess[];
  /** The API replicas the load balancer sends to now. */
  backends(): string[];
  /** Stops API replica `i` gracefully and starts a new one on its port; resolves with the old one's exit. */
  restartApi(i: number): Promise<ProcessExit>;
  /** Stops worker `i` gracefully and starts a new one; resolves with the old one's exit. */
  restartWorker(i: number): Promise<ProcessExit>;
  /** Everything each process printed, the stopped ones included, for logs and failure messages. */
  output(): string;
  stop(): Promise<void>;
}

export async function startProcessCluster(
  target: WorkerTarget,
  counts: { apis: number; workers: number },
): Promise<ProcessCluster> {
  const apis: ApiProcess[] = [];
  const workers: WorkerProcess[] = [];
  const retired: Array<{ stdout(): string }> = [];
  const outOfRotation = new Set<ApiProcess>();

  const startWorker = async (): Promise<WorkerProcess> => {
    const worker = startWorkerProcess(target, { logLevel: 'info', captureStderr: true });
    await eventually(
      () =>
        worker.child.exitCode !== null
          ? Promise.reject(new Error(`the worker exited: ${worker.stdout().slice(-2_000)}`))
          : Promise.resolve(worker.stdout().includes('"worker started"')),
      120_000,
      'a worker process to start',
    );
    return worker;
  };
  const startApi = (port?: number) => startApiProcess(target, { publicBaseUrl: PUBLIC_BASE_URL, port });

  try {
    workers.push(...(await Promise.all(Array.from({ length: counts.workers }, startWorker))));
    apis.push(...(await Promise.all(Array.from({ length: counts.apis }, () => startApi()))));
  } catch (err) {
    for (const process of [...workers, ...apis]) process.kill();
    throw err;
  }

  return {
    apis,
    workers,
    backends: () => apis.filter((api) => !outOfRotation.has(api)).map((api) => api.baseUrl),
    async restartApi(i) {
      const old = apis[i];
      outOfRotation.add(old);
      const exit = await old.terminate();
      retired.push(old);
      apis[i] = await startApi(old.port);
      return exit;
    },
    async restartWorker(i) {
      const old = workers[i];
      const exit = await old.terminate();
      retired.push(old);
      workers[i] = await startWorker();
      return exit;
    },
    output: () => [...retired, ...apis, ...workers].map((process) => process.stdout()).join('\n'),
    async stop() {
      for (const { child } of [...apis, ...workers]) {
        // A test that froze a process (SIGSTOP) and failed before thawing it.
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGCONT');
      }
      await Promise.all([...apis, ...workers].map((process) => process.terminate()));
      for (const process of [...apis, ...workers]) process.kill();
    },
  };
}

/** The steady stream both multi-process tests run: 2 creates/s, each reminder due 6 s later and answered "C", over the live replicas. */
export function startClusterLoad(cluster: ProcessCluster, system: TestSystem, idPrefix: string): SteadyLoad {
  return startSteadyLoad({
    backends: () => cluster.backends(),
    publicBaseUrl: PUBLIC_BASE_URL,
    apiKey: system.apiKey,
    twilio: system.twilio,
    practiceNumber: system.smsFrom,
    createsPerSecond: 2,
    reminderDueMs: 6_000,
    idPrefix,
  });
}
