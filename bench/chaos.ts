import { ChaosAborted, runChaos } from './chaos/run';
import { parseArgs, UsageError } from './chaos/params';
import { failedCounts, formatTable, writeReport } from './chaos/report';

// `npm run chaos -- --appointments 1000`: the fault-injection run of issue 8. Prints
// progress and a table, writes bench/results/chaos-<timestamp>.json, and exits 1 when any
// count is not zero, 2 when the run itself could not finish (timeout, Ctrl-C, a part that
// would not start). Everything it started is stopped, and its temp dirs removed, either way.

const CLEANUP_GRACE_MS = 60_000;

async function main(): Promise<number> {
  let params;
  try {
    params = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
  const abort = new AbortController();
  const stopOn = (why: string): void => {
    if (abort.signal.aborted) return;
    console.error(`\nchaos: ${why}; stopping everything (up to ${CLEANUP_GRACE_MS / 1000} s)…`);
    abort.abort();
    // Cleanup that hangs must not keep the machine busy: the hard stop.
    setTimeout(() => {
      console.error('chaos: cleanup did not finish in time; exiting');
      process.exit(2);
    }, CLEANUP_GRACE_MS).unref();
  };
  process.on('SIGINT', () => stopOn('interrupted'));
  // A fault in a part of the harness (not the product) must still end with everything stopped.
  process.on('uncaughtException', (err) => stopOn(`harness error: ${err.stack ?? err.message}`));
  process.on('unhandledRejection', (err) => stopOn(`harness error: ${String(err)}`));
  process.on('SIGTERM', () => stopOn('terminated'));
  const timeout = setTimeout(() => stopOn(`timed out after ${params.timeoutMs / 60_000} min`), params.timeoutMs);
  timeout.unref();

  console.log(
    `chaos: ${params.appointments} appointments, ${params.replies} replies, ${params.workerKills} worker kill(s), ` +
      `${params.temporalRestarts} Temporal restart(s), ${params.postgresRestarts} PostgreSQL restart(s), seed ${params.seed}`,
  );
  try {
    const report = await runChaos(params, { log: (line) => console.log(line), signal: abort.signal });
    console.log(formatTable(report));
    console.log(`\nwritten to ${writeReport(report)}`);
    return failedCounts(report.verdict) === 0 ? 0 : 1;
  } catch (err) {
    if (err instanceof ChaosAborted) return 2;
    console.error(`chaos: the run failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 2;
  } finally {
    clearTimeout(timeout);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(2);
  },
);
