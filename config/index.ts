import { createPublicKey } from 'node:crypto';
import { EventWebhook } from '@sendgrid/eventwebhook';
import { z } from 'zod';
import { readTemporalAccess, TEMPORAL_ACCESS_VARIABLES, type TemporalTls } from './temporal-connection';

// Configuration is read from the environment once, at start, into this typed object.
// Anything invalid stops the process with one line per problem (ConfigError).

export interface Config {
  port: number;
  /** null: start an embedded PostgreSQL under `.data/`. */
  databaseUrl: string | null;
  temporal: {
    /** null: the dev launcher starts a Temporal dev server. */
    address: string | null;
    namespace: string;
    taskQueue: string;
    cliPath: string | null;
    /** TEMPORAL_UI_URL: the Temporal Web UI staff open; views and the dev banner link each workflow there. */
    uiUrl: string | null;
    /** TEMPORAL_TLS_*: TLS to the frontend, files read at start (config/temporal-connection.ts); null or absent: plain TCP. */
    tls?: TemporalTls | null;
    /** TEMPORAL_API_KEY (Temporal Cloud): sent as a bearer token over TLS; null or absent: none. */
    apiKey?: string | null;
  };
  /** WORKER_HTTP_PORT: the worker process's own /healthz, /readyz and /metrics; 0 picks a free port. */
  workerHttpPort: number;
  /** WORKER_MAX_*: how much the worker holds and runs at once (worker.ts). */
  workerCapacity: WorkerCapacity;
  publicBaseUrl: string;
  /**
   * null: SMS go to the built-in simulator and are not delivered. `maxConcurrentRequests`
   * (TWILIO_MAX_CONCURRENT_REQUESTS): REST calls one process makes to Twilio at once.
   */
  twilio: { accountSid: string; authToken: string; apiBaseUrl: string | null; maxConcurrentRequests: number } | null;
  /**
   * TWILIO_DEV_WEBHOOK_TOKEN, development only: with Twilio unconfigured, the Twilio webhooks
   * accept requests signed with it (`npm run cli -- simulate reply` plays a client with it).
   * Never set together with Twilio's credentials, whose auth token alone then verifies webhooks.
   */
  twilioDevWebhookToken?: string | null;
  /** null: email goes to the built-in simulator and is not delivered. */
  sendgrid: { apiKey: string; apiBaseUrl: string | null } | null;
  /** Verifies SendGrid's signed event webhook (base64 DER or PEM, ECDSA P-256); null: the webhook refuses every post. */
  sendgridWebhookPublicKey: string | null;
  /** Signs confirm links; null: the dev launcher makes one, and the API alone refuses to start with email configured. */
  linkSigningSecret: string | null;
  logLevel: string;
  /** Read only by the dev tooling (`npm run dev`, `npm run cli`): where its embedded servers listen. */
  dev: {
    /** DEV_POSTGRES_PORT: the embedded PostgreSQL used when DATABASE_URL is unset. */
    postgresPort: number;
    /** DEV_TEMPORAL_PORT: the Temporal dev server's frontend (gRPC) when TEMPORAL_ADDRESS is unset. */
    temporalPort: number;
    /** DEV_TEMPORAL_UI_PORT: the Temporal dev server's Web UI; unset, the frontend's port + 1000. */
    temporalUiPort: number;
  };
}

/** How much one worker process holds in memory and runs at once. */
export interface WorkerCapacity {
  /** WORKER_MAX_CACHED_WORKFLOWS: workflows kept in memory between tasks; an evicted one replays its history on its next task. 0: none kept. */
  maxCachedWorkflows: number;
  /** WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: workflow tasks run at once (at most maxCachedWorkflows when caching). */
  maxConcurrentWorkflowTasks: number;
  /** WORKER_MAX_CONCURRENT_ACTIVITIES: activities run at once; a send waiting for its due instant holds one. */
  maxConcurrentActivities: number;
}

