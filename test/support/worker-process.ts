import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { TestSystem } from './system';

// The worker as production runs it: `worker.ts` in a process of its own, configured only
// through the environment, against the test system's Temporal, database and fake Twilio.

const ROOT = path.resolve(__dirname, '..', '..');

export interface WorkerProcess {
  child: ChildProcess;
  /** Everything the worker printed on stdout so far (its JSON log lines). */
  stdout(): string;
  /** SIGKILL the whole process group: tsx runs the worker in a child node process. */
  kill(): void;
}

export function startWorkerProcess(system: TestSystem, options: { logLevel?: string } = {}): WorkerProcess {
  const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['worker.ts'], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env,
      DATABASE_URL: system.databaseUrl,
      TEMPORAL_ADDRESS: system.config.temporal.address!,
      TEMPORAL_TASK_QUEUE: system.config.temporal.taskQueue,
      TWILIO_ACCOUNT_SID: system.twilio.accountSid,
      TWILIO_AUTH_TOKEN: system.twilio.authToken,
      TWILIO_API_BASE_URL: system.twilio.baseUrl,
      LOG_LEVEL: options.logLevel ?? 'error',
    },
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
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
