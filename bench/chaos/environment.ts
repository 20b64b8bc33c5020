import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../../api/app';
import { DEFAULT_TWILIO_MAX_CONCURRENT_REQUESTS, DEFAULT_WORKER_CAPACITY, type Config } from '../../config';
import { createPrismaClient, type PrismaClient } from '../../db/client';
import { freePort } from '../../devenv/ports';
import { BackgroundWork } from '../../lib/background-work';
import { createLogger } from '../../lib/logger';
import { startFakeTwilio, type FakeTwilio, type FakeTwilioOptions } from '../../test/support/fake-twilio';
import { Cleanup, createBenchPractice, startBenchServers } from '../support/servers';
import { superviseWorker, type WorkerSupervisor } from './worker-supervisor';

// Every part of the system a chaos run starts, owns and breaks: an embedded PostgreSQL and a
// Temporal dev server (its state in a SQLite file, so a restart keeps every workflow), the
// fake Twilio, the API in this process and the worker as a process of its own. Each can be
// restarted in place (same port, same data); stop() removes everything, temp dirs included.

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
  const cleanup = new Cleanup(log);
  const stopAll = (): Promise<void> => cleanup.runAll();
  try {
    const servers = await startBenchServers({ name: 'chaos', cleanup, log });

    const twilio = await startFakeTwilio({ faults: options.faults });
    cleanup.push(() => twilio.stop());

    const prisma = createPrismaClient(servers.postgresUrl);
    cleanup.push(() => prisma.$disconnect());
    const { apiKey } = await createBenchPractice(prisma, {
      id: PRACTICE_ID,
      name: 'Chaos Clinic',
      smsFrom: PRACTICE_SMS_FROM,
      timeZone: options.timeZone,
    });

    const connection = await Connection.connect({ address: servers.temporalAddress });
    cleanup.push(() => connection.close());
    const temporal = new Client({ connection, namespace: 'default' });

    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const config: Config = {
      port,
      databaseUrl: servers.postgresUrl,
      temporal: {
        address: servers.temporalAddress,
        namespace: 'default',
        taskQueue: 'reminders',
        cliPath: null,
        uiUrl: null,
      },
      publicBaseUrl: baseUrl,
      twilio: {
        accountSid: twilio.accountSid,
        authToken: twilio.authToken,
        apiBaseUrl: twilio.baseUrl,
        maxConcurrentRequests: DEFAULT_TWILIO_MAX_CONCURRENT_REQUESTS,
      },
      sendgrid: null,
      sendgridWebhookPublicKey: null,
      linkSigningSecret: 'test-link-signing-secret-0123456789abcdef',
      logLevel: 'silent',
      workerHttpPort: 0,
      workerCapacity: DEFAULT_WORKER_CAPACITY,
      dev: { postgresPort: 5488, temporalPort: 7233, temporalUiPort: 8233 },
    };
    const apiLog = createLogger('silent');
    // Registered before the server so that it runs after it: the signals of answered replies
    // end before the Temporal connection closes.
    const background = new BackgroundWork(apiLog);
    cleanup.push(() => background.idle());
    const app = createApp({ config, prisma, temporal, log: apiLog, background });
    const server: Server = await new Promise((resolve) => {
      const listening = app.listen(port, '127.0.0.1', () => resolve(listening));
    });
    cleanup.push(() => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    });

    const worker = superviseWorker(
      { databaseUrl: servers.postgresUrl, config, twilio },
      options.workerLogFile,
      (line) => log(line),
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
        await servers.stopTemporal();
        temporalDown = true;
        whileDown?.();
        await new Promise((resolve) => setTimeout(resolve, downMs));
        await servers.startTemporal();
        temporalDown = false;
      },
      async restartPostgres(downMs) {
        await servers.stopPostgres();
        postgresDown = true;
        await new Promise((resolve) => setTimeout(resolve, downMs));
        await servers.startPostgres();
        postgresDown = false;
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