// Measured with bench/performance/worker-memory.ts (README, Performance): an idle worker holds
// ~500 MiB of RSS and each cached workflow ~0.4 MiB more, so 500 cached keep the worker near
// 700 MiB however many appointments are open (the rest live only in Temporal's history and
// replay from it when their timer fires). Activity slots are cheap: a send waiting for its due
// instant holds one, and 1,000 reminders due at one instant need 1,000 at once.
export const DEFAULT_WORKER_CAPACITY: WorkerCapacity = {
  maxCachedWorkflows: 500,
  maxConcurrentWorkflowTasks: 40,
  maxConcurrentActivities: 2_000,
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const optional = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const isPort = (value: string): boolean => /^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= 65535;
const port = optional.refine(
  (value) => value === undefined || isPort(value),
  'must be a port number between 1 and 65535',
);

// The dev tooling's ports. The Web UI follows the frontend at +1000 unless set, as in the
// Temporal CLI, so moving off another Temporal dev server takes one setting.
type DevPorts = { DEV_POSTGRES_PORT?: string; DEV_TEMPORAL_PORT?: string; DEV_TEMPORAL_UI_PORT?: string };
function devPorts(env: DevPorts): {
  DEV_POSTGRES_PORT: number;
  DEV_TEMPORAL_PORT: number;
  DEV_TEMPORAL_UI_PORT: number;
} {
  const temporal = env.DEV_TEMPORAL_PORT === undefined ? 7233 : Number(env.DEV_TEMPORAL_PORT);
  return {
    DEV_POSTGRES_PORT: env.DEV_POSTGRES_PORT === undefined ? 5488 : Number(env.DEV_POSTGRES_PORT),
    DEV_TEMPORAL_PORT: temporal,
    DEV_TEMPORAL_UI_PORT: env.DEV_TEMPORAL_UI_PORT === undefined ? temporal + 1000 : Number(env.DEV_TEMPORAL_UI_PORT),
  };
}

function invalid(env: DevPorts, name: keyof DevPorts): boolean {
  const own = env[name];
  if (own !== undefined) return !isPort(own);
  return name === 'DEV_TEMPORAL_UI_PORT' && env.DEV_TEMPORAL_PORT !== undefined && !isPort(env.DEV_TEMPORAL_PORT);
}

/**
 * Whether SendGrid's event webhook can be verified with this key: an ECDSA P-256 public key,
 * base64 DER (as SendGrid shows it) or PEM, that the verifying library (api/routes/
 * sendgrid-webhooks.ts) reads too.
 */
function isSendGridVerificationKey(key: string): boolean {
  try {
    new EventWebhook().convertPublicKeyToECDSA(key);
    const der = Buffer.from(key.replace(/-----[^-]+-----/g, '').replace(/\s/g, ''), 'base64');
    const details = createPublicKey({ key: der, format: 'der', type: 'spki' }).asymmetricKeyDetails;
    return details?.namedCurve === 'prime256v1';
  } catch {
    return false;
  }
}

/**
 * REST calls one process makes to Twilio at once; more wait for a free connection. Twilio
 * refuses an account's requests past its concurrency limit (error 20429), which every process
 * with its credentials shares, so a deployment sets this to that limit divided by its worker
 * processes. The SDK's own bound, 20, would send a morning batch of a thousand reminders over
 * ~50 round trips to Twilio; 50 leaves room for a second worker under a limit of 100.
 */
export const DEFAULT_TWILIO_MAX_CONCURRENT_REQUESTS = 50;

// Capacity settings: whole numbers in a range, some also 0 with a meaning of its own.
const COUNTS = {
  WORKER_MAX_CACHED_WORKFLOWS: {
    min: 2,
    max: 1_000_000,
    zero: 'to keep none (every workflow task replays its history)',
  },
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: { min: 2, max: 10_000 },
  WORKER_MAX_CONCURRENT_ACTIVITIES: { min: 1, max: 100_000 },
  TWILIO_MAX_CONCURRENT_REQUESTS: { min: 1, max: 10_000 },
} as const satisfies Record<string, { min: number; max: number; zero?: string }>;

function isCount(name: keyof typeof COUNTS, value: string): boolean {
  const range: { min: number; max: number; zero?: string } = COUNTS[name];
  if (!/^\d+$/.test(value)) return false;
  return (Number(value) >= range.min && Number(value) <= range.max) || (range.zero !== undefined && value === '0');
}

const count = (name: keyof typeof COUNTS) => {
  const range: { min: number; max: number; zero?: string } = COUNTS[name];
  return optional.refine(
    (value) => value === undefined || isCount(name, value),
    `must be a whole number from ${range.min} to ${range.max}${range.zero === undefined ? '' : `, or 0 ${range.zero}`}`,
  );
};

const url = (what: string) =>
  optional.refine((value) => value === undefined || URL.canParse(value), { message: `must be a URL (${what})` });

const schema = z
  .object({
    PORT: port,
    DATABASE_URL: optional.refine(
      (value) => value === undefined || /^postgres(ql)?:\/\//.test(value),
      'must be a postgresql:// URL',
    ),
    TEMPORAL_ADDRESS: optional.refine(
      (value) => value === undefined || /^[^\s:/]+:\d+$/.test(value),
      'must be host:port, e.g. localhost:7233',
    ),
    TEMPORAL_NAMESPACE: optional,
    TEMPORAL_TASK_QUEUE: optional,
    TEMPORAL_CLI_PATH: optional,
    TEMPORAL_UI_URL: url('the Temporal Web UI, e.g. http://localhost:8233'),
    WORKER_HTTP_PORT: optional.refine(
      (value) => value === undefined || value === '0' || isPort(value),
      'must be a port number between 1 and 65535, or 0 for any free port',
    ),
    WORKER_MAX_CACHED_WORKFLOWS: count('WORKER_MAX_CACHED_WORKFLOWS'),
    WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: count('WORKER_MAX_CONCURRENT_WORKFLOW_TASKS'),
    WORKER_MAX_CONCURRENT_ACTIVITIES: count('WORKER_MAX_CONCURRENT_ACTIVITIES'),
    PUBLIC_BASE_URL: url('the address Twilio and SendGrid use to reach this API'),
    TWILIO_ACCOUNT_SID: optional.refine(
      (value) => value === undefined || /^AC[0-9a-fA-F]{32}$/.test(value),
      'must be AC followed by 32 hex characters',
    ),
    TWILIO_AUTH_TOKEN: optional,
    TWILIO_API_BASE_URL: url('e.g. http://localhost:4010'),
    TWILIO_MAX_CONCURRENT_REQUESTS: count('TWILIO_MAX_CONCURRENT_REQUESTS'),
    TWILIO_DEV_WEBHOOK_TOKEN: optional.refine(
      (value) => value === undefined || value.length >= 32,
      'must be at least 32 characters (e.g. openssl rand -hex 32)',
    ),
    SENDGRID_API_KEY: optional,
    SENDGRID_API_BASE_URL: url('e.g. http://localhost:4020'),
    // A PEM key in an .env file often has its line breaks written as \n.
    SENDGRID_WEBHOOK_PUBLIC_KEY: optional
      .transform((value) => value?.replace(/\\n/g, '\n'))
      .refine(
        (value) => value === undefined || isSendGridVerificationKey(value),
        "must be the verification key of SendGrid's Signed Event Webhook (an ECDSA P-256 public key, base64 or PEM)",
      ),
    LINK_SIGNING_SECRET: optional.refine(
      (value) => value === undefined || value.length >= 32,
      'must be at least 32 characters (e.g. openssl rand -hex 32)',
    ),
    LOG_LEVEL: optional.pipe(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional()),
    DEV_POSTGRES_PORT: port,
    DEV_TEMPORAL_PORT: port,
    DEV_TEMPORAL_UI_PORT: port,
  })
  .superRefine((env, ctx) => {
    if (Boolean(env.TWILIO_ACCOUNT_SID) !== Boolean(env.TWILIO_AUTH_TOKEN)) {
      ctx.addIssue({
        code: 'custom',
        path: [env.TWILIO_ACCOUNT_SID ? 'TWILIO_AUTH_TOKEN' : 'TWILIO_ACCOUNT_SID'],
        message: 'TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN must be set together',
      });
    }
    if (env.TWILIO_DEV_WEBHOOK_TOKEN && env.TWILIO_AUTH_TOKEN) {
      ctx.addIssue({
        code: 'custom',
        path: ['TWILIO_DEV_WEBHOOK_TOKEN'],
        message: 'is for development without Twilio: unset it, webhooks are verified with TWILIO_AUTH_TOKEN',
      });
    }
    // The SDK would quietly lower the workflow task slots to the cache's size; say so instead.
    // Values already reported as invalid above are left out.
    const cached = env.WORKER_MAX_CACHED_WORKFLOWS ?? String(DEFAULT_WORKER_CAPACITY.maxCachedWorkflows);
    const slots =
      env.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS ?? String(DEFAULT_WORKER_CAPACITY.maxConcurrentWorkflowTasks);
    const bothValid =
      isCount('WORKER_MAX_CACHED_WORKFLOWS', cached) && isCount('WORKER_MAX_CONCURRENT_WORKFLOW_TASKS', slots);
    if (bothValid && Number(cached) > 0 && Number(slots) > Number(cached)) {
      ctx.addIssue({
        code: 'custom',
        path: ['WORKER_MAX_CONCURRENT_WORKFLOW_TASKS'],
        message: `must not exceed WORKER_MAX_CACHED_WORKFLOWS (${cached}): a workflow task runs on a cached workflow`,
      });
    }
    // Two dev servers on one port cannot both start; say so now rather than as a port-taken error later.
    // Values already reported as invalid above are left out.
    const ports = Object.entries(devPorts(env)).filter(([name]) => !invalid(env, name as keyof DevPorts));
    const derivedUi = env.DEV_TEMPORAL_UI_PORT === undefined;
    const seen = new Map<number, string>();
    for (const [name, value] of ports) {
      const derived = name === 'DEV_TEMPORAL_UI_PORT' && derivedUi ? '; unset, it is DEV_TEMPORAL_PORT + 1000' : '';
      if (value > 65535) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `must be set when DEV_TEMPORAL_PORT is above 64535${derived}`,
        });
        continue;
      }
      const other = seen.get(value);
      if (other)
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `must differ from ${other} (both are ${value}${derived})`,
        });
      else seen.set(value, name);
    }
  });

