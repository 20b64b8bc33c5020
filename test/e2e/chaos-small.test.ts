import { defaultParams } from '../../bench/chaos/params';
import { failedCounts, formatTable, writeReport } from '../../bench/chaos/report';
import { runChaos } from '../../bench/chaos/run';

// The chaos run of `npm run chaos`, small enough for every `npm test`: 100 appointments with
// two reminders each, the fake Twilio failing 30% of sends (half after accepting), hanging on
// 5% and refusing 2% of numbers for good, one SIGKILL of the worker process, one stop and
// restart of the Temporal server with replies arriving meanwhile, and one PostgreSQL restart.
// It starts servers of its own (it restarts them), apart from the ones jest's setup shares.

jest.setTimeout(12 * 60_000);

test('under gateway faults, a worker kill and Temporal and PostgreSQL restarts, every promise holds', async () => {
  const params = {
    ...defaultParams(100),
    replies: 20,
    repliesWhileTemporalDown: 6,
    workerKills: 1,
    temporalRestarts: 1,
    temporalDownMs: 15_000,
    postgresRestarts: 1,
    timeoutMs: 10 * 60_000,
  };
  const lines: string[] = [];
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), params.timeoutMs);
  try {
    const report = await runChaos(params, { log: (line) => lines.push(line), signal: abort.signal });
    const file = writeReport(report);
    // The table and the run's log are shown only when the test fails (quiet-environment.ts).
    if (failedCounts(report.verdict) > 0) console.log(`${lines.join('\n')}\n${formatTable(report)}\n${file}`);
    expect(report.verdict.counts).toEqual({
      remindersNeverSent: 0,
      remindersSentTwiceOrMore: 0,
      remindersSentAfterStart: 0,
      unexplainedGatewayMessages: 0,
      repliesWithoutEffect: 0,
      repliesNotAnswered: 0,
      appointmentsNotInExpectedState: 0,
    });
    // The faults really happened, so zeros mean something.
    expect(report.happened).toMatchObject({ worker: { kills: 1 } });
    expect(report.happened.repliesWhileTemporalDown).toBeGreaterThanOrEqual(6);
    expect(report.verdict.info.remindersRequired).toBeGreaterThan(100);
  } finally {
    clearTimeout(timer);
  }
});
