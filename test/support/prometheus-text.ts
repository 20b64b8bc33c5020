// A strict reader of the Prometheus text exposition format (version 0.0.4), for tests: every
// line must be a HELP, a TYPE, a comment or a well-formed sample, each family's TYPE comes
// before its samples and at most once, and a family's lines are not split by another's (a
// scraper refuses such a page). What Prometheus would reject is thrown with its line number.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  samples: Sample[];
  /** The declared type of each family. */
  types: Map<string, string>;
  help: Map<string, string>;
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL_NAME = '[a-zA-Z_][a-zA-Z0-9_]*';
const LABEL_VALUE = '"(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
// Prometheus reads values with Go's ParseFloat, which takes NaN and Inf(inity) in any case
// (prom-client writes `Nan` for an event-loop histogram with no sample yet).
const VALUE =
  '(?:[+-]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?|[+-]?[Ii][Nn][Ff](?:[Ii][Nn][Ii][Tt][Yy])?|[Nn][Aa][Nn])';
const HELP_LINE = new RegExp(`^# HELP (${NAME}) ((?:[^\\\\\\n]|\\\\[\\\\n])*)$`);
const TYPE_LINE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);
const SAMPLE_LINE = new RegExp(
  `^(${NAME})(?:\\{((?:${LABEL_NAME}=${LABEL_VALUE})(?:,${LABEL_NAME}=${LABEL_VALUE})*,?)?\\})? (${VALUE})(?: -?\\d+)?$`,
);
const LABEL = new RegExp(`(${LABEL_NAME})=(${LABEL_VALUE})`, 'g');

/** The family a sample belongs to: histograms and summaries add suffixes to their family's name. */
function familyOf(name: string, types: Map<string, string>): string {
  if (types.has(name)) return name;
  for (const suffix of ['_bucket', '_sum', '_count', '_created']) {
    const base = name.slice(0, -suffix.length);
    if (name.endsWith(suffix) && ['histogram', 'summary'].includes(types.get(base) ?? '')) return base;
  }
  return name;
}

export function parsePrometheusText(text: string): Exposition {
  if (text.length > 0 && !text.endsWith('\n')) throw new Error('the exposition does not end with a newline');
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  const samples: Sample[] = [];
  const finished = new Set<string>();
  let current: string | null = null;
  const enter = (family: string, lineNo: number): void => {
    if (family === current) return;
    if (finished.has(family)) throw new Error(`line ${lineNo}: family ${family} appears again after other families`);
    if (current !== null) finished.add(current);
    current = family;
  };

  text.split('\n').forEach((line, index) => {
    const lineNo = index + 1;
    if (line === '') return;
    if (line.startsWith('# HELP ')) {
      const match = HELP_LINE.exec(line);
      if (!match) throw new Error(`line ${lineNo}: malformed HELP: ${line}`);
      if (help.has(match[1])) throw new Error(`line ${lineNo}: second HELP for ${match[1]}`);
      enter(match[1], lineNo);
      help.set(match[1], match[2]);
      return;
    }
    if (line.startsWith('# TYPE ')) {
      const match = TYPE_LINE.exec(line);
      if (!match) throw new Error(`line ${lineNo}: malformed TYPE: ${line}`);
      if (types.has(match[1])) throw new Error(`line ${lineNo}: second TYPE for ${match[1]}`);
      if (samples.some((s) => familyOf(s.name, new Map([[match[1], match[2]]])) === match[1]))
        throw new Error(`line ${lineNo}: TYPE for ${match[1]} after its samples`);
      enter(match[1], lineNo);
      types.set(match[1], match[2]);
      return;
    }
    if (line.startsWith('#')) return;
    const match = SAMPLE_LINE.exec(line);
    if (!match) throw new Error(`line ${lineNo}: malformed sample: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, name, quoted] of (match[2] ?? '').matchAll(LABEL)) {
      if (name in labels) throw new Error(`line ${lineNo}: label ${name} given twice`);
      labels[name] = JSON.parse(quoted) as string;
    }
    enter(familyOf(match[1], types), lineNo);
    samples.push({ name: match[1], labels, value: numberOf(match[3]) });
  });
  return { samples, types, help };
}

function numberOf(value: string): number {
  if (/inf/i.test(value)) return value.startsWith('-') ? -Infinity : Infinity;
  if (/nan/i.test(value)) return NaN;
  return Number(value);
}

/** The value of the one sample named `name` with exactly these labels, or undefined. */
export function sampleValue(
  exposition: Exposition,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const wanted = JSON.stringify(Object.entries(labels).sort());
  return exposition.samples.find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === wanted)
    ?.value;
}
