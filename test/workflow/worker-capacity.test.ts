import { randomBytes } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DEFAULT_WORKER_CAPACITY } from '../../config';
import { createPrismaClient, type PrismaClient } from '../../db/client';
import { ProductMetrics } from '../../lib/metrics';
import { createReminderWorker } from '../../worker';
import { stateQuery } from '../../workflows/messages';
import { startAppointmentWorkflow, type AppointmentHandle } from '../support/appointment-workflow';
import { InMemoryGateway } from '../support/in-memory-gateway';
import { createTestDatabase } from '../support/postgres';
import { startTimeSkippingEnvironment } from '../support/time-skipping';
import { testWorkflowBundle } from '../support/workflow-bundle';

// The worker as worker.ts makes it keeps no more workflows in memory than its capacity says
// (WORKER_MAX_CACHED_WORKFLOWS), and the ones it let go still answer, replayed from history.

const DAY = 86_400_000;
const BOUND = 3;
const OPEN = 7;

let env: TestWorkflowEnvironment;
let prisma: PrismaClient;
let dropDatabase: () => Promise<void>;
jest.setTimeout(60_000);

beforeAll(async () => {
  env = await startTimeSkippingEnvironment();
  const database = await createTestDatabase('capacity');
  dropDatabase = database.drop;
  prisma = createPrismaClient(database.url);
});

afterAll(async () => {
  await env?.teardown();
  await prisma?.$disconnect();
  await dropDatabase?.();
});

/** Resolves once the workflow has run up to its first reminder's timer. */
async function waitingForReminder(handle: AppointmentHandle): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const history = await handle.fetchHistory();
    if (history.events?.some((event) => event.timerStartedEventAttributes)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${handle.workflowId} started no timer within 30 s`);
}

test(`with WORKER_MAX_CACHED_WORKFLOWS=${BOUND}, ${OPEN} open appointments leave ${BOUND} in memory, and all still answer`, async () => {
  const taskQueue = `capacity-${randomBytes(4).toString('hex')}`;
  const worker = await createReminderWorker({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue,
    workflowBundle: testWorkflowBundle(),
    capacity: { ...DEFAULT_WORKER_CAPACITY, maxCachedWorkflows: BOUND, maxConcurrentWorkflowTasks: 2 },
    metrics: new ProductMetrics(),
    prisma,
    sms: new InMemoryGateway('sms'),
    email: new InMemoryGateway('email'),
    links: { publicBaseUrl: 'http://127.0.0.1', signingSecret: 'test-link-signing-secret-0123456789abcdef' },
  });
  await worker.runUntil(async () => {
    const startsAt = (await env.currentTimeMs()) + 30 * DAY;
    const handles = await Promise.all(
      Array.from({ length: OPEN }, () => startAppointmentWorkflow(env.client, { taskQueue, startsAt })),
    );
    await Promise.all(handles.map(waitingForReminder));
    expect(worker.getStatus().numCachedWorkflows).toBe(BOUND);
    // Evicted ones replay from history to answer; the cache stays bounded meanwhile.
    for (const handle of handles) {
      expect((await handle.query(stateQuery)).status).toBe('scheduled');
    }
    expect(worker.getStatus().numCachedWorkflows).toBeLessThanOrEqual(BOUND);
  });
});
