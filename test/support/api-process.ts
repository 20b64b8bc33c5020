import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../../devenv/ports';
import { eventually, TEST_LINK_SIGNING_SECRET } from './system';
import { terminateProcess, TSX_LOADER, type ProcessExit, type WorkerTarget } from './worker-process';

// The API as a deployment runs it: `api/server.ts` in a process of its own (one replica behind
// a load balancer), configured only through the environment, on the worker's database and
// task queue. Every replica has the same PUBLIC_BASE_URL, the load balancer's address, which is
// what Twilio signs its webhooks over.

const ROOT = path.resolve(__dirname, '..', '..');

export interface ApiProcess {
  child: ChildProcess;
  /** This replica's own address (the load balancer's backend). */
  baseUrl: string;
  port: number;
  stdout(): string;
  terminate(): Promise<ProcessExit>;
  kill(): void;
  exited(): boolean;
}

export async function startApiProcess(
  target: WorkerTarget,
  options: { publicBaseUrl: string; port?: number; logLevel?: string },
): Promise<ApiProcess> {
  const port = options.port ?? (await freePort());
  const child = spawn(process.execPath, [...TSX_LOADER, 'api/server.ts'], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      PORT: String(port),
      DATABASE_URL: target.databaseUrl,
      TEMPORAL_ADDRESS: target.config.temporal.address!,
      TEMPORAL_TASK_QUEUE: target.config.temporal.taskQueue,
      PUBLIC_BASE_URL: options.publicBaseUrl,
      TWILIO_ACCOUNT_SID: target.twilio.accountSid,
      TWILIO_AUTH_TOKEN: target.twilio.authToken,
      TWILIO_API_BASE_URL: target.twilio.baseUrl,
      LINK_SIGNING_SECRET: TEST_LINK_SIGNING_SECRET,
      LOG_LEVEL: options.logLevel ?? 'info',
    },
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const baseUrl = `http://127.0.0.1:${port}`;
  const api: ApiProcess = {
    child,
    baseUrl,
    port,
    stdout: () => output,
    terminate: () => terminateProcess(child),
    exited: () => child.exitCode !== null || child.signalCode !== null,
    kill() {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    },
  };
  // Its log line, or (below LOG_LEVEL info, which omits it) its liveness answer.
  const live = (): Promise<boolean> =>
    fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(1_000) }).then(
      (res) => res.ok,
      () => false,
    );
  await eventually(
    async () => {
      if (api.exited()) throw new Error(`the API process exited: ${output.slice(-2_000)}`);
      return output.includes('"API started"') || (await live());
    },
    60_000,
    `the API process on port ${port} to start`,
  ).catch((err: unknown) => {
    api.kill();
    throw err;
  });
  return api;
}
