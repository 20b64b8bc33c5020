/** What a chaos run does: its size, its faults and its limits. */
export interface ChaosParams {
  appointments: number;
  /** `before` durations of each appointment's SMS reminders, longest first. */
  reminders: string[];
  /** Signed inbound replies (C, STOP, START) posted while reminders are due. */
  replies: number;
  /** How many of the replies are posted while the Temporal server is down. */
  repliesWhileTemporalDown: number;
  /** Reminders fall due over this long (the first one about `leadMs` after the run starts). */
  windowMs: number;
  /** Time for creating every appointment before the first reminder is due. */
  leadMs: number;
  workerKills: number;
  temporalRestarts: number;
  /** How long the Temporal server stays down each time. */
  temporalDownMs: number;
  postgresRestarts: number;
  /** How long PostgreSQL stays down each time. */
  postgresDownMs: number;
  /** Share of message creations answered 5xx; half of those after accepting the message. */
  serverErrorRate: number;
  /** Share of message creations accepted and then never answered (the client times out). */
  hangRate: number;
  /** Share of appointments whose number Twilio refuses for good (21211 or 21614). */
  permanentErrorRate: number;
  /** The whole run, start to report, is stopped after this long. */
  timeoutMs: number;
  seed: number;
}

const MINUTE = 60_000;

export function defaultParams(appointments = 1000): ChaosParams {
  return {
    appointments,
    reminders: ['PT2M', 'PT1M'],
    replies: Math.round(appointments / 5),
    repliesWhileTemporalDown: Math.max(5, Math.round(appointments / 50)),
    // Roughly 1,000 appointments every 4 minutes: enough load to keep sends overlapping the faults.
    windowMs: Math.max(MINUTE, Math.round((appointments / 1000) * 4 * MINUTE)),
    // Creating an appointment took ~85 ms on 2 cores (1,000 in 85 s) with the worker busy.
    leadMs: Math.max(30_000, appointments * 100),
    workerKills: 2,
    temporalRestarts: 1,
    temporalDownMs: 20_000,
    postgresRestarts: 1,
    postgresDownMs: 3_000,
    serverErrorRate: 0.3,
    hangRate: 0.05,
    permanentErrorRate: 0.02,
    timeoutMs: 15 * MINUTE,
    seed: Date.now() % 2 ** 31,
  };
}

export class UsageError extends Error {
  override name = 'UsageError';
}

const USAGE = `usage: npm run chaos -- [--appointments N] [--replies N] [--window-seconds S] [--worker-kills N]
                         [--temporal-restarts N] [--postgres-restarts N] [--reminder-minutes M]
                         [--timeout-minutes M] [--seed N]`;

/** `--appointments 1000` and friends; every other value follows from the appointment count. */
export function parseArgs(argv: string[]): ChaosParams {
  const values = new Map<string, number>();
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--help' || flag === '-h') throw new UsageError(USAGE);
    const value = Number(argv[i + 1]);
    if (!flag.startsWith('--') || argv[i + 1] === undefined || !Number.isFinite(value) || value < 0) {
      throw new UsageError(`${flag} ${argv[i + 1] ?? ''}: expected --<name> <non-negative number>\n${USAGE}`);
    }
    values.set(flag.slice(2), value);
    i++;
  }
  const known = [
    'appointments',
    'replies',
    'window-seconds',
    'worker-kills',
    'temporal-restarts',
    'postgres-restarts',
    'reminder-minutes',
    'timeout-minutes',
    'seed',
  ];
  const unknown = [...values.keys()].filter((name) => !known.includes(name));
  if (unknown.length > 0) throw new UsageError(`unknown option --${unknown[0]}\n${USAGE}`);

  const params = defaultParams(Math.round(values.get('appointments') ?? 1000));
  if (params.appointments < 1) throw new UsageError('--appointments must be at least 1');
  const set = <K extends keyof ChaosParams>(key: K, name: string, scale = 1): void => {
    const value = values.get(name);
    if (value !== undefined) params[key] = Math.round(value * scale) as ChaosParams[K];
  };
  set('replies', 'replies');
  set('windowMs', 'window-seconds', 1000);
  set('workerKills', 'worker-kills');
  set('temporalRestarts', 'temporal-restarts');
  set('postgresRestarts', 'postgres-restarts');
  const minutes = values.get('reminder-minutes');
  if (minutes !== undefined) {
    // Reminders M and M-1 minutes before the start: from 11, both are handed over long ahead
    // (domain/hand-over.ts), which the default's 2 and 1 never are. The run waits for the starts.
    if (!Number.isInteger(minutes) || minutes < 2)
      throw new UsageError('--reminder-minutes must be a whole number, 2 or more');
    params.reminders = [`PT${minutes}M`, `PT${minutes - 1}M`];
    params.timeoutMs += (minutes - 2) * MINUTE;
  }
  set('timeoutMs', 'timeout-minutes', MINUTE);
  set('seed', 'seed');
  params.repliesWhileTemporalDown =
    params.temporalRestarts === 0 ? 0 : Math.min(params.repliesWhileTemporalDown, params.replies);
  return params;
}
