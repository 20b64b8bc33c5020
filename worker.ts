import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { createActivities, type ActivityDependencies } from './activities';
import { workflowMetricsSinks } from './activities/workflow-metrics';
import { ConfigError, loadConfig, type WorkerCapacity } from './config';
import { connectTemporal } from './config/temporal-connection';
import { createPrismaClient } from './db/client';
import { applyMigrations } from './db/migrate';
import { resolveLinkSigningSecret } from './config/link-signing-secret';
import { createEmailGateway, createSmsGateway } from './gateways';
import { createLogger, installTemporalLogger } from './lib/logger';
import { ProductMetrics, temporalCoreMetricsAddress } from './lib/metrics';
import { startOpsServer } from './lib/ops-server';
import { ACTIVITY_GRACE_MS, stopOnSignals, WORKER_FORCE_MS } from './lib/shutdown';
import { startHousekeeping } from './services/housekeeping';
import { checkReadiness, readinessAnswer, workerRunning } from './services/readiness';
import { WORKFLOW_BUNDLER_OPTIONS } from './workflows/bundler-options';
import { ensureSearchAttributes } from './workflows/search-attribute-registration';

export interface ReminderWorkerOptions extends ActivityDependencies {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** Counts what the activities and the workflows' decisions do (lib/metrics.ts). */
  metrics: ProductMetrics;
  /** A prebuilt workflow bundle (tests build one per run); by default the worker bundles `workflows/` itself. */
  workflowBundle?: WorkflowBundleOption;
  /** The cache's bound and the task slots (config WORKER_MAX_*). */
  capacity: WorkerCapacity;
}

/** The worker of the `reminders` task queue: the appointment workflow and its activities. */
export function createReminderWorker({
  connection,
  namespace,
  taskQueue,
  workflowBundle,
  capacity,
  ...dependencies
}: ReminderWorkerOptions) {
  return Worker.create({
    connection,
    namespace,
    taskQueue,
    ...(workflowBundle
      ? { workflowBundle }
      : {
          workflowsPath: require.resolve('./workflows'),
          bundlerOptions: WORKFLOW_BUNDLER_OPTIONS,
        }),
    // Bounded explicitly: the SDK's default scales with the heap limit (2,310 workflows with
    // Node's 4 GiB), not with what a cached appointment costs. An evicted workflow replays
    // its history on its next task.
    maxCachedWorkflows: capacity.maxCachedWorkflows,
    maxConcurrentWorkflowTaskExecutions: capacity.maxConcurrentWorkflowTasks,
    // A send holds its slot while it waits for the reminder's due instant: a morning batch
    // due at one instant needs a slot each, while the database work stays bounded by Prisma's pool.
    maxConcurrentActivityTaskExecutions: capacity.maxConcurrentActivities,
    activities: createActivities(dependencies),
    sinks: workflowMetricsSinks(dependencies.metrics),
    // A send learns that the workflow stopped it from its heartbeat's answer; the default
    // throttle (30 s) would hold that answer back for longer than an attempt lasts.
    defaultHeartbeatThrottleInterval: '1 second',
    maxHeartbeatThrottleInterval: '1 second',
    // On shutdown, activities under way (an SMS being sent) finish rather than being cut and retried.
    shutdownGraceTime: ACTIVITY_GRACE_MS,
    shutdownForceTime: WORKER_FORCE_MS,
  });
}

/** Runs the worker alone against any Temporal server and database (DATABASE_URL required). */
async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const temporalMetrics = await temporalCoreMetricsAddress();
  installTemporalLogger(log, { metricsBindAddress: temporalMetrics.bindAddress });
  const metrics = new ProductMetrics({ temporalCore: temporalMetrics });
  if (!config.databaseUrl) {
    throw new ConfigError([
      'DATABASE_URL: required when the worker runs alone (npm run dev starts everything together)',
    ]);
  }
  const address = config.temporal.address ?? 'localhost:7233';
  const databaseUrl = config.databaseUrl;
  await step('prepare the database at DATABASE_URL', () =>
    applyMigrations(databaseUrl, { log: (line) => log.info(line) }),
  );
  const prisma = createPrismaClient(config.databaseUrl);
  const clientConnection = await connectTemporal(Connection, config.temporal, address);
  const added = await ensureSearchAttributes(clientConnection, config.temporal.namespace);
  if (added.length > 0) log.info({ added }, 'registered search attributes');

  const connection = await connectTemporal(NativeConnection, config.temporal, address);
  const worker = await createReminderWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    capacity: config.workerCapacity,
    metrics,
    prisma,
    sms: createSmsGateway(config, (line) => log.warn(line)),
    email: createEmailGateway(config, (line) => log.warn(line)),
    links: {
      publicBaseUrl: config.publicBaseUrl,
      signingSecret: resolveLinkSigningSecret(config, (line) => log.warn(line)),
    },
  });
  const stopHousekeeping = startHousekeeping({
    prisma,
    temporal: new Client({ connection: clientConnection, namespace: config.temporal.namespace }),
    taskQueue: config.temporal.taskQueue,
    log,
  });
  const ops = await startOpsServer(config.workerHttpPort, {
    '/healthz': () => Promise.resolve({ status: 200, contentType: 'text/plain', body: 'ok\n' }),
    '/metrics': async () => ({ status: 200, ...(await metrics.exposition()) }),
    '/readyz': async () =>
      readinessAnswer(
        await checkReadiness({
          prisma,
          temporal: clientConnection,
          namespace: config.temporal.namespace,
          own: { worker: workerRunning(worker) },
        }),
      ),
  });
  log.info(
    { address, httpPort: ops.port, namespace: config.temporal.namespace, taskQueue: config.temporal.taskQueue },
    'worker started',
  );
  const running = worker.run();
  stopOnSignals(log, 'worker', async () => {
    await stopHousekeeping();
    log.info('housekeeping stopped');
    worker.shutdown();
    log.info({ graceMs: ACTIVITY_GRACE_MS }, 'worker: polling stopped, finishing activities under way');
    await running;
    log.info('worker: activities finished');
    await ops.close();
    await connection.close();
    await clientConnection.close();
    log.info('Temporal connections closed');
    await prisma.$disconnect();
    log.info('database connections closed');
  });
  await running;
}

/** Names what was being attempted, so an operator reads "could not reach X", not a bare errno. */
async function step<T>(what: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (err) {
    throw new Error(`could not ${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(
      err instanceof ConfigError ? err.message : `Worker failed: ${err instanceof Error ? err.message : err}`,
    );
    process.exit(1);
  });
}
