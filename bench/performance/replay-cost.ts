import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { workflowMetricsSinks } from '../../activities/workflow-metrics';
import { ProductMetrics } from '../../lib/metrics';
import { bundleWorkflows } from '../../test/support/workflow-bundle';

// What the worker spends to replay one workflow: a workflow evicted from the cache replays its
// whole history before its next task (a reply, a wake-up) or query, so this is the price of a
// cache miss. Replays each history recorded by today's workflow code (test/workflow/histories,
// the files without a revision prefix) `--times` times in this process, on the bundle the
// worker builds, and prints the CPU per replay (all threads: the SDK runs workflows on a thread
// of their own). No server: the histories come from the files.
//
//   npx tsx bench/performance/replay-cost.ts [--times 200] [--only confirmed-0]

const ROOT = path.resolve(__dirname, '..', '..');
const HISTORIES = path.join(ROOT, 'test', 'workflow', 'histories');

interface Row {
  history: string;
  events: number;
  cpuMsPerReplay: number;
  wallMsPerReplay: number;
}

function options() {
  const { values } = parseArgs({
    options: { times: { type: 'string', default: '200' }, only: { type: 'string' } },
  });
  const times = Number(values.times);
  if (!Number.isInteger(times) || times < 1)
    throw new Error(`--times must be a positive whole number, not "${values.times}"`);
  return { times, only: values.only };
}

async function main(): Promise<void> {
  const { times, only } = options();
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const code = await bundleWorkflows();
  const files = readdirSync(HISTORIES)
    .filter((f) => f.endsWith('.json') && !/^(before-|revision-)/.test(f))
    .filter((f) => only === undefined || f === `${only}.json`);
  if (files.length === 0) throw new Error(`No recorded history named ${only}.json in ${HISTORIES}`);
  const replayOptions = { workflowBundle: { code }, sinks: workflowMetricsSinks(new ProductMetrics()) };

  const rows: Row[] = [];
  for (const file of files) {
    const history = JSON.parse(readFileSync(path.join(HISTORIES, file), 'utf8')) as { events: unknown[] };
    const replays = async (count: number): Promise<void> => {
      const copies = Array.from({ length: count }, (_, i) => ({ workflowId: `replay-${i}`, history }));
      for await (const result of Worker.runReplayHistories(replayOptions, copies)) {
        if (result.error) throw result.error;
      }
    };
    await replays(Math.min(20, times)); // warm-up: the bundle's first load, V8's optimisation
    const cpu = process.cpuUsage();
    const started = performance.now();
    await replays(times);
    const used = process.cpuUsage(cpu);
    rows.push({
      history: file.replace(/\.json$/, ''),
      events: history.events.length,
      cpuMsPerReplay: (used.user + used.system) / 1000 / times,
      wallMsPerReplay: (performance.now() - started) / times,
    });
  }

  console.log(`| history | events | CPU ms per replay | wall ms per replay |\n| --- | --- | --- | --- |`);
  for (const r of rows) {
    console.log(`| ${r.history} | ${r.events} | ${r.cpuMsPerReplay.toFixed(1)} | ${r.wallMsPerReplay.toFixed(1)} |`);
  }
  const out = path.join(ROOT, 'bench', 'results', `replay-cost-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(out, JSON.stringify({ times, node: process.version, loadAverage: loadavg(), rows }, null, 2));
  console.log(`written to ${out}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
