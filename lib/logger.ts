import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';
import pino, { type DestinationStream, type Logger } from 'pino';
import { initials, maskAddress, maskContactsIn, maskText } from './mask';

export type { Logger };

// Personal data never reaches a log line whole (CONTRACT.md "Operations"). Three nets, from
// the most to the least precise: call sites mask what they put in a message (lib/mask.ts);
// fields named like personal data are masked wherever they sit (REDACTED_FIELDS); and any
// phone number or email address quoted in free text (a message, an error, an SDK line) is
// masked by maskContactsIn. Names and bodies cannot be recognised in free text: they are
// the call sites' job, and the full-run test (test/e2e/log-privacy.test.ts) holds them to it.

/** Field name → how its value is shown in a log line. */
const REDACTED_FIELDS: Record<string, (value: string) => string> = {
  to: maskAddress,
  from: maskAddress,
  phone: maskAddress,
  email: maskAddress,
  To: maskAddress,
  From: maskAddress,
  name: initials,
  clientName: initials,
  body: maskText,
  Body: maskText,
  text: maskText,
  subject: maskText,
  html: maskText,
  authorization: () => '[Redacted]',
  cookie: () => '[Redacted]',
  'set-cookie': () => '[Redacted]',
  'x-twilio-signature': () => '[Redacted]',
  token: () => '[Redacted]',
};

const fieldPath = (key: string): string => (/^[A-Za-z_]\w*$/.test(key) ? key : `["${key}"]`);
const join = (prefix: string, key: string): string =>
  fieldPath(key).startsWith('[') ? `${prefix}${fieldPath(key)}` : `${prefix}.${fieldPath(key)}`;

/** Each field at the top of a line and up to two objects deep (`client.phone`, `req.headers.cookie`). */
export const REDACT_PATHS = Object.keys(REDACTED_FIELDS).flatMap((key) => [
  fieldPath(key),
  join('*', key),
  join('*.*', key),
]);

function censor(value: unknown, path: string[]): unknown {
  if (value === undefined || value === null) return value;
  if (typeof value !== 'string') return '[Redacted]';
  // Already masked upstream (a call site, or maskContactsIn): masking again would lose the hint.
  if (value.includes('•')) return value;
  const mask = REDACTED_FIELDS[path[path.length - 1] ?? ''];
  return mask ? mask(value) : '[Redacted]';
}

const MAX_DEPTH = 6;

/**
 * Every string in a log line's fields with its phone numbers and email addresses masked, and
 * every Error as pino's `err` serializer writes it (the SDK passes failures as `error`, whose
 * message JSON alone would drop). Returns the same object when nothing changed.
 */
function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskContactsIn(value);
  if (value instanceof Error) return scrub(pino.stdSerializers.err(value), depth);
  if (depth >= MAX_DEPTH || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const items = value.map((item) => scrub(item, depth + 1));
    return items.some((item, i) => item !== value[i]) ? items : value;
  }
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const scrubbed = scrub(item, depth + 1);
    if (scrubbed !== item) (copy ??= { ...(value as Record<string, unknown>) })[key] = scrubbed;
  }
  return copy ?? value;
}

/** JSON lines for machines; one logger per process, children per component. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor },
    serializers: { err: (err: Error) => scrub(pino.stdSerializers.err(err)) },
    formatters: {
      // `err` is left to its serializer, which runs after this and wants the Error itself.
      log: ({ err, ...fields }) => {
        const scrubbed = scrub(fields) as Record<string, unknown>;
        return err === undefined ? scrubbed : { ...scrubbed, err };
      },
    },
    hooks: {
      logMethod(args, method) {
        method.apply(
          this,
          args.map((arg) => (typeof arg === 'string' ? maskContactsIn(arg) : arg)) as Parameters<typeof method>,
        );
      },
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** The SDK's components whose lines tell an appointment's story (with its workflow id). */
const STORY_COMPONENTS = new Set(['workflow', 'activity']);

/**
 * The SDK's worker traces activations and activity tasks with their payloads (a workflow's
 * arguments, an update's input, a reply signal's text): base64 JSON, so the client's phone,
 * email and name would pass every text mask. Each payload is shown as its size instead.
 */
export function withoutPayloads(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object' || depth > 32) return value;
  if (Array.isArray(value)) return value.map((item) => withoutPayloads(item, depth + 1));
  if (value instanceof Error || value instanceof Date) return value;
  const fields = value as Record<string, unknown>;
  if ('metadata' in fields && 'data' in fields) return `[payload, ${payloadSize(fields.data)} bytes]`;
  if (ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  return Object.fromEntries(Object.entries(fields).map(([key, item]) => [key, withoutPayloads(item, depth + 1)]));
}

function payloadSize(data: unknown): number {
  if (ArrayBuffer.isView(data)) return data.byteLength;
  if (typeof data === 'string') return Buffer.byteLength(data, 'base64');
  return 0;
}

/**
 * The Temporal SDK logs through its own Runtime; this sends its lines to our logger. Workflow
 * and activity lines are the appointments' story and follow LOG_LEVEL. The SDK's own
 * components (worker, core) print the whole webpack report of the workflow bundle at INFO,
 * so they speak at WARN unless LOG_LEVEL asks for debug.
 */
export function installTemporalLogger(
  log: Logger,
  options: {
    /** Where the SDK's own Prometheus exporter listens (lib/metrics.ts). */
    metricsBindAddress: string;
  },
): void {
  const detailed = log.isLevelEnabled('debug');
  const forward = (entry: LogEntry): void => {
    const level = entry.level.toLowerCase() as 'trace' | 'debug' | 'info' | 'warn' | 'error';
    // Every SDK line passes here: drop what nobody will see before building anything.
    if (!log.isLevelEnabled(level)) return;
    const component: unknown = entry.meta?.sdkComponent;
    const isStory = typeof component === 'string' && STORY_COMPONENTS.has(component);
    if (!isStory && !detailed && (level === 'trace' || level === 'debug' || level === 'info')) return;
    log[level](withoutPayloads(entry.meta ?? {}) as Record<string, unknown>, entry.message);
  };
  Runtime.install({
    logger: new DefaultLogger('TRACE', forward),
    // Every process orders its own shutdown (lib/shutdown.ts, the dev launcher): the SDK must not
    // react to SIGTERM or Ctrl-C on its own.
    shutdownSignals: [],
    telemetryOptions: { metrics: { prometheus: { bindAddress: options.metricsBindAddress } } },
  });
}
