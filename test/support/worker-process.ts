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
  /** SIGKILL the whole process group: tsx runs the worker in a child node process. */
  kill(): void;
}

export function startWorkerProcess(
  target: WorkerTarget,
  options: { logLevel?: string; captureStderr?: boolean; env?: Record<string, string> } = {},
): WorkerProcess {
  const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['worker.ts'], {
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
    kill() {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    },
  };
}
