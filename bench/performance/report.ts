import { mkdirSync, writeFileSync } from 'node:fs';
import type { CpuPart } from './cpu';
import path from 'node:path';
import type { BenchParams } from './params';
import type { ActionFigures, CreateFigures, LatenessFigures, ReplyFigures } from './phases';

// The run's outcome: one row per figure with its raw baseline, ratio and target for the
// terminal, and everything measured as JSON under bench/results/.

export interface MemoryFigures {
  /** RSS of each product worker process in MiB, at each checkpoint. */
  workerMiB: Record<string, number[]>;
  apiMiB: Record<string, number | null>;
  openWorkflowsCreated: number | null;
  /** (RSS after the creates - before) / creates, summed over the workers. */
  miBPerOpenWorkflow: number | null;
}

export interface Figures {
  creates?: { raw: CreateFigures; product: CreateFigures };
  due?: { raw?: LatenessFigures; product: LatenessFigures };
  replies?: { raw?: ReplyFigures; product: ReplyFigures };
  actions?: ActionFigures;
  memory?: MemoryFigures;
}

export interface BenchReport {
  /** Why the run stopped before measuring everything, or null. */
  failure: string | null;
  startedAt: string;
  finishedAt: string;
  params: BenchParams;
  node: string;
  gitCommit: string | null;
  loadAverage: { start: number[]; end: number[] };
  figures: Figures;
  rows: Row[];
}

export interface Row {
  figure: string;
  product: string;
  raw: string;
  ratio: string;
  target: string;
  met: '✓' | '✗' | '—';
}

const TEN_THOUSAND = 10_000;
const GIB = 1024;
const MIN_CREATES_TO_EXTRAPOLATE = 1000;

const num = (n: number | null | undefined, unit = ''): string =>
  n === null || n === undefined ? '—' : `${n.toLocaleString('en-US')}${unit}`;
const ratioOf = (product: number | null | undefined, raw: number | null | undefined): number | null =>
  product === null || product === undefined || !raw ? null : Math.round((product / raw) * 100) / 100;
const met = (ok: boolean | null): Row['met'] => (ok === null ? '—' : ok ? '✓' : '✗');

