import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

// The worker as production runs it: `worker.ts` in a process of its own, configured only
// through the environment, against the test system's Temporal, database and fake Twilio.

const ROOT = path.resolve(__dirname, '..', '..');

/** What the worker is pointed at: a TestSystem is one, and so is the chaos run's environment. */
export interface WorkerTarget {
  databaseUrl: string;
  config: { temporal: { address: string | null; taskQueue: string } };
  twilio: { accountSid: string; authToken: string; baseUrl: string };
}

export interface WorkerProcess {
  child: ChildProcess;
  /** Everything the worker printed on stdout so far (its JSON log lines), and stderr with `captureStderr`. */
  stdout(): string;
  /** SIGKILL the whole process group. */
  kill(): void;
  /** SIGTERM, as an orchestrator stops it; resolves with how it exited. */
  terminate(): Promise<ProcessExit>;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** From the SIGTERM to the exit. */
  ms: number;
}

/**
 * node with tsx as its loader, one process: the `tsx` command runs the script in a child and
 * relays signals to it, but SIGKILLs that child when it does not acknowledge a SIGTERM within
 * 30 ms (a busy event loop on a loaded machine), which would defeat a graceful shutdown. With
 * BENCH_PROFILE_DIR set, each process also writes a V8 CPU profile of every thread there when
 * it exits (open them in Chrome DevTools): how the README's "where the time went" was found.
 */
export const TSX_LOADER = [
  '--import',
  'tsx',
  ...(process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : []),
];

/** Sends SIGTERM to the process, as Docker and Kubernetes signal a container's first process, and waits for its exit. */
export function terminateProcess(child: ChildProcess): Promise<ProcessExit> {
  const sent = Date.now();
  const exited = new Promise<ProcessExit>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode, ms: 0 });
      return;
    }
    child.once('exit', (code, signal) => resolve({ code, signal, ms: Date.now() - sent }));
  });
  child.kill('SIGTERM');
  return exited;
}

export function startWorkerProcess(
  target: WorkerTarget,
  options: { logLevel?: string; captureStderr?: boolean; env?: Record<string, string> } = {},
): WorkerProcess {
  const child = spawn(process.execPath, [...TSX_LOADER, 'worker.ts'], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', options.captureStderr ? 'pipe' : 'inherit'],
    env: {
      ...process.env,
      DATABASE_URL: target.databaseUrl,
      TEMPORAL_ADDRESS: target.config.temporal.address!,
      TEMPORAL_TASK_QUEUE: target.config.temporal.taskQueue,
      TWILIO_ACCOUNT_SID: target.twilio.accountSid,
      TWILIO_AUTH_TOKEN: target.twilio.authToken,
      TWILIO_API_BASE_URL: target.twilio.baseUrl,
      LOG_LEVEL: options.logLevel ?? 'error',
      // Several workers may run at once here: each takes a free port for its health and metrics.
      WORKER_HTTP_PORT: '0',
      ...options.env,
    },
  });
  let output = '';
  const capture = (chunk: string): void => {
    output += chunk;
  };
  child.stdout!.setEncoding('utf8').on('data', capture);
  child.stderr?.setEncoding('utf8').on('data', capture);
  return {
    child,
    stdout: () => output,
    terminate: () => terminateProcess(child),
    kill() {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    },
  };
}
