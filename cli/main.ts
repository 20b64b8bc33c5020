import { parseArgs } from 'node:util';
import { Duration } from 'luxon';
import { ConfigError, loadConfig } from '../config';
import { createPrismaClient } from '../db/client';
import { applyMigrations } from '../db/migrate';
import { createApiKey, revokeApiKey } from '../services/api-keys';
import { ConflictError, NotFoundError, ValidationError, type FieldError } from '../lib/errors';
import { createPractice, practiceView, updatePractice, type PracticeView } from '../services/practices';
import { SimulateReplyError, simulateReplyCommand } from './simulate-reply';

// The operator CLI: `npm run cli -- <command>`. Expected failures print one clear message
// (one line per bad flag) and exit 1; only a bug shows a stack trace. `--help` on any
// command prints its usage and needs no database.

const FOOTER = `Uses the database at DATABASE_URL. Run as \`npm run cli\` or appointment-reminders, it defaults
to the embedded development PostgreSQL under .data/ (shared with a running \`npm run dev\`).`;

class UsageError extends Error {
  constructor(
    message: string,
    /** The usage to show with it; absent: the usage of the command being run. */
    readonly usage?: string,
  ) {
    super(message);
  }
}
/** Something the CLI needs is not configured; the message says what. */
class SetupError extends Error {}

type Prisma = ReturnType<typeof createPrismaClient>;
type Values = Record<string, string | string[] | undefined>;

interface Command {
  usage: string;
  options: Record<string, { type: 'string'; multiple?: boolean }>;
  run: (prisma: Prisma, values: Values) => Promise<string>;
}

const SETTINGS_USAGE = `  --name <name>
  --sms-from <E.164 or MG… SID>          the Twilio sender; no two practices share one
  --sender-name <≤11 chars>              alphanumeric sender: letters, digits, space, - + _ &; not only digits
  --email-from <addr>                    a sender verified in SendGrid
  --help-phone <E.164>                   named in the HELP answer
  --time-zone <IANA>                     e.g. Europe/Rome
  --locale <BCP 47>                      language and date format of texts, e.g. en, it-IT`;

const COMMANDS: Record<string, Command> = {
  'practice create': {
    usage: `practice create --id <id> --name <name> --sms-from <E.164 or MG… SID>
                [--sender-name <≤11 chars>] [--email-from <addr>] [--time-zone <IANA>]
                [--locale <BCP 47>] [--help-phone <E.164>]

Adds a practice. Defaults: time zone UTC, locale en, reminders a day and two hours before by
SMS to the client, quiet hours 21:00-08:00; change any of them with \`practice update\`.

  --id <id>                              lower-case letters, digits and dashes
${SETTINGS_USAGE}`,
    options: {
      id: { type: 'string' },
      ...stringOptions('name', 'sms-from', 'sender-name', 'email-from', 'time-zone', 'locale', 'help-phone'),
    },
    run: async (prisma, v) => {
      const { view, warnings } = await createPractice(prisma, {
        id: required(v, 'id'),
        ...settingsFromFlags(v),
        name: required(v, 'name'),
        smsFrom: required(v, 'sms-from'),
      });
      return withWarnings(
        `Created practice "${view.id}" (${view.name}), sending from ${view.smsFrom}, time zone ${view.timeZone}.`,
        warnings,
      );
    },
  },
  'practice update': {
    usage: `practice update --id <id> [--name …] [--sms-from …] [--sender-name …] [--email-from …]
                [--help-phone …] [--time-zone …] [--locale …] [--reminder-policy <json>]
                [--quiet-hours <HH:MM-HH:MM|off>] [--template <key>=<text>]…
                [--sms-monthly-budget <segments|off>] [--opt-out-replies practice|twilio]

Changes only the settings given; the others keep their values. An empty value clears
--sender-name, --email-from and --help-phone.

  --id <id>                              the practice to change
${SETTINGS_USAGE}
  --reminder-policy <json>               replaces the whole policy, e.g.
                                         '[{"before":"P1D","channel":"sms","recipients":"both"}]'
                                         (recipients: client, practitioner or both; default client)
  --quiet-hours <HH:MM-HH:MM|off>        local hours in which nothing is sent, e.g. 21:00-08:00
  --template <key>=<text>                repeatable; sets one template, e.g.
                                         reminder_client.sms.it='Ciao {{clientFirstName}}…';
                                         <key>= with no text removes it (the built-in default applies)
  --sms-monthly-budget <segments|off>    SMS segments per calendar month in the practice's time zone
  --opt-out-replies practice|twilio      who answers STOP/START: we do, or Twilio Advanced Opt-Out`,
    options: {
      id: { type: 'string' },
      ...stringOptions(
        'name',
        'sms-from',
        'sender-name',
        'email-from',
        'time-zone',
        'locale',
        'help-phone',
        'reminder-policy',
        'quiet-hours',
        'sms-monthly-budget',
        'opt-out-replies',
      ),
      template: { type: 'string', multiple: true },
    },
    run: async (prisma, v) => {
      const id = required(v, 'id');
      const change = settingsFromFlags(v);
      if (Object.keys(change).length === 0) {
        throw new UsageError('Give at least one setting to change.');
      }
      const { view, warnings } = await updatePractice(prisma, id, change, 'operator');
      return withWarnings(`Updated practice "${id}".\n\n${describePractice(view)}`, warnings);
    },
  },
  'practice show': {
    usage: `practice show --id <id>

Prints the practice's settings and its SMS usage this month.`,
    options: { id: { type: 'string' } },
    run: async (prisma, v) => describePractice(await practiceView(prisma, required(v, 'id'))),
  },
  'apikey create': {
    usage: `apikey create --practice <id>

Prints a new API key for the practice once; only its hash is stored.`,
    options: { practice: { type: 'string' } },
    run: async (prisma, v) => {
      const { key, prefix } = await createApiKey(prisma, required(v, 'practice'));
      return `${key}\n\nThis is the only time the key is shown. Revoke it with: npm run cli -- apikey revoke --key-prefix ${prefix}`;
    },
  },
  'apikey revoke': {
    usage: `apikey revoke --key-prefix <prefix>

Revokes an API key, named by the prefix it starts with (ark_1a2b3c4d).`,
    options: { 'key-prefix': { type: 'string' } },
    run: async (prisma, v) => {
      const prefix = required(v, 'key-prefix');
      await revokeApiKey(prisma, prefix);
      return `Revoked API key ${prefix}.`;
    },
  },
  'simulate reply': simulateReplyCommand,
};

