import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { PRODUCT_TASK_QUEUE, startBenchEnvironment, rssMiB, type BenchEnvironment } from './environment';
import { RAW_TASK_QUEUE } from './raw-workflows';
import type { BenchParams } from './params';
import {
  measureActions,
  measureCreates,
  measureProductDue,
  measureProductReplies,
  measureRawDue,
  measureRawReplies,
  workerCaughtUp,
} from './phases';
import { buildRows, type BenchReport, type Figures, type MemoryFigures } from './report';

// One performance run: start the stack, measure each selected phase (raw and product one
// after the other, never at once), and stop everything whatever happens.

export class BenchAborted extends Error {
  override name = 'BenchAborted';
}

export async function runBench(
  params: BenchParams,
  options: { log: (line: string) => void; signal: AbortSignal },
): Promise<BenchReport> {
  const began = Date.now();
  const startedAt = new Date(began).toISOString();
  const loadStart = loadavg().map(round2);
  const say = (line: string): void =>
    options.log(`[${String(Math.round((Date.now() - began) / 1000)).padStart(4)} s] ${line}`);
  const phase = (name: BenchParams['phases'][number]): boolean => {
    if (options.signal.aborted) throw new BenchAborted('interrupted');
    return params.phases.includes(name);
  };

  const env = await startBenchEnvironment({
    workers: params.workers,
    twilioLatencyMs: params.twilioLatencyMs,
    timeZone: 'UTC',
    log: say,
  });
  const stopping = new Promise<never>((_, reject) =>
    options.signal.addEventListener('abort', () => reject(new BenchAborted('interrupted')), { once: true }),
  );
  const figures: Figures = {};
  let failure: string | null = null;
  try {
    await Promise.race([stopping, measure(env, params, figures, say, phase)]);
  } catch (err) {
    if (err instanceof BenchAborted) throw err;
    // What was measured before the failure is still worth a table.
    failure = err instanceof Error ? err.message : String(err);
  } finally {
    say('stopping everything');
    await env.stop();
  }
  return {
    failure,
    startedAt,
    finishedAt: new Date().toISOString(),
    params,
    node: process.version,
    gitCommit: gitCommit(),
    loadAverage: { start: loadStart, end: loadavg().map(round2) },
    figures,
    rows: buildRows(params, figures),
  };
}

async function measure(
  env: BenchEnvironment,
  params: BenchParams,
  figures: Figures,
  say: (line: string) => void,
  phase: (name: BenchParams['phases'][number]) => boolean,
): Promise<void> {
  const memory: MemoryFigures | null = params.phases.includes('memory')
    ? { workerMiB: {}, apiMiB: {}, openWorkflowsCreated: null, miBPerOpenWorkflow: null }
    : null;
  const sample = (checkpoint: string): void => {
    if (!memory) return;
    memory.workerMiB[checkpoint] = env.workers.map((w) => rssMiB(w.child.pid!) ?? 0);
    memory.apiMiB[checkpoint] = rssMiB(env.api.child.pid!);
  };
  if (memory) figures.memory = memory;

  sample('before creates');
  if (phase('creates')) {
    figures.creates = await measureCreates(env, params.creates, params.concurrency, say);
    sample(`after ${params.creates} creates`);
    if (memory) {
      const total = (values: number[] | undefined): number => (values ?? []).reduce((a, b) => a + b, 0);
      const grown =
        total(memory.workerMiB[`after ${params.creates} creates`]) - total(memory.workerMiB['before creates']);
      memory.openWorkflowsCreated = params.creates;
      memory.miBPerOpenWorkflow = Math.round((grown / params.creates) * 1000) / 1000;
    }
  }
  if (phase('due')) {
    const marginMs = params.dueMarginSeconds * 1000;
    const product = await measureProductDue(
      env,
      params.due,
      params.concurrency,
      { createRate: figures.creates?.product.perSecond ?? null, marginMs },
      say,
    );
    figures.due = { product: product.figures };
    sample('after the due phase');
    if (phase('replies')) {
      const delivered = new Set(env.twilio.messages.map((m) => m.to));
      const replying = product.appointments.filter((a) => delivered.has(a.phone)).slice(0, params.replies);
      await workerCaughtUp(env, PRODUCT_TASK_QUEUE, say);
      figures.replies = { product: await measureProductReplies(env, replying, params.replyRate, say) };
    }
    const raw = await measureRawDue(
      env,
      params.due,
      params.concurrency,
      { createRate: figures.creates?.raw.perSecond ?? null, marginMs },
      say,
    );
    figures.due.raw = raw.figures;
    if (figures.replies) {
      await workerCaughtUp(env, RAW_TASK_QUEUE, say);
      figures.replies.raw = await measureRawReplies(
        env,
        raw.workflowIds.slice(0, params.replies),
        params.replyRate,
        say,
      );
    }
  }
  if (phase('actions')) figures.actions = await measureActions(env, say);
  sample('at the end');
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

const round2 = (n: number): number => Math.round(n * 100) / 100;
