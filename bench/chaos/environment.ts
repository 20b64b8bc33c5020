import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../../api/app';
import { DEFAULT_WORKER_CAPACITY, loadConfig, type Config } from '../../config';
import { createPrismaClient, type PrismaClient } from '../../db/client';
import { applyMigrations } from '../../db/migrate';
import { startEmbeddedPostgres, type RunningPostgres } from '../../devenv/embedded-postgres';
import { freePort } from '../../devenv/ports';
import { resolveTemporalCli } from '../../devenv/temporal-cli';
import { startTemporalDevServer, type RunningDevServer } from '../../devenv/temporal-dev-server';
import { createLogger } from '../../lib/logger';
import { createApiKey } from '../../services/api-keys';
import { createPractice } from '../../services/practices';
import { APPOINTMENT_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { startFakeTwilio, type FakeTwilio, type FakeTwilioOptions } from '../../test/support/fake-twilio';
import { superviseWorker, type WorkerSupervisor } from './worker-supervisor';

// Every part of the system a chaos run starts, owns and breaks: an embedded PostgreSQL and a
// Temporal dev server (its state in a SQLite file, so a restart keeps every workflow), the
// fake Twilio, the API in this process and the worker as a process of its own. Each can be
// restarted in place (same port, same data); stop() removes everything, temp dirs included.

const ROOT = path.resolve(__dirname, '..', '..');
export const PRACTICE_ID = 'chaos';
export const PRACTICE_SMS_FROM = '+15005550006';

export interface ChaosEnvironment {
  baseUrl: string;
  apiKey: string;
  twilio: FakeTwilio;
  prisma: PrismaClient;
  temporal: Client;
  worker: WorkerSupervisor;
  /** Whether the Temporal server is down right now (stopped by restartTemporal). */
  readonly temporalDown: boolean;
  /** Whether PostgreSQL is down right now (stopped by restartPostgres). */
  readonly postgresDown: boolean;
  restartTemporal(downMs: number, whileDown?: () => void): Promise<void>;
  restartPostgres(downMs: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startChaosEnvironment(options: {
  timeZone: string;
  faults: FakeTwilioOptions['faults'];
  workerLogFile: string;
  log: (line: string) => void;
}): Promise<ChaosEnvironment> {
  const { log } = options;
  const cleanup: Array<() => Promise<unknown>> = [];
  const stopAll = async (): Promise<void> => {
    for (const step of cleanup.splice(0).reverse()) {
      await step().catch((err: unknown) => log(`cleanup: ${err instanceof Error ? err.message : String(err)}`));
    }
  };
  try {
    const workDir = mkdtempSync(path.join(tmpdir(), 'ar-chaos-'));
    const pgDir = mkdtempSync(path.join(tmpdir(), 'ar-chaos-pg-'));
    cleanup.push(() => rm(workDir, { recursive: true, force: true }));
    cleanup.push(() => rm(pgDir, { recursive: true, force: true }));
    // A harness that dies without stop() (a crash, the hard timeout) still leaves nothing
    // behind: the Temporal server and the worker kill themselves on exit; this takes care of
    // PostgreSQL (its postmaster.pid names it) and the temp dirs. Synchronous, as 'exit' needs.
    const onExit = (): void => {
      try {
        process.kill(Number(readFileSync(path.join(pgDir, 'postmaster.pid'), 'utf8').split('\n')[0]), 'SIGQUIT');
      } catch {
        // not running
      }
      rmSync(workDir, { recursive: true, force: true });
      rmSync(pgDir, { recursive: true, force: true });
    };
    process.on('exit', onExit);
    cleanup.push(() => Promise.resolve(process.off('exit', onExit)));

    const postgresOptions = { dataDir: pgDir, port: await freePort(), database: 'chaos' };
    let postgres: RunningPostgres = await startEmbeddedPostgres(postgresOptions);
    cleanup.push(() => postgres.stop());
    await applyMigrations(postgres.url);
    log(`PostgreSQL ready on port ${postgresOptions.port}`);

    const temporalOptions = {
      cliPath: await resolveTemporalCli({ projectRoot: ROOT, configuredPath: loadConfig().temporal.cliPath, log }),
      port: await freePort(),
      uiPort: null,
      dbFile: path.join(workDir, 'temporal.sqlite'),
      namespace: 'default',
      searchAttributes: APPOINTMENT_SEARCH_ATTRIBUTES,
      log,
    };
    let temporalServer: RunningDevServer = await startTemporalDevServer(temporalOptions);
    cleanup.push(() => temporalServer.stop());

    const twilio = await startFakeTwilio({ faults: options.faults });
    cleanup.push(() => twilio.stop());

    const prisma = createPrismaClient(postgres.url);
    cleanup.push(() => prisma.$disconnect());
    await createPractice(prisma, {
      id: PRACTICE_ID,
      name: 'Chaos Clinic',
      smsFrom: PRACTICE_SMS_FROM,
      timeZone: options.timeZone,
      // Reminders fall due minutes ahead at any hour of the run; quiet hours would move them.
      quietHours: null,
      helpPhone: '+390212345678',
    });
    const { key: apiKey } = await createApiKey(prisma, PRACTICE_ID);

    const connection = await Connection.connect({ address: temporalServer.address });
    cleanup.push(() => connection.close());
    const temporal = new Client({ connection, namespace: 'default' });

    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const config: Config = {
      port,
      databaseUrl: postgres.url,
      temporal: {
        address: temporalServer.address,
        namespace: 'default',
        taskQueue: 'reminders',
        cliPath: null,
        uiUrl: null,
      },
      publicBaseUrl: baseUrl,
      twilio: { accountSid: twilio.accountSid, authToken: twilio.authToken, apiBaseUrl: twilio.baseUrl },
      sendgrid: null,
      sendgridWebhookPublicKey: null,
      linkSigningSecret: 'test-link-signing-secret-0123456789abcdef',
      logLevel: 'silent',
      workerHttpPort: 0,
      workerCapacity: DEFAULT_WORKER_CAPACITY,
      dev: { postgresPort: 5488, temporalPort: 7233, temporalUiPort: 8233 },
    };
    const app = createApp({ config, prisma, temporal, log: createLogger('silent') });
    const server: Server = await new Promise((resolve) => {
      const listening = app.listen(port, '127.0.0.1', () => resolve(listening));
    });
    cleanup.push(() => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    });

    const worker = superviseWorker({ databaseUrl: postgres.url, config, twilio }, options.workerLogFile, (line) =>
      log(line),
    );
    cleanup.push(() => worker.stop());
    if (!(await worker.ready())) throw new Error('the worker did not start within 2 minutes');
    log('worker ready');

    let temporalDown = false;
    let postgresDown = false;
    return {
      baseUrl,
      apiKey,
      twilio,
      prisma,
      temporal,
      worker,
      get temporalDown() {
        return temporalDown;
      },
      get postgresDown() {
        return postgresDown;
      },
      async restartTemporal(downMs, whileDown) {
        await temporalServer.stop();
        temporalDown = true;
        whileDown?.();
        await new Promise((resolve) => setTimeout(resolve, downMs));
        temporalServer = await startTemporalDevServer(temporalOptions);
        temporalDown = false;
      },
      async restartPostgres(downMs) {
        await postgres.stop();
        postgresDown = true;
        await new Promise((resolve) => setTimeout(resolve, downMs));
        postgres = await startEmbeddedPostgres(postgresOptions);
        postgresDown = false;
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
