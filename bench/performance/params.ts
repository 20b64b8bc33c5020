import path from 'node:path';

/** What a performance run measures and at what size. */
export interface BenchParams {
  creates: number;
  concurrency: number;
  due: number;
  replies: number;
  replyRate: number;
  workers: number;
  /** How long the fake Twilio takes to answer a create, as Twilio's round trip does (0: at once). */
  twilioLatencyMs: number;
  /** Room between the last create of a due phase and the instant its reminders fall due. */
  dueMarginSeconds: number;
  smoke: boolean;
  phases: Phase[];
  outDir: string;
}

export const PHASES = ['creates', 'due', 'replies', 'actions', 'memory'] as const;
export type Phase = (typeof PHASES)[number];

export class UsageError extends Error {
  override name = 'UsageError';
}

export const USAGE = `usage: npm run bench -- [options]
  --creates N        appointments created through the API, and bare workflow starts (default 10000)
  --concurrency N    requests in flight while creating (default 50)
  --due N            reminders due at one instant (default 1000)
  --replies N        signed "C" replies after the due phase, at most --due (default 1000)
  --reply-rate N     replies per second, sent on the clock (default 50)
  --workers N        product worker processes (default 1)
  --twilio-latency-ms N  the fake Twilio answers each create N ms late, like Twilio's round
                     trip; sends then overlap up to TWILIO_MAX_CONCURRENT_REQUESTS (default 0)
  --smoke            tiny sizes (creates 60, due 30, replies 30): proves the bench works
  --phases a,b,...   run only these of ${PHASES.join(', ')} (default all; replies need due)
  --out DIR          where the JSON goes (default bench/results)
  --help             this text`;

const NUMBER_FLAGS = {
  '--creates': 'creates',
  '--concurrency': 'concurrency',
  '--due': 'due',
  '--replies': 'replies',
  '--reply-rate': 'replyRate',
  '--workers': 'workers',
  '--twilio-latency-ms': 'twilioLatencyMs',
} as const;

export function parseArgs(argv: string[], cwd: string): BenchParams {
  const given: Partial<Record<(typeof NUMBER_FLAGS)[keyof typeof NUMBER_FLAGS], number>> = {};
  let smoke = false;
  let phases: Phase[] = [...PHASES];
  let outDir = path.resolve(__dirname, '..', 'results');
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--help' || flag === '-h') throw new UsageError(USAGE);
    if (flag === '--smoke') {
      smoke = true;
      continue;
    }
    const value = argv[i + 1];
    if (value === undefined) throw new UsageError(`${flag} needs a value (npm run bench -- --help)`);
    i++;
    if (flag in NUMBER_FLAGS) {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1)
        throw new UsageError(`${flag} ${value}: expected a whole number of at least 1`);
      given[NUMBER_FLAGS[flag as keyof typeof NUMBER_FLAGS]] = n;
    } else if (flag === '--phases') {
      const names = value.split(',').map((name) => name.trim());
      const unknown = names.find((name) => !(PHASES as readonly string[]).includes(name));
      if (unknown !== undefined)
        throw new UsageError(`--phases: unknown phase "${unknown}" (one of ${PHASES.join(', ')})`);
      phases = PHASES.filter((phase) => names.includes(phase));
    } else if (flag === '--out') {
      outDir = path.resolve(cwd, value);
    } else {
      throw new UsageError(`unknown option ${flag} (npm run bench -- --help)`);
    }
  }
  const sizes = smoke ? { creates: 60, due: 30, replies: 30 } : { creates: 10_000, due: 1000, replies: 1000 };
  const params: BenchParams = {
    creates: given.creates ?? sizes.creates,
    concurrency: given.concurrency ?? 50,
    due: given.due ?? sizes.due,
    replies: given.replies ?? sizes.replies,
    replyRate: given.replyRate ?? 50,
    workers: given.workers ?? 1,
    twilioLatencyMs: given.twilioLatencyMs ?? 0,
    // The smoke run only has to finish: a short wait is enough for 30 creates.
    dueMarginSeconds: smoke ? 15 : 45,
    smoke,
    phases,
    outDir,
  };
  if (params.replies > params.due) {
    throw new UsageError(`--replies ${params.replies}: at most --due (${params.due}); each client replies once`);
  }
  if (phases.includes('replies') && !phases.includes('due')) {
    throw new UsageError('--phases: replies answer the due phase\'s reminders; add "due"');
  }
  return params;
}