/** The settings only the worker process reads (docker-compose.yml gives them to it alone). */
export const WORKER_CAPACITY_VARIABLES: readonly string[] = Object.keys(COUNTS);

/** Every environment variable loadConfig reads (test/deploy checks docker-compose.yml against it). */
export const CONFIG_VARIABLES: readonly string[] = [...Object.keys(schema.shape), ...TEMPORAL_ACCESS_VARIABLES];

const numberOr = (value: string | undefined, fallback: number): number =>
  value === undefined ? fallback : Number(value);

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  const temporalAccess = readTemporalAccess(env);
  if (!parsed.success || temporalAccess.problems.length > 0) {
    throw new ConfigError([
      ...(parsed.error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`) ?? []),
      ...temporalAccess.problems,
    ]);
  }
  const e = parsed.data;
  const port = e.PORT ? Number(e.PORT) : 3000;
  const dev = devPorts(e);
  return {
    port,
    databaseUrl: e.DATABASE_URL ?? null,
    temporal: {
      address: e.TEMPORAL_ADDRESS ?? null,
      namespace: e.TEMPORAL_NAMESPACE ?? 'default',
      taskQueue: e.TEMPORAL_TASK_QUEUE ?? 'reminders',
      cliPath: e.TEMPORAL_CLI_PATH ?? null,
      uiUrl: e.TEMPORAL_UI_URL?.replace(/\/+$/, '') ?? null,
      ...temporalAccess.access,
    },
    workerHttpPort: e.WORKER_HTTP_PORT === undefined ? 3001 : Number(e.WORKER_HTTP_PORT),
    workerCapacity: {
      maxCachedWorkflows: numberOr(e.WORKER_MAX_CACHED_WORKFLOWS, DEFAULT_WORKER_CAPACITY.maxCachedWorkflows),
      maxConcurrentWorkflowTasks: numberOr(
        e.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
        DEFAULT_WORKER_CAPACITY.maxConcurrentWorkflowTasks,
      ),
      maxConcurrentActivities: numberOr(
        e.WORKER_MAX_CONCURRENT_ACTIVITIES,
        DEFAULT_WORKER_CAPACITY.maxConcurrentActivities,
      ),
    },
    publicBaseUrl: (e.PUBLIC_BASE_URL ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    twilio:
      e.TWILIO_ACCOUNT_SID && e.TWILIO_AUTH_TOKEN
        ? {
            accountSid: e.TWILIO_ACCOUNT_SID,
            authToken: e.TWILIO_AUTH_TOKEN,
            apiBaseUrl: e.TWILIO_API_BASE_URL ?? null,
            maxConcurrentRequests: numberOr(e.TWILIO_MAX_CONCURRENT_REQUESTS, DEFAULT_TWILIO_MAX_CONCURRENT_REQUESTS),
          }
        : null,
    twilioDevWebhookToken: e.TWILIO_DEV_WEBHOOK_TOKEN ?? null,
    sendgrid: e.SENDGRID_API_KEY ? { apiKey: e.SENDGRID_API_KEY, apiBaseUrl: e.SENDGRID_API_BASE_URL ?? null } : null,
    sendgridWebhookPublicKey: e.SENDGRID_WEBHOOK_PUBLIC_KEY ?? null,
    linkSigningSecret: e.LINK_SIGNING_SECRET ?? null,
    logLevel: e.LOG_LEVEL ?? 'info',
    dev: {
      postgresPort: dev.DEV_POSTGRES_PORT,
      temporalPort: dev.DEV_TEMPORAL_PORT,
      temporalUiPort: dev.DEV_TEMPORAL_UI_PORT,
    },
  };
}
