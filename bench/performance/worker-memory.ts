import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../../config';
import { createPrismaClient } from '../../db/client';
import { applyMigrations } from '../../db/migrate';
import { startEmbeddedPostgres } from '../../devenv/embedded-postgres';
import { freePort } from '../../devenv/ports';
import { resolveTemporalCli } from '../../devenv/temporal-cli';
import { startTemporalDevServer } from '../../devenv/temporal-dev-server';
import { createPractice } from '../../services/practices';
import { APPOINTMENT_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { workflowIdFor, type AppointmentDetails } from '../../domain/appointment';
import { DELIVERABLE_CHANNELS } from '../../domain/reminder-plan';
import type { appointmentWorkflow } from '../../workflows/appointment';
import { APPOINTMENT_WORKFLOW_REVISION, APPOINTMENT_WORKFLOW_TYPE } from '../../workflows/messages';
import { startFakeTwilio } from '../../test/support/fake-twilio';
import { parsePrometheusText } from '../../test/support/prometheus-text';
import { startWorkerProcess } from '../../test/support/worker-process';

// The worker's memory and its burst capacity, measured on the worker as production runs it
// (worker.ts in a process of its own, configured by the environment):
//   1. opens `--open` appointment workflows (reminders a month ahead) and reads the worker's
//      VmRSS once the worker has run each checkpoint's workflows up to their timers;
//   2. opens `--burst` more whose 2-hour reminder falls due at one instant, and times how long
//      the worker takes to send them all (each wake-up replays from history when the workflow
//      was evicted from the cache).
// Worker settings are passed with --env NAME=VALUE (e.g. --env WORKER_MAX_CACHED_WORKFLOWS=500).
// Prints a table and writes bench/results/worker-memory-<timestamp>.json.
//
//   npx tsx bench/performance/worker-memory.ts --open 10000 --checkpoints 0,1000,2000,5000,10000 --burst 1000

const ROOT = path.resolve(__dirname, '..', '..');
const PRACTICE_ID = 'clinic';
const DAY_MS = 86_400_000;
const TWO_HOURS_MS = 7_200_000;

interface Sample {
  open: number;
  rssMiB: number;
  /** V8's heap in use, of RSS: the rest is code, the native core and memory V8 has not returned. */
  heapUsedMiB: number;
  cachedWorkflows: number | null;
  loadavg: string;
}

function options() {
  const { values } = parseArgs({
    options: {
      open: { type: 'string', default: '10000' },
      checkpoints: { type: 'string' },
      burst: { type: 'string', default: '1000' },
      'burst-lead-s': { type: 'string', default: '60' },
      concurrency: { type: 'string', default: '50' },
      env: { type: 'string', multiple: true, default: [] },
      'node-options': { type: 'string' },
    },
  });
  const open = Number(values.open);
  const checkpoints = (values.checkpoints ?? `0,${Math.round(open / 10)},${Math.round(open / 5)},${open / 2},${open}`)
    .split(',')
    .map(Number)
    .filter((n, i, all) => all.indexOf(n) === i)
    .sort((a, b) => a - b);
  const env = Object.fromEntries(
    values.env.map((pair) => {
      const at = pair.indexOf('=');
      if (at < 1) throw new Error(`--env wants NAME=VALUE, got ${pair}`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
  if (values['node-options']) env.NODE_OPTIONS = values['node-options'];
  return {
    open,
    checkpoints,
    burst: Number(values.burst),
    burstLeadMs: Number(values['burst-lead-s']) * 1000,
    concurrency: Number(values.concurrency),
    env,
  };
}

function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  if (!line) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(line.split(/\s+/)[1]) / 1024;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `count` starts, `concurrency` at a time. */
async function startMany(count: number, concurrency: number, start: () => Promise<unknown>): Promise<void> {
  let left = count;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (left > 0) {
        left--;
        await start();
      }
    }),
  );
}

let sequence = 0;

/** An appointment of a consenting client, started as services/appointment-workflows.ts starts one. */
function startAppointment(
  client: Client,
  taskQueue: string,
  startsAt: number,
  reminders: AppointmentDetails['reminders'],
): Promise<unknown> {
  const appointmentId = `M-${++sequence}`;
  return client.workflow.start<typeof appointmentWorkflow>(APPOINTMENT_WORKFLOW_TYPE, {
    taskQueue,
    workflowId: workflowIdFor(PRACTICE_ID, appointmentId),
    args: [
      {
        practiceId: PRACTICE_ID,
        appointmentId,
        optedOut: false,
        channels: [...DELIVERABLE_CHANNELS],
        revision: APPOINTMENT_WORKFLOW_REVISION,
        details: {
          startsAt: new Date(startsAt).toISOString(),
          timeZone: 'Europe/Rome',
          client: { name: 'Maria Rossi', phone: '+393471234567', smsConsent: true, emailConsent: false },
          reminders,
          recipients: 'client',
          remindersEnabled: true,
        },
      },
    ],
  });
}

async function main(): Promise<void> {
  const opts = options();
  const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
  const cleanup: Array<() => Promise<unknown>> = [];
  try {
    const pgDir = mkdtempSync(path.join(tmpdir(), 'ar-wmem-pg-'));
    cleanup.push(() => rm(pgDir, { recursive: true, force: true }));
    const postgres = await startEmbeddedPostgres({ dataDir: pgDir, port: await freePort(), database: 'wmem' });
    cleanup.push(() => postgres.stop());
    await applyMigrations(postgres.url);
    const prisma = createPrismaClient(postgres.url);
    cleanup.push(() => prisma.$disconnect());
    await createPractice(prisma, {
      id: PRACTICE_ID,
      name: 'Memory Clinic',
      smsFrom: '+15005550006',
      timeZone: 'Europe/Rome',
      quietHours: null,
      helpPhone: '+390212345678',
    });

    // In memory: the measurement is the worker's, not the dev server's SQLite.
    const temporalServer = await startTemporalDevServer({
      cliPath: await resolveTemporalCli({ projectRoot: ROOT, configuredPath: loadConfig().temporal.cliPath, log }),
      port: await freePort(),
      uiPort: null,
      dbFile: null,
      namespace: 'default',
      searchAttributes: APPOINTMENT_SEARCH_ATTRIBUTES,
      log,
    });
    cleanup.push(() => temporalServer.stop());
    const connection = await Connection.connect({ address: temporalServer.address });
    cleanup.push(() => connection.close());
    const client = new Client({ connection, namespace: 'default' });
    const twilio = await startFakeTwilio();
    cleanup.push(() => twilio.stop());

    const taskQueue = 'reminders';
    const worker = startWorkerProcess(
      { databaseUrl: postgres.url, config: { temporal: { address: temporalServer.address, taskQueue } }, twilio },
      { logLevel: 'info', captureStderr: true, env: opts.env },
    );
    cleanup.push(async () => {
      await worker.terminate();
    });
    const pid = worker.child.pid!;
    const deadline = Date.now() + 120_000;
    while (!worker.stdout().includes('"worker started"')) {
      if (Date.now() > deadline || worker.child.exitCode !== null) {
        throw new Error(`the worker did not start:\n${worker.stdout().slice(-2000)}`);
      }
      await sleep(200);
    }
    const httpPort = Number(/"httpPort":(\d+)/.exec(worker.stdout())![1]);
    log(`worker pid ${pid} started (metrics on ${httpPort}) with ${JSON.stringify(opts.env)}`);

    const metric = async (name: string, labels: Record<string, string> = {}): Promise<number | null> => {
      const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
      const found = parsePrometheusText(text).samples.filter(
        (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
      );
      return found.length === 0 ? null : found.reduce((sum, s) => sum + s.value, 0);
    };
    /**
     * Each new workflow runs its first workflow task and then waits on its timers (the start
     * writes the projection, so no activity follows): settled when that many workflow tasks ran
     * and none runs or waits. Sends waiting for their instant hold activity slots, so those do
     * not count.
     */
    const settled = async (workflowTasks: number): Promise<void> => {
      const until = Date.now() + 600_000;
      let quietSince = 0;
      while (Date.now() < until) {
        const done = (await metric('temporal_workflow_task_execution_latency_count')) ?? 0;
        const busy =
          ((await metric('temporal_worker_task_slots_used', { worker_type: 'WorkflowWorker' })) ?? 0) +
          (await client.workflowService
            .describeTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, reportStats: true })
            .then((d) => Number(d.stats?.approximateBacklogCount ?? 0)));
        if (done >= workflowTasks && busy === 0) {
          if (quietSince === 0) quietSince = Date.now();
          if (Date.now() - quietSince >= 3_000) return;
        } else quietSince = 0;
        await sleep(500);
      }
      throw new Error('the worker did not settle within 10 minutes');
    };

    const samples: Sample[] = [];
    const sample = async (open: number): Promise<Sample> => {
      // Let V8 finish what it was doing; RSS is what the process holds, collected or not.
      await sleep(2_000);
      const s = {
        open,
        rssMiB: Math.round(rssMiB(pid)),
        heapUsedMiB: Math.round(((await metric('nodejs_heap_size_used_bytes')) ?? 0) / 1048576),
        cachedWorkflows: await metric('temporal_sticky_cache_size'),
        loadavg: loadavg()
          .map((l) => l.toFixed(2))
          .join(' '),
      };
      samples.push(s);
      log(
        `open ${open}: RSS ${s.rssMiB} MiB (heap used ${s.heapUsedMiB}), cached ${s.cachedWorkflows}, load ${s.loadavg}`,
      );
      return s;
    };

    const farAhead = Date.now() + 30 * DAY_MS;
    let open = 0;
    for (const checkpoint of opts.checkpoints) {
      const started = Date.now();
      const count = checkpoint - open;
      await startMany(count, opts.concurrency, () =>
        startAppointment(client, taskQueue, farAhead + Math.random() * DAY_MS, [
          { before: 'P1D', channel: 'sms' },
          { before: 'PT2H', channel: 'sms' },
        ]),
      );
      open = checkpoint;
      if (count > 0) log(`started ${count} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      await settled(open);
      await sample(open);
    }

    let burst: Record<string, number | string> | null = null;
    if (opts.burst > 0) {
      const dueAt = Date.now() + opts.burstLeadMs;
      const started = Date.now();
      await startMany(opts.burst, opts.concurrency, () =>
        startAppointment(client, taskQueue, dueAt + TWO_HOURS_MS, [{ before: 'PT2H', channel: 'sms' }]),
      );
      log(`started ${opts.burst} burst workflows in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      if (Date.now() > dueAt - 5_000)
        throw new Error('the burst workflows took too long to start: raise --burst-lead-s');
      await settled(open + opts.burst);
      const before = await sample(open + opts.burst);
      const messages = await twilio.waitForMessages(() => true, opts.burst, 600_000);
      const lateness = messages.map((m) => m.receivedAt.getTime() - dueAt).sort((a, b) => a - b);
      const at = (q: number) => lateness[Math.min(lateness.length - 1, Math.floor(q * lateness.length))];
      const after = await sample(open + opts.burst);
      burst = {
        reminders: opts.burst,
        firstMs: lateness[0],
        p50Ms: at(0.5),
        p99Ms: at(0.99),
        lastMs: lateness[lateness.length - 1],
        rssBeforeMiB: before.rssMiB,
        rssAfterMiB: after.rssMiB,
        loadavg: after.loadavg,
      };
      log(`burst of ${opts.burst}: ${JSON.stringify(burst)}`);
    }

    const report = { at: new Date().toISOString(), workerEnv: opts.env, samples, burst };
    console.log(
      '\n| open workflows | worker RSS MiB | V8 heap used MiB | cached | load average |\n| --- | --- | --- | --- | --- |',
    );
    for (const s of samples) {
      console.log(`| ${s.open} | ${s.rssMiB} | ${s.heapUsedMiB} | ${s.cachedWorkflows} | ${s.loadavg} |`);
    }
    const dir = path.join(ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `worker-memory-${report.at.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    log(`wrote ${path.relative(ROOT, file)}`);
  } finally {
    for (const step of cleanup.reverse()) {
      await step().catch((err: unknown) => log(`cleanup: ${err instanceof Error ? err.message : String(err)}`));
    }
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
