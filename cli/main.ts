import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config';
import { createPrismaClient } from '../db/client';
import { applyMigrations } from '../db/migrate';
import { createApiKey, revokeApiKey } from '../services/api-keys';
import { ConflictError, NotFoundError, ValidationError } from '../lib/errors';
import { createPractice } from '../services/practices';
import { SIMULATE_REPLY_USAGE, SimulateReplyError, simulateReplyCommand } from './simulate-reply';

// The operator CLI: `npm run cli -- <command>`. Expected failures print one clear message
// and exit 1; only a bug shows a stack trace.

const USAGE = `Usage: npm run cli -- <command>

  practice create --id <id> --name <name> --sms-from <E.164 or MG… SID>
                  [--sender-name <≤11 chars>] [--email-from <addr>] [--time-zone <IANA>] [--help-phone <E.164>]
  apikey create   --practice <id>        prints a new key once; only its hash is stored
  apikey revoke   --key-prefix <prefix>
  ${SIMULATE_REPLY_USAGE}

Uses the database at DATABASE_URL. Run as \`npm run cli\` or appointment-reminders, it defaults
to the embedded development PostgreSQL under .data/ (shared with a running \`npm run dev\`).`;

class UsageError extends Error {}
/** Something the CLI needs is not configured; the message says what. */
class SetupError extends Error {}

type Prisma = ReturnType<typeof createPrismaClient>;

const COMMANDS: Record<
  string,
  {
    options: Record<string, { type: 'string' }>;
    run: (prisma: Prisma, values: Record<string, string | undefined>) => Promise<string>;
  }
> = {
  'practice create': {
    options: {
      id: { type: 'string' },
      name: { type: 'string' },
      'sms-from': { type: 'string' },
      'sender-name': { type: 'string' },
      'email-from': { type: 'string' },
      'time-zone': { type: 'string' },
      'help-phone': { type: 'string' },
    },
    run: async (prisma, v) => {
      const practice = await createPractice(prisma, {
        id: required(v, 'id'),
        name: required(v, 'name'),
        smsFrom: required(v, 'sms-from'),
        ...(v['sender-name'] !== undefined ? { senderName: v['sender-name'] } : {}),
        ...(v['email-from'] !== undefined ? { emailFrom: v['email-from'] } : {}),
        ...(v['time-zone'] !== undefined ? { timeZone: v['time-zone'] } : {}),
        ...(v['help-phone'] !== undefined ? { helpPhone: v['help-phone'] } : {}),
      });
      return `Created practice "${practice.id}" (${practice.name}), sending from ${practice.smsFrom}, time zone ${practice.timeZone}.`;
    },
  },
  'apikey create': {
    options: { practice: { type: 'string' } },
    run: async (prisma, v) => {
      const { key, prefix } = await createApiKey(prisma, required(v, 'practice'));
      return `${key}\n\nThis is the only time the key is shown. Revoke it with: npm run cli -- apikey revoke --key-prefix ${prefix}`;
    },
  },
  'apikey revoke': {
    options: { 'key-prefix': { type: 'string' } },
    run: async (prisma, v) => {
      const prefix = required(v, 'key-prefix');
      await revokeApiKey(prisma, prefix);
      return `Revoked API key ${prefix}.`;
    },
  },
  'simulate reply': simulateReplyCommand,
};

function required(values: Record<string, string | undefined>, name: string): string {
  const value = values[name];
  if (value === undefined || value === '') throw new UsageError(`--${name} is required.`);
  return value;
}

function parseCommandLine(argv: string[]) {
  const name = argv.slice(0, 2).join(' ');
  const command = COMMANDS[name];
  if (!command) throw new UsageError(argv.length === 0 ? 'No command given.' : `Unknown command "${name}".`);
  try {
    const { values } = parseArgs({
      args: argv.slice(2),
      options: command.options,
      strict: true,
      allowPositionals: false,
    });
    return { command, values: values as Record<string, string | undefined> };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Whether the command line names a command to run (false: main() prints the usage and needs no database). */
export function isCommand(argv: string[]): boolean {
  try {
    parseCommandLine(argv);
    return true;
  } catch {
    return false;
  }
}

export async function runCli(argv: string[]): Promise<string> {
  const { command, values } = parseCommandLine(argv);
  const { databaseUrl } = loadConfig();
  if (!databaseUrl) {
    throw new SetupError(
      'DATABASE_URL is not set: set it to the PostgreSQL database to manage ' +
        '(`npm run cli -- …` sets it to the embedded development database).',
    );
  }
  const prisma = createPrismaClient(databaseUrl);
  try {
    await applyMigrations(databaseUrl);
    return await command.run(prisma, values);
  } finally {
    await prisma.$disconnect();
  }
}

/** Runs one command line, printing its output or its error; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    console.log(await runCli(argv));
    return 0;
  } catch (err) {
    if (err instanceof UsageError) console.error(`${err.message}\n\n${USAGE}`);
    else if (err instanceof ValidationError)
      console.error(err.errors.map((e) => `--${kebab(e.path)}: ${e.message}`).join('\n'));
    else if (
      err instanceof ConfigError ||
      err instanceof SetupError ||
      err instanceof SimulateReplyError ||
      err instanceof NotFoundError ||
      err instanceof ConflictError
    ) {
      console.error(err.message);
    } else console.error(err);
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

function kebab(path: string): string {
  return path.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
