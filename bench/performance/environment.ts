import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createPrismaClient } from '../../db/client';
import { freePort } from '../../devenv/ports';
import { startApiProcess, type ApiProcess } from '../../test/support/api-process';
import { startFakeTwilio, type FakeTwilio } from '../../test/support/fake-twilio';
import {
  startWorkerProcess,
  terminateProcess,
  TSX_LOADER,
  type WorkerProcess,
  type WorkerTarget,
} from '../../test/support/worker-process';
import { Cleanup, createBenchPractice, startBenchServers } from '../support/servers';
import { RAW_TASK_QUEUE } from './raw-workflows';

// Everything a performance run measures, each part as production runs it: PostgreSQL and the
// Temporal dev server (bench/support/servers.ts, as the chaos run starts them), the product's
// API and worker(s) as processes of their own, the raw baseline's worker as another, and the
// fake Twilio in this process, where `receivedAt` is the instant a message reached the gateway.

export const PRACTICE_ID = 'bench';
export const PRACTICE_SMS_FROM = '+15005550007';
export const PRODUCT_TASK_QUEUE = 'reminders';
const READY_TIMEOUT_MS = 180_000;
const STOP_GRACE_MS = 20_000;
const ROOT = path.resolve(__dirname, '..', '..');

export interface BenchEnvironment {
  /** The API's address, and the PUBLIC_BASE_URL Twilio signs webhooks over. */
  baseUrl: string;
  apiKey: string;
  twilio: FakeTwilio;
  temporal: Client;
  api: ApiProcess;
  workers: WorkerProcess[];
  stop(): Promise<void>;
}

export async function startBenchEnvironment(options: {
  workers: number;
  twilioLatencyMs: number;
  timeZone: string;
  log: (line: string) => void;
}): Promise<BenchEnvironment> {
  const { log } = options;
  const cleanup = new Cleanup(log);
  try {
    const servers = await startBenchServers({ name: 'bench', cleanup, log });
    const latency = options.twilioLatencyMs;
    const twilio = await startFakeTwilio(latency > 0 ? { faults: () => ({ delayMs: latency }) } : {});
    cleanup.push(() => twilio.stop());

    const prisma = createPrismaClient(servers.postgresUrl);
    const { apiKey } = await createBenchPractice(prisma, {
      id: PRACTICE_ID,
      name: 'Bench Clinic',
      smsFrom: PRACTICE_SMS_FROM,
      timeZone: options.timeZone,
    }).finally(() => prisma.$disconnect());

    const connection = await Connection.connect({ address: servers.temporalAddress });
    cleanup.push(() => connection.close());
    const temporal = new Client({ connection, namespace: 'default' });

    const target: WorkerTarget = {
      databaseUrl: servers.postgresUrl,
      config: { temporal: { address: servers.temporalAddress, taskQueue: PRODUCT_TASK_QUEUE } },
      twilio: { accountSid: twilio.accountSid, authToken: twilio.authToken, baseUrl: twilio.baseUrl },
    };
    // The API's address is the public one: the status callbacks the worker asks Twilio for go there.
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const workers: WorkerProcess[] = [];
    for (let i = 0; i < options.workers; i++) {
      const worker = startWorkerProcess(target, {
        logLevel: 'warn',
        captureStderr: true,
        env: { PUBLIC_BASE_URL: baseUrl },
      });
      workers.push(worker);
      cleanup.push(() => stopProcess(worker.child, () => worker.kill()));
      killOnExit(() => worker.kill());
    }
    const rawWorker = spawn(process.execPath, [...TSX_LOADER, 'bench/performance/raw-worker.ts'], {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: servers.temporalAddress,
        TWILIO_ACCOUNT_SID: twilio.accountSid,
        TWILIO_AUTH_TOKEN: twilio.authToken,
        TWILIO_API_BASE_URL: twilio.baseUrl,
      },
    });
    const rawOutput = capture(rawWorker);
    const killRaw = (): void => killGroup(rawWorker);
    cleanup.push(() => stopProcess(rawWorker, killRaw));
    killOnExit(killRaw);

    const api = await startApiProcess(target, { publicBaseUrl: baseUrl, port, logLevel: 'warn' });
    cleanup.push(() => stopProcess(api.child, () => api.kill()));
    killOnExit(() => api.kill());
    log(`API ready on ${baseUrl}`);

    // Ready once Temporal sees each worker poll its task queue (each bundles its workflows first).
    const pids = (children: ChildProcess[]): number[] => children.map((child) => child.pid!);
    await waitForPollers(temporal, PRODUCT_TASK_QUEUE, pids(workers.map((w) => w.child)), () =>
      workers.map((w) => w.stdout()).join('\n'),
    );
    await waitForPollers(temporal, RAW_TASK_QUEUE, pids([rawWorker]), rawOutput);
    log(`${options.workers} product worker(s) and the raw worker polling`);

    return { baseUrl, apiKey, twilio, temporal, api, workers, stop: () => cleanup.runAll() };
  } catch (err) {
    await cleanup.runAll();
    throw err;
  }
}

/** Resident memory of a process in MiB (Linux /proc), or null once it is gone. */
export function rssMiB(pid: number): number | null {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? null : Math.round(Number(kb) / 1024);
  } catch {
    return null;
  }
}

async function waitForPollers(
  temporal: Client,
  taskQueue: string,
  pids: number[],
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const { pollers } = await temporal.workflowService.describeTaskQueue({
      namespace: 'default',
      taskQueue: { name: taskQueue },
    });
    // A worker's default identity is `<pid>@<host>`.
    const polling = pids.filter((pid) => pollers.some((p) => p.identity?.startsWith(`${pid}@`)));
    if (polling.length === pids.length) return;
    if (Date.now() > deadline) {
      throw new Error(`no worker polled ${taskQueue} within ${READY_TIMEOUT_MS / 1000} s: ${output().slice(-1_000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

function capture(child: ChildProcess): () => string {
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  return () => output;
}

function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** SIGTERM and a grace period, as an orchestrator stops it; then SIGKILL. */
async function stopProcess(child: ChildProcess, kill: () => void): Promise<void> {
  const timer = setTimeout(kill, STOP_GRACE_MS);
  await terminateProcess(child);
  clearTimeout(timer);
}

/** The processes run in process groups of their own, which no terminal signal reaches. */
function killOnExit(kill: () => void): void {
  process.on('exit', kill);
}
