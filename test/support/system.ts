import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { inspect } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { createApp } from '../../api/app';
import { DEFAULT_TWILIO_MAX_CONCURRENT_REQUESTS, DEFAULT_WORKER_CAPACITY, type Config } from '../../config';
import type { AppointmentView } from '../../domain/appointment';
import { createPrismaClient, type PrismaClient } from '../../db/client';
import { createSendGridGateway } from '../../gateways/sendgrid';
import { createTwilioGateway } from '../../gateways/twilio';
import { BackgroundWork } from '../../lib/background-work';
import { createLogger } from '../../lib/logger';
import { ProductMetrics } from '../../lib/metrics';
import { createApiKey } from '../../services/api-keys';
import { createPractice } from '../../services/practices';
import { startHousekeeping } from '../../services/housekeeping';
import { createReminderWorker } from '../../worker';
import { signTwilioRequest, startFakeTwilio, type FakeTwilio } from './fake-twilio';
import { startFakeSendGrid, type FakeSendGrid } from './fake-sendgrid';
import { freePort } from '../../devenv/ports';
import { createTestDatabase } from './postgres';
import { installTestTemporalRuntime } from './temporal-runtime';
import { testWorkflowBundle } from './workflow-bundle';

// The real system for integration tests: the Express app over HTTP, a worker on a task
// queue of its own, the real Temporal dev server and PostgreSQL started by globalSetup, and
// the real twilio SDK talking to a local server that speaks Twilio's wire format.

/** An error as the API answers it: RFC 9457 problem+json (api/problem.ts). */
export interface Problem {
  type: string;
  status: number;
  title: string;
  detail: string;
  /** The fields at fault, for 400 and 422. */
  errors?: { path: string; message: string }[];
}

export interface ApiOptions {
  apiKey?: string | null;
  rawBody?: string;
  contentType?: string;
  /** Another app on the same database and task queue (e.g. one whose Temporal is unreachable). */
  baseUrl?: string;
}

/** `Body` is what the caller expects to get: the response is not checked against it (the test's assertions do that). */
export interface ApiResponse<Body> {
  status: number;
  headers: Headers;
  body: Body;
}

/** The webhook's answer (TwiML), and how long it took to come: the signals it starts are awaited after. */
export type InboundSmsResponse = ApiResponse<string> & { answeredInMs: number };

/** Any other Twilio parameter (NumMedia, MediaUrl0, MessagingServiceSid, …) is posted as given. */
export type InboundSmsParams = {
  From: string;
  Body: string;
  To?: string;
  MessageSid?: string;
  [other: string]: string | undefined;
};

export interface TestSystem {
  baseUrl: string;
  apiKey: string;
  practiceId: string;
  smsFrom: string;
  prisma: PrismaClient;
  temporal: Client;
  twilio: FakeTwilio;
  sendgrid: FakeSendGrid;
  config: Config;
  databaseUrl: string;
  /** The metrics the API serves at /metrics, shared with the in-process worker as in `npm run dev`. */
  metrics: ProductMetrics;
  /**
   * Calls the API; a JSON answer is parsed, anything else is kept as text. The body is typed as
   * an appointment view unless the caller names what it expects, e.g. `api<Problem>(…)` for an error.
   */
  api<Body = AppointmentView>(
    method: string,
    path: string,
    body?: unknown,
    options?: ApiOptions,
  ): Promise<ApiResponse<Body>>;
  addPractice(id: string, smsFrom: string): Promise<{ apiKey: string }>;
  /**
   * What the system's API leaves running after answering (a webhook's signals); awaited before
   * its Temporal connection closes. Other apps a test builds on this system share it.
   */
  background: BackgroundWork;
  /** Posts an inbound-SMS webhook signed with `signingToken` (the real auth token unless a forgery is wanted). */
  inboundSms(params: InboundSmsParams, signingToken?: string): Promise<InboundSmsResponse>;
  /**
   * A second instance of the API on the same database whose Temporal client is `temporal`
   * (e.g. one whose server is down), for what a webhook does when Temporal cannot be reached.
   */
  startApi(temporal: Client): Promise<{ inboundSms: TestSystem['inboundSms']; stop(): Promise<void> }>;
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  stop(): Promise<void>;
}

