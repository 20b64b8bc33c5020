import { parseArgs, USAGE, UsageError } from './performance/params';
import { formatTable, writeReport } from './performance/report';
import { BenchAborted, runBench } from './performance/run';

// `npm run bench`: the performance run of issue 12. Measures the product and a raw Temporal
// baseline in the same run, prints a table (figure | product | raw | ratio | target | met?)
// and writes bench/results/bench-<timestamp>.json. A missed target is a ✗ in the table, not a
// failure: the exit code is 1 only when the run itself could not finish (then the table shows
// what was measured before), 2 for bad flags.

const CLEANUP_GRACE_MS = 60_000;

async function main(): Promise<number> {
  let params;
  try {
    params = parseArgs(process.argv.slice(2), process.env.INIT_CWD ?? process.cwd());
  } catch (err) {
    if (err instanceof UsageError) {
      if (err.message === USAGE) {
        console.log(USAGE);
        return 0;
      }
      console.error(err.message);
      return 2;
    }
    throw err;
  }
  const abort = new AbortController();
  const stopOn = (why: string): void => {
    if (abort.signal.aborted) return;
    console.error(`\nbench: ${why}; stopping everything (up to ${CLEANUP_GRACE_MS / 1000} s)…`);
    abort.abort();
    setTimeout(() => {
      console.error('bench: cleanup did not finish in time; exiting');
      process.exit(1);
    }, CLEANUP_GRACE_MS).unref();
  };
  process.on('SIGINT', () => stopOn('interrupted'));
  process.on('SIGTERM', () => stopOn('terminated'));
  process.on('uncaughtException', (err) => stopOn(`harness error: ${err.message}`));
  process.on('unhandledRejection', (err) =>
    stopOn(`harness error: ${err instanceof Error ? err.message : String(err)}`),
  );

  console.log(
    `bench: creates ${params.creates}, due ${params.due}, replies ${params.replies} at ${params.replyRate}/s, ` +
      `concurrency ${params.concurrency}, ${params.workers} worker(s), phases ${params.phases.join(',')}`,
  );
  try {
    const report = await runBench(params, { log: (line) => console.log(line), signal: abort.signal });
    console.log(formatTable(report));
    console.log(`\nwritten to ${writeReport(report)}`);
    if (report.failure === null) return 0;
    console.error(`bench: the run failed: ${report.failure}`);
    return 1;
  } catch (err) {
    if (err instanceof BenchAborted) return 1;
    console.error(`bench: the run failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