export function buildRows(params: BenchParams, figures: Figures): Row[] {
  const rows: Row[] = [];
  const row = (
    figure: string,
    product: string,
    raw: string,
    ratio: number | null,
    target: string,
    ok: boolean | null,
  ): void => {
    rows.push({ figure, product, raw, ratio: ratio === null ? '—' : `${ratio}×`, target, met: met(ok) });
  };
  const { creates, due, replies, actions, memory } = figures;
  if (creates) {
    const { raw, product } = creates;
    const rate = ratioOf(product.perSecond, raw.perSecond);
    row(
      'creates/s',
      num(product.perSecond),
      num(raw.perSecond),
      rate,
      '≥ 0.8× raw',
      rate === null ? null : rate >= 0.8,
    );
    row(
      'create latency p50 (ms)',
      num(product.latencyMs.p50),
      num(raw.latencyMs.p50),
      ratioOf(product.latencyMs.p50, raw.latencyMs.p50),
      '',
      null,
    );
    const p99 = ratioOf(product.latencyMs.p99, raw.latencyMs.p99);
    row(
      'create latency p99 (ms)',
      num(product.latencyMs.p99),
      num(raw.latencyMs.p99),
      p99,
      '≤ 2× raw',
      p99 === null ? null : p99 <= 2,
    );
    row(
      `${num(product.count)} creates (s)`,
      num(product.seconds),
      num(raw.seconds),
      ratioOf(product.seconds, raw.seconds),
      '10,000 in ≤ 60 s',
      // At another size, the rate that would create 10,000 in 60 s.
      product.failures === 0 && product.perSecond >= TEN_THOUSAND / 60,
    );
    if (product.sustainedPerSecond !== undefined && raw.sustainedPerSecond !== undefined) {
      // The API may answer faster than the worker runs the new workflows' first tasks; this is
      // the rate at which both keep up, from the first create until the worker had taken them all.
      row(
        'creates/s with the first workflow task taken',
        num(product.sustainedPerSecond),
        num(raw.sustainedPerSecond),
        ratioOf(product.sustainedPerSecond, raw.sustainedPerSecond),
        '',
        null,
      );
    }
    if (product.failures + raw.failures > 0)
      row('create failures', num(product.failures), num(raw.failures), null, '0', product.failures === 0);
    for (const part of CPU_PARTS) {
      const mine = product.cpuMsPerCreate?.[part];
      const theirs = raw.cpuMsPerCreate?.[part];
      if (mine === undefined || theirs === undefined) continue;
      row(`  CPU ms per create: ${part}`, mine.toFixed(2), theirs.toFixed(2), ratioOf(mine, theirs), '', null);
    }
  }
  if (due) {
    const { raw, product } = due;
    const n = num(product.expected);
    for (const [label, key] of [
      ['p50', 'p50'],
      ['p99', 'p99'],
      ['max', 'max'],
    ] as const) {
      const target = key === 'p99' ? '≤ 1,000 ms' : '';
      const value = product.latenessMs[key];
      row(
        `${n} due at once: lateness ${label} (ms)`,
        num(value),
        num(raw?.latenessMs[key]),
        ratioOf(value, raw?.latenessMs[key]),
        target,
        target === '' ? null : value !== null && value <= 1000 && product.arrived === product.expected,
      );
    }
    row(
      `${n} due at once: arrived`,
      `${product.arrived}/${product.expected}`,
      raw ? `${raw.arrived}/${raw.expected}` : '—',
      null,
      'all',
      product.arrived === product.expected,
    );
    if (product.createdLate > 0)
      row('due: created after the instant', num(product.createdLate), num(raw?.createdLate), null, '0', false);
  }
  if (replies) {
    const { raw, product } = replies;
    const rate = `${num(product.sent)} replies at ${params.replyRate}/s`;
    row(`${rate}: webhook (raw: signal) p50 (ms)`, num(product.webhookMs.p50), num(raw?.webhookMs.p50), null, '', null);
    row(
      `${rate}: webhook (raw: signal) p99 (ms)`,
      num(product.webhookMs.p99),
      num(raw?.webhookMs.p99),
      ratioOf(product.webhookMs.p99, raw?.webhookMs.p99),
      '≤ 50 ms',
      product.webhookMs.p99 === null ? null : product.webhookMs.p99 <= 50,
    );
    row(
      `${rate}: → confirmed (raw: query saw it) p50 (ms)`,
      num(product.confirmedMs.p50),
      num(raw?.confirmedMs.p50),
      null,
      '',
      null,
    );
    row(
      `${rate}: → confirmed (raw: query saw it) p99 (ms)`,
      num(product.confirmedMs.p99),
      num(raw?.confirmedMs.p99),
      ratioOf(product.confirmedMs.p99, raw?.confirmedMs.p99),
      '≤ 200 ms',
      product.confirmedMs.p99 === null
        ? null
        : product.confirmedMs.p99 <= 200 && product.notConfirmed + product.failures === 0,
    );
    row(
      `${rate}: reads per reply while watching (GETs; raw: queries)`,
      num(product.readsPerReply),
      num(raw?.readsPerReply),
      ratioOf(product.readsPerReply, raw?.readsPerReply),
      '',
      null,
    );
    for (const part of CPU_PARTS) {
      const mine = product.cpuMsPerReply?.[part];
      const theirs = raw?.cpuMsPerReply?.[part];
      if (mine === undefined) continue;
      row(`  CPU ms per reply: ${part}`, mine.toFixed(2), theirs?.toFixed(2) ?? '—', ratioOf(mine, theirs), '', null);
    }
    if (product.notConfirmed + product.failures > 0) {
      row(
        'replies failed / not confirmed in 10 s',
        `${product.failures} / ${product.notConfirmed}`,
        raw ? `${raw.failures} / ${raw.notConfirmed}` : '—',
        null,
        '0 / 0',
        false,
      );
    }
  }
  if (actions) {
    row('actions, 2 reminders + "C": at confirmed', num(actions.atConfirmed.total), '—', null, '', null);
    row('actions, 2 reminders + "C": at end', num(actions.atEnd.total), '—', null, '≤ 10', actions.atEnd.total <= 10);
    row('  + queries (one per GET the bench sent)', num(actions.getsSent), '—', null, '', null);
  }
  if (memory) {
    const workers = params.workers;
    for (const [checkpoint, values] of Object.entries(memory.workerMiB)) {
      row(
        `worker RSS ${checkpoint} (MiB${workers > 1 ? ', per worker' : ''})`,
        values.join(' + '),
        '—',
        null,
        '',
        null,
      );
    }
    for (const [checkpoint, value] of Object.entries(memory.apiMiB))
      row(`API RSS ${checkpoint} (MiB)`, num(value), '—', null, '', null);
    if (memory.miBPerOpenWorkflow !== null && memory.openWorkflowsCreated !== null) {
      const before = memory.workerMiB['before creates']?.reduce((a, b) => a + b, 0) ?? 0;
      const at10k = Math.round(before + memory.miBPerOpenWorkflow * TEN_THOUSAND);
      row('worker RSS per open workflow (MiB)', num(memory.miBPerOpenWorkflow), '—', null, '', null);
      // A few hundred creates measure the worker warming up more than its workflows.
      const enough = memory.openWorkflowsCreated >= MIN_CREATES_TO_EXTRAPOLATE;
      row(
        'worker RSS at 10,000 open (MiB, extrapolated)',
        enough ? num(at10k) : `— (< ${MIN_CREATES_TO_EXTRAPOLATE} creates)`,
        '—',
        null,
        '≤ 1,024 MiB',
        enough ? at10k <= GIB : null,
      );
    }
  }
  return rows;
}