/** Signs confirm links in the test system and in the API and worker processes tests start beside it. */
export const TEST_LINK_SIGNING_SECRET = 'test-link-signing-secret-0123456789abcdef';

export interface TestSystemOptions {
  worker?: boolean;
  /** A Temporal of the test's own (e.g. a dev server with its Web UI) instead of globalSetup's. */
  temporal?: () => { address: string; uiUrl: string | null };
}

async function startTestSystem(options: TestSystemOptions = {}): Promise<TestSystem> {
  const own = options.temporal?.();
  const address = own?.address ?? process.env.TEST_TEMPORAL_ADDRESS;
  if (!address)
    throw new Error('TEST_TEMPORAL_ADDRESS is unset: run the tests through jest (globalSetup starts Temporal).');
  const database = await createTestDatabase('system');
  const prisma = createPrismaClient(database.url);
  const twilio = await startFakeTwilio();
  const sendgrid = await startFakeSendGrid();
  const taskQueue = `test-${randomBytes(4).toString('hex')}`;
  const connection = await Connection.connect({ address });
  const temporal = new Client({ connection, namespace: 'default' });
  const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');

  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const config: Config = {
    port,
    databaseUrl: database.url,
    temporal: { address, namespace: 'default', taskQueue, cliPath: null, uiUrl: own?.uiUrl ?? null },
    publicBaseUrl: baseUrl,
    twilio: {
      accountSid: twilio.accountSid,
      authToken: twilio.authToken,
      apiBaseUrl: twilio.baseUrl,
      maxConcurrentRequests: DEFAULT_TWILIO_MAX_CONCURRENT_REQUESTS,
    },
    sendgrid: { apiKey: sendgrid.apiKey, apiBaseUrl: sendgrid.baseUrl },
    sendgridWebhookPublicKey: null,
    linkSigningSecret: TEST_LINK_SIGNING_SECRET,
    logLevel: 'silent',
    workerHttpPort: 0,
    workerCapacity: DEFAULT_WORKER_CAPACITY,
    dev: { postgresPort: 5488, temporalPort: 7233, temporalUiPort: 8233 },
  };
  const metrics = new ProductMetrics();
  // A webhook signals its workflows after answering; the helpers that post one wait for that,
  // so a test sees the reply's effects as soon as its post returns.
  const background = new BackgroundWork(log);
  const server = await listen(createApp({ config, prisma, temporal, log, metrics, background }), port);

  let worker: {
    instance: Worker;
    run: Promise<void>;
    connection: NativeConnection;
    stopHousekeeping: () => Promise<void>;
  } | null = null;
  const system: TestSystem = {
    baseUrl,
    apiKey: '',
    practiceId: 'clinic',
    smsFrom: '+15005550006',
    prisma,
    temporal,
    twilio,
    sendgrid,
    config,
    databaseUrl: database.url,
    metrics,
    background,
    async api<Body>(method: string, path: string, body?: unknown, opts: ApiOptions = {}): Promise<ApiResponse<Body>> {
      const headers: Record<string, string> = {};
      const key = opts.apiKey === undefined ? system.apiKey : opts.apiKey;
      if (key) headers.authorization = `Bearer ${key}`;
      let payload: string | undefined = opts.rawBody;
      if (body !== undefined) payload = JSON.stringify(body);
      if (payload !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
      const response = await fetch(`${opts.baseUrl ?? baseUrl}${path}`, { method, headers, body: payload });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: keep the text (TwiML, HTML)
      }
      return { status: response.status, headers: response.headers, body: parsed as Body };
    },
    async inboundSms(params, signingToken = twilio.authToken) {
      const answer = await postInboundSms(baseUrl, twilio.accountSid, system.smsFrom, params, signingToken);
      await background.idle();
      return answer;
    },
    async startApi(otherTemporal) {
      const otherPort = await freePort();
      const otherBaseUrl = `http://127.0.0.1:${otherPort}`;
      const otherConfig: Config = { ...config, port: otherPort, publicBaseUrl: otherBaseUrl };
      const otherBackground = new BackgroundWork(log);
      const otherServer = await listen(
        createApp({ config: otherConfig, prisma, temporal: otherTemporal, log, background: otherBackground }),
        otherPort,
      );
      return {
        async inboundSms(params, signingToken = twilio.authToken) {
          const answer = await postInboundSms(otherBaseUrl, twilio.accountSid, system.smsFrom, params, signingToken);
          await otherBackground.idle();
          return answer;
        },
        async stop() {
          await new Promise<void>((resolve) => otherServer.close(() => resolve()));
          await otherBackground.idle();
        },
      };
    },
    async addPractice(id, smsFrom) {
      await createPractice(prisma, {
        id,
        name: `Practice ${id}`,
        smsFrom,
        emailFrom: `reminders@${id}.example.com`,
        timeZone: 'Europe/Rome',
        helpPhone: '+390212345678',
        // Tests send at any hour; quiet hours have their own tests.
        quietHours: null,
      });
      return { apiKey: (await createApiKey(prisma, id)).key };
    },
    async startWorker() {
      installTestTemporalRuntime();
      const nativeConnection = await NativeConnection.connect({ address });
      const instance = await createReminderWorker({
        connection: nativeConnection,
        namespace: 'default',
        taskQueue,
        workflowBundle: testWorkflowBundle(),
        capacity: config.workerCapacity,
        metrics,
        prisma,
        sms: createTwilioGateway({
          accountSid: twilio.accountSid,
          authToken: twilio.authToken,
          apiBaseUrl: twilio.baseUrl,
        }),
        email: createSendGridGateway({ apiKey: sendgrid.apiKey, apiBaseUrl: sendgrid.baseUrl }),
        links: { publicBaseUrl: baseUrl, signingSecret: config.linkSigningSecret! },
      });
      const stopHousekeeping = startHousekeeping({ prisma, temporal, taskQueue, log });
      worker = { instance, run: instance.run(), connection: nativeConnection, stopHousekeeping };
    },
    async stopWorker() {
      if (!worker) return;
      const current = worker;
      worker = null;
      await current.stopHousekeeping();
      current.instance.shutdown();
      await current.run;
      await current.connection.close();
    },
    async stop() {
      await system.stopWorker();
      await new Promise((resolve) => server.close(resolve));
      await background.idle();
      await connection.close();
      await twilio.stop();
      await sendgrid.close();
      await prisma.$disconnect();
      await database.drop();
    },
  };

  system.apiKey = (await system.addPractice(system.practiceId, system.smsFrom)).apiKey;
  if (options.worker !== false) await system.startWorker();
  return system;
}

