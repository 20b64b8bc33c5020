import { z } from 'zod';

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
  };
  publicBaseUrl: string;
  /** null: SMS go to the built-in simulator and are not delivered. */
  twilio: { accountSid: string; authToken: string; apiBaseUrl: string | null } | null;
  logLevel: string;
}

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

const url = (what: string) =>
  optional.refine((value) => value === undefined || URL.canParse(value), { message: `must be a URL (${what})` });

const schema = z
  .object({
    PORT: optional.refine(
      (value) => value === undefined || (/^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= 65535),
      'must be a port number between 1 and 65535',
    ),
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
    PUBLIC_BASE_URL: url('the address Twilio and SendGrid use to reach this API'),
    TWILIO_ACCOUNT_SID: optional.refine(
      (value) => value === undefined || /^AC[0-9a-fA-F]{32}$/.test(value),
      'must be AC followed by 32 hex characters',
    ),
    TWILIO_AUTH_TOKEN: optional,
    TWILIO_API_BASE_URL: url('e.g. http://localhost:4010'),
    LOG_LEVEL: optional.pipe(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional()),
  })
  .superRefine((env, ctx) => {
    if (Boolean(env.TWILIO_ACCOUNT_SID) !== Boolean(env.TWILIO_AUTH_TOKEN)) {
      ctx.addIssue({
        code: 'custom',
        path: [env.TWILIO_ACCOUNT_SID ? 'TWILIO_AUTH_TOKEN' : 'TWILIO_ACCOUNT_SID'],
        message: 'TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN must be set together',
      });
    }
  });

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const e = parsed.data;
  const port = e.PORT ? Number(e.PORT) : 3000;
  return {
    port,
    databaseUrl: e.DATABASE_URL ?? null,
    temporal: {
      address: e.TEMPORAL_ADDRESS ?? null,
      namespace: e.TEMPORAL_NAMESPACE ?? 'default',
      taskQueue: e.TEMPORAL_TASK_QUEUE ?? 'reminders',
      cliPath: e.TEMPORAL_CLI_PATH ?? null,
    },
    publicBaseUrl: (e.PUBLIC_BASE_URL ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    twilio:
      e.TWILIO_ACCOUNT_SID && e.TWILIO_AUTH_TOKEN
        ? { accountSid: e.TWILIO_ACCOUNT_SID, authToken: e.TWILIO_AUTH_TOKEN, apiBaseUrl: e.TWILIO_API_BASE_URL ?? null }
        : null,
    logLevel: e.LOG_LEVEL ?? 'info',
  };
}