export function formatTable(report: BenchReport): string {
  const header: Row = { figure: 'figure', product: 'product', raw: 'raw', ratio: 'ratio', target: 'target', met: '—' };
  const all = [header, ...report.rows];
  const keys = ['figure', 'product', 'raw', 'ratio', 'target'] as const;
  const widths = keys.map((key) => Math.max(...all.map((r) => r[key].length)));
  const line = (r: Row, metText: string): string =>
    `| ${keys.map((key, i) => (i === 0 ? r[key].padEnd(widths[i]) : r[key].padStart(widths[i]))).join(' | ')} | ${metText} |`;
  const p = report.params;
  return [
    '',
    `bench: ${p.workers} product worker(s), concurrency ${p.concurrency}, phases ${p.phases.join(',')}` +
      `${p.twilioLatencyMs > 0 ? `, Twilio answering ${p.twilioLatencyMs} ms late` : ''}` +
      `${p.smoke ? ' (smoke: sizes too small for the figures to mean anything)' : ''}; ` +
      `load average ${report.loadAverage.start.join(' ')} → ${report.loadAverage.end.join(' ')}`,
    '',
    line(header, 'met?'),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|------|`,
    ...report.rows.map((r) => line(r, ` ${r.met}  `)),
    ...actionBreakdown(report.figures.actions),
  ].join('\n');
}

function actionBreakdown(actions: ActionFigures | undefined): string[] {
  if (!actions) return [];
  const kinds = (counted: ActionFigures['atEnd']): string =>
    Object.entries(counted.byKind)
      .map(([kind, n]) => `${kind} ${n}`)
      .join(', ');
  return [
    '',
    `actions at confirmed: ${kinds(actions.atConfirmed)}`,
    `actions at end:       ${kinds(actions.atEnd)}`,
    `(counted from the histories as Temporal Cloud bills them; ${actions.heartbeats})`,
  ];
}

const CPU_PARTS: CpuPart[] = ['api', 'worker', 'raw worker', 'temporal', 'postgres', 'bench'];

export function writeReport(report: BenchReport): string {
  mkdirSync(report.params.outDir, { recursive: true });
  const file = path.join(report.params.outDir, `bench-${report.startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}