/** The usage of several commands: the first paragraph of each. */
function summary(commands: Command[]): string {
  const lines = commands.map((command) => `  ${command.usage.split('\n\n')[0].replace(/\n/g, '\n  ')}`);
  return `Usage: npm run cli -- <command> [--help]\n\n${lines.join('\n')}\n\n\`<command> --help\` describes each command.`;
}

const USAGE = `${summary(Object.values(COMMANDS))}\n\n${FOOTER}`;

function commandUsage(command: Command): string {
  return `Usage: npm run cli -- ${command.usage}\n\n${FOOTER}`;
}

function stringOptions(...names: string[]): Record<string, { type: 'string' }> {
  return Object.fromEntries(names.map((name) => [name, { type: 'string' as const }]));
}

function required(values: Values, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required.`);
  return value;
}

/** The flag a setting is given with (errors name the flag the operator typed). */
const FLAG_OF: Record<string, string> = { templates: 'template' };

function flagOf(setting: string): string {
  return FLAG_OF[setting] ?? setting.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * The settings the flags give, in the API's shape. What is only command-line syntax (JSON,
 * "off", key=text) is read here; every rule about the values is the service's.
 */
function settingsFromFlags(v: Values): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  const errors: FieldError[] = [];
  const text = (flag: string) => (typeof v[flag] === 'string' ? v[flag] : undefined);
  const setText = (flag: string, setting: string, clearable: boolean) => {
    const value = text(flag);
    if (value !== undefined) settings[setting] = clearable && value === '' ? null : value;
  };
  setText('name', 'name', false);
  setText('sms-from', 'smsFrom', false);
  setText('sender-name', 'senderName', true);
  setText('email-from', 'emailFrom', true);
  setText('help-phone', 'helpPhone', true);
  setText('time-zone', 'timeZone', false);
  setText('locale', 'locale', false);
  setText('opt-out-replies', 'optOutReplies', false);

  const policy = text('reminder-policy');
  if (policy !== undefined) {
    try {
      settings.reminderPolicy = JSON.parse(policy);
    } catch {
      errors.push({ path: 'reminderPolicy', message: `must be JSON, e.g. '[{"before":"P1D","channel":"sms"}]'` });
    }
  }
  const quietHours = text('quiet-hours');
  if (quietHours !== undefined) {
    const window = /^([^-]+)-([^-]+)$/.exec(quietHours);
    if (quietHours === 'off') settings.quietHours = null;
    else if (window) settings.quietHours = { start: window[1], end: window[2] };
    else errors.push({ path: 'quietHours', message: 'must be HH:MM-HH:MM, e.g. 21:00-08:00, or off' });
  }
  const budget = text('sms-monthly-budget');
  if (budget !== undefined) {
    if (budget === 'off') settings.smsMonthlyBudget = null;
    else if (/^\d+$/.test(budget)) settings.smsMonthlyBudget = Number(budget);
    else errors.push({ path: 'smsMonthlyBudget', message: 'must be a whole number of SMS segments, or off' });
  }
  const templates = v.template;
  if (Array.isArray(templates)) {
    const change: Record<string, string | null> = {};
    for (const entry of templates) {
      const at = entry.indexOf('=');
      if (at <= 0) errors.push({ path: 'templates', message: `"${entry}" must be <key>=<text>` });
      else change[entry.slice(0, at)] = entry.slice(at + 1) === '' ? null : entry.slice(at + 1);
    }
    settings.templates = change;
  }
  if (errors.length > 0) throw new ValidationError(errors);
  return settings;
}

function withWarnings(output: string, warnings: string[]): string {
  return [output, ...warnings.map((warning) => `Warning: ${warning}`)].join('\n');
}

function describeBefore(before: string): string {
  return Duration.fromISO(before).rescale().toHuman({ listStyle: 'narrow' });
}

/** The settings as an operator reads them. */
function describePractice(view: PracticeView): string {
  const { smsUsage: usage } = view;
  const templates = Object.entries(view.templates);
  const rows: [string, string][] = [
    ['Name', view.name],
    ['SMS sender', view.smsFrom],
    ['Sender name', view.senderName ?? 'not set (texts come from the SMS sender)'],
    ['Email sender', view.emailFrom ?? 'not set (no email reminders)'],
    ['Help phone', view.helpPhone ?? 'not set'],
    ['Time zone', view.timeZone],
    ['Locale', view.locale],
    [
      'Reminders',
      view.reminderPolicy
        .map((rule) => `${describeBefore(rule.before)} before by ${rule.channel} to ${rule.recipients}`)
        .join('; '),
    ],
    ['Quiet hours', view.quietHours ? `${view.quietHours.start}-${view.quietHours.end}` : 'off'],
    ['SMS budget', view.smsMonthlyBudget === null ? 'no limit' : `${view.smsMonthlyBudget} segments a month`],
    [
      `SMS used ${usage.month}`,
      `${usage.segments} segments${usage.remaining === null ? '' : `, ${usage.remaining} left`}`,
    ],
    ['STOP/START', view.optOutReplies === 'twilio' ? 'answered by Twilio (Advanced Opt-Out)' : 'answered by us'],
    ['Templates', templates.length === 0 ? 'built-in defaults only' : `${templates.length} of the practice's own`],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return [
    `Practice "${view.id}"`,
    ...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`),
    ...templates.map(([key, text]) => `    ${key}: ${text}`),
  ].join('\n');
}

type CommandLine = { help: string } | { command: Command; values: Values };

const HELP_FLAGS = ['--help', '-h'];

function parseCommandLine(argv: string[]): CommandLine {
  if (argv.length > 0 && (HELP_FLAGS.includes(argv[0]) || argv[0] === 'help')) return { help: USAGE };
  const name = argv.slice(0, 2).join(' ');
  const command = COMMANDS[name];
  if (!command) {
    if (argv.length === 2 && HELP_FLAGS.includes(argv[1])) {
      const group = Object.entries(COMMANDS).filter(([known]) => known.startsWith(`${argv[0]} `));
      if (group.length > 0) return { help: summary(group.map(([, command]) => command)) };
    }
    throw new UsageError(argv.length === 0 ? 'No command given.' : `Unknown command "${name}".`, USAGE);
  }
  if (argv.slice(2).some((arg) => HELP_FLAGS.includes(arg))) return { help: commandUsage(command) };
  try {
    const { values } = parseArgs({
      args: argv.slice(2),
      options: command.options,
      strict: true,
      allowPositionals: false,
    });
    return { command, values };
  } catch (err) {
    throw new UsageError((err as Error).message, commandUsage(command));
  }
}

/** Whether the command line names a command to run (false: main() prints a usage and needs no database). */
export function isCommand(argv: string[]): boolean {
  try {
    return 'command' in parseCommandLine(argv);
  } catch {
    return false;
  }
}

export async function runCli(argv: string[]): Promise<string> {
  const line = parseCommandLine(argv);
  if ('help' in line) return line.help;
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
    return await line.command.run(prisma, line.values);
  } catch (err) {
    if (err instanceof UsageError && err.usage === undefined)
      throw new UsageError(err.message, commandUsage(line.command));
    throw err;
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
    if (err instanceof UsageError) console.error(`${err.message}\n\n${err.usage ?? USAGE}`);
    else if (err instanceof ValidationError) console.error(err.errors.map(describeFieldError).join('\n'));
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

/** `templates.reminder_client.sms` → `--template reminder_client.sms: …`; `reminderPolicy.0.before` → `--reminder-policy [0].before: …`. */
function describeFieldError({ path, message }: FieldError): string {
  if (path === '') return message;
  const [setting, ...rest] = path.split('.');
  const flag = `--${flagOf(setting)}`;
  if (rest.length === 0) return `${flag}: ${message}`;
  if (setting === 'templates') return `${flag} ${rest.join('.')}: ${message}`;
  const where = rest.map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part}`)).join('');
  return `${flag} ${where.replace(/^\./, '')}: ${message}`;
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
