import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

// The load generator's tools: keep-alive HTTP with a socket per request in flight, a closed
// loop (N tasks, C at a time) and an open loop (tasks started on the clock at a rate, never
// waiting for earlier answers). Latencies are taken with performance.now().

export interface HttpAnswer {
  status: number;
  body: string;
  ms: number;
}

export class HttpClient {
  readonly agent: Agent;

  constructor(maxSockets: number) {
    this.agent = new Agent({ keepAlive: true, maxSockets });
  }

  send(method: string, url: string, headers: Record<string, string>, body?: string): Promise<HttpAnswer> {
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          agent: this.agent,
          headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
          res.once('end', () => resolve({ status: res.statusCode ?? 0, body: text, ms: performance.now() - started }));
          res.once('error', reject);
        },
      );
      req.setTimeout(30_000, () => req.destroy(new Error(`no answer within 30 s: ${method} ${url}`)));
      req.once('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Runs `task(0..count-1)`, `concurrency` at a time; the first failure fails the whole. */
export async function closedLoop(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
}

/** Starts `task(i)` at `startMs + i / ratePerSecond`, whatever the earlier ones are doing; resolves when all have. */
export async function openLoop(
  count: number,
  ratePerSecond: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  const started = performance.now();
  const running: Array<Promise<void>> = [];
  for (let i = 0; i < count; i++) {
    const wait = started + (i * 1000) / ratePerSecond - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    running.push(task(i));
  }
  await Promise.all(running);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
