import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ChaosParams } from './params';
import type { Counts, Verdict } from './verdict';

// The run's outcome: a table for the terminal and the whole record as JSON under bench/results/.

export const RESULTS_DIR = path.resolve(__dirname, '..', 'results');

export interface ChaosReport {
  startedAt: string;
  wallTimeSeconds: number;
  params: ChaosParams;
  /** What actually happened: faults with their times, worker starts, gateway attempts by outcome. */
  happened: Record<string, unknown>;
  verdict: Verdict;
}

const LABELS: Record<keyof Counts, string> = {
  remindersNeverSent: 'reminders never sent that should have been',
  remindersSentTwiceOrMore: 'reminders sent 2+ times',
  remindersSentAfterStart: 'reminder texts sent after the start',
  unexplainedGatewayMessages: 'gateway messages no message row explains',
  repliesWithoutEffect: 'replies without effect',
  repliesNotAnswered: 'replies not answered 2xx within 15 s',
  appointmentsNotInExpectedState: 'appointments not in the expected final state',
};

export function failedCounts(verdict: Verdict): number {
  return Object.values(verdict.counts).filter((n) => n > 0).length;
}

export function formatTable(report: ChaosReport): string {
  const { counts, info } = report.verdict;
  const width = Math.max(...Object.values(LABELS).map((l) => l.length));
  const lines = [
    '',
    `chaos run: ${report.params.appointments} appointments x ${report.params.reminders.length} reminders, ` +
      `${report.params.replies} replies, seed ${report.params.seed}, ${report.wallTimeSeconds} s`,
    '',
    ...(Object.keys(LABELS) as Array<keyof Counts>).map(
      (key) =>
        `  ${LABELS[key].padEnd(width)}  ${String(counts[key]).padStart(6)}  ${counts[key] === 0 ? 'ok' : 'FAIL'}`,
    ),
    '',
    `  gateway messages ${info.gatewayMessages}, extra copies ${info.extraCopies}, reminders required ` +
      `${info.remindersRequired}, refused for good ${info.remindersExcusedPermanent}`,
    `  shown unsent but at the gateway ${info.shownUnsentButAtGateway}, sent after a C ${info.sentAfterConfirmation}, ` +
      `reply latency p50 ${info.replyLatencyMs.p50 ?? '-'} ms, p95 ${info.replyLatencyMs.p95 ?? '-'} ms, ` +
      `max ${info.replyLatencyMs.max ?? '-'} ms`,
  ];
  for (const key of Object.keys(LABELS) as Array<keyof Counts>) {
    const examples = report.verdict.details[key].slice(0, 5);
    if (examples.length > 0) lines.push('', `  ${LABELS[key]}, e.g.:`, ...examples.map((d) => `    ${d}`));
  }
  return lines.join('\n');
}

/** Writes bench/results/chaos-<timestamp>.json and returns its path. */
export function writeReport(report: ChaosReport): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `chaos-${report.startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}