function listen(app: ReturnType<typeof createApp>, port: number): Promise<Server> {
  return new Promise((resolve) => {
    const listening = app.listen(port, '127.0.0.1', () => resolve(listening));
  });
}

async function postInboundSms(
  baseUrl: string,
  accountSid: string,
  to: string,
  params: InboundSmsParams,
  signingToken: string,
): Promise<InboundSmsResponse> {
  const form: Record<string, string> = {
    MessageSid: `SM${randomBytes(16).toString('hex')}`,
    AccountSid: accountSid,
    To: to,
    NumMedia: '0',
  };
  for (const [name, value] of Object.entries(params)) if (value !== undefined) form[name] = value;
  const url = `${baseUrl}/webhooks/twilio/sms`;
  const started = Date.now();
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': signTwilioRequest(signingToken, url, form),
    },
    body: new URLSearchParams(form).toString(),
    // Twilio gives up on a webhook after 15 s.
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text, answeredInMs: Date.now() - started };
}

/** An ISO start time `ms` from now, in UTC. */
export function inFuture(ms: number): string {
  return new Date(Date.now() + ms).toISOString();
}

export async function eventually<T>(
  check: () => Promise<T | undefined | null | false>,
  timeoutMs = 30_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: Error | undefined;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err instanceof Error ? err : new Error(inspect(err));
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** Starts one system for a test file (beforeAll) and stops it after (afterAll). */
export function useTestSystem(options: TestSystemOptions = {}): () => TestSystem {
  let system: TestSystem | undefined;
  beforeAll(async () => {
    system = await startTestSystem(options);
  });
  afterAll(async () => {
    await system?.stop();
  });
  return () => {
    if (!system) throw new Error('the test system is not started yet (use it inside a test)');
    return system;
  };
}
