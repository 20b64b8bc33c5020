import type { ConnectionLike } from '@temporalio/client';
import type { PrismaClient } from '../db/client';

// Readiness: may this process take work now? It may when PostgreSQL and Temporal both answer
// (and, in the worker, the worker runs). Load balancers and orchestrators ask GET /readyz
// (the API's, and the worker's ops server): a 503 takes the replica out of rotation, not down.

/** How long one dependency may take to answer: probes time out themselves (Kubernetes after 1 s by default). */
export const READINESS_TIMEOUT_MS = 2_000;

export type CheckResult = { status: 'up'; ms: number } | { status: 'down'; ms: number; reason: string };

export interface Readiness {
  ready: boolean;
  /** By dependency: `database`, `temporal`, and in the worker `worker`. */
  checks: Record<string, CheckResult>;
}

export interface ReadinessDependencies {
  prisma: PrismaClient;
  /** The process's Temporal connection (a Client's `connection`), and the namespace it works in. */
  temporal: ConnectionLike;
  namespace: string;
  /** The process's own conditions, e.g. the worker's state; each throws to say why it is not ready. */
  own?: Record<string, () => void | Promise<void>>;
  timeoutMs?: number;
}

/**
 * One line, short enough for a probe's log. Prisma's messages open with a blank line and the
 * invocation, and quote the driver's own reason last ("Message: `Can't reach database server…`").
 */
function reasonOf(err: unknown): string {
  const message = String((err as { message?: unknown } | null)?.message ?? err);
  const last =
    message
      .split('\n')
      .filter((line) => line.trim() !== '')
      .pop() ?? message;
  return (/Message: `(.+)`/.exec(last)?.[1] ?? last).slice(0, 300);
}

async function check(action: () => unknown): Promise<CheckResult> {
  const started = Date.now();
  try {
    await action();
    return { status: 'up', ms: Date.now() - started };
  } catch (err) {
    return { status: 'down', ms: Date.now() - started, reason: reasonOf(err) };
  }
}

async function within<T>(timeoutMs: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Asks every dependency at once; the answer takes about `timeoutMs` at most. */
export async function checkReadiness({
  prisma,
  temporal,
  namespace,
  own = {},
  timeoutMs = READINESS_TIMEOUT_MS,
}: ReadinessDependencies): Promise<Readiness> {
  const probes: Record<string, () => unknown> = {
    // A query left behind on timeout only ties up a pool connection until PostgreSQL answers.
    database: () => within(timeoutMs, prisma.$queryRaw`SELECT 1`),
    // The namespace, not just the server: a wrong namespace or an API key without access to it
    // leaves the process as unable to work as an unreachable server. Not raced, but bounded by
    // the gRPC deadline: the SDK retries an unavailable server on timers of its own, and a call
    // left behind would retry on a connection the process may close meanwhile (at shutdown).
    temporal: () =>
      temporal.withDeadline(Date.now() + timeoutMs, () => temporal.workflowService.describeNamespace({ namespace })),
    ...own,
  };
  const results = await Promise.all(
    Object.entries(probes).map(async ([name, probe]) => [name, await check(probe)] as const),
  );
  const checks = Object.fromEntries(results);
  return { ready: results.every(([, result]) => result.status === 'up'), checks };
}

/**
 * The HTTP answer, the same from the API and the worker: 200 JSON when ready, else a 503
 * problem+json whose detail names each failing dependency and why.
 */
export function readinessAnswer({ ready, checks }: Readiness): {
  status: 200 | 503;
  contentType: string;
  body: string;
} {
  if (ready) return { status: 200, contentType: 'application/json', body: JSON.stringify({ status: 'ready', checks }) };
  const down = Object.entries(checks).flatMap(([name, result]) =>
    result.status === 'down' ? [`${name}: ${result.reason}`] : [],
  );
  return {
    status: 503,
    contentType: 'application/problem+json',
    body: JSON.stringify({
      type: 'about:blank',
      status: 503,
      title: 'Not ready',
      detail: down.join('; '),
      checks,
    }),
  };
}

/** The worker process's own condition: ready only while its Temporal worker polls (state RUNNING). */
export function workerRunning(worker: { getState(): string }): () => void {
  return () => {
    const state = worker.getState();
    if (state !== 'RUNNING') throw new Error(`the Temporal worker is ${state}, not RUNNING`);
  };
}
