import path from 'node:path';
import { ConfigError, loadConfig } from '../config';
import { isCommand, main } from '../cli/main';
import { readDevWebhookToken } from './dev-secrets';
import { DevSetupError } from './errors';
import { resolveDatabase } from './local-database';

// `npm run cli` and bin/appointment-reminders: the operator CLI (cli/main.ts), which reads
// only DATABASE_URL, with the development database as its default. When DATABASE_URL is
// unset this resolves the embedded PostgreSQL (shared when `npm run dev` runs it, otherwise
// started for the one command), hands its URL to the CLI, and afterwards stops only what it
// started. Likewise it hands `simulate reply` the webhook token `npm run dev` keeps in `.data/`
// when neither Twilio's auth token nor a token of one's own is configured.

const DATA_DIR = path.resolve(__dirname, '..', '.data');

async function run(argv: string[]): Promise<number> {
  // A usage error needs no database: the CLI prints the usage.
  if (!isCommand(argv)) return main(argv);
  let database;
  try {
    const config = loadConfig();
    if (!config.twilio && !config.twilioDevWebhookToken) {
      const token = readDevWebhookToken(DATA_DIR);
      if (token) process.env.TWILIO_DEV_WEBHOOK_TOKEN = token;
    }
    database = await resolveDatabase({ databaseUrl: config.databaseUrl, port: config.dev.postgresPort }, () => {});
  } catch (err) {
    if (!(err instanceof ConfigError || err instanceof DevSetupError)) throw err;
    console.error(err.message);
    return 1;
  }
  process.env.DATABASE_URL = database.url;
  try {
    return await main(argv);
  } finally {
    await database.stop();
  }
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`Could not run the CLI: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
