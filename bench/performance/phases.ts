import { randomBytes } from 'node:crypto';
import { cpuMsPer, readCpu, type CpuReading } from './cpu';
import { performance } from 'node:perf_hooks';
import { temporal as proto } from '@temporalio/proto';
import type { Client } from '@temporalio/client';
import { workflowIdFor } from '../../domain/appointment';
import { signTwilioRequest } from '../../test/support/fake-twilio';
import { spread, type Spread } from '../support/stats';
import { countBillableActions, type BillableActions } from './billable-actions';
import { PRACTICE_ID, PRACTICE_SMS_FROM, PRODUCT_TASK_QUEUE, type BenchEnvironment } from './environment';
import { closedLoop, HttpClient, openLoop, sleep } from './load';
import { RAW_TASK_QUEUE, rawRepliedQuery, rawReminderWorkflow, rawReplySignal } from './raw-workflows';

// The measurements, each for the product and for the raw baseline one after the other.

const DAY_MS = 86_400_000;
const DUE_BEFORE = 'PT10M';
const DUE_BEFORE_MS = 10 * 60_000;
/** Creates per second assumed for the due phase when the creates phase did not measure it. */
const ASSUMED_CREATE_RATE = 30;
const CONFIRM_POLL_MS = 20;
/** Time for the workers to finish what the last create started, before the CPU is read. */
const CPU_SETTLE_MS = 3_000;
const CONFIRM_CAP_MS = 10_000;
const BACKLOG_POLL_MS = 250;
/** An approximate backlog count reads 0 this long before the worker is taken to have caught up. */
const BACKLOG_CONFIRM_MS = 1_000;

export type Say = (line: string) => void;

/** One number per appointment and phase: a gateway message's `To` names its appointment. */
const phone = (prefix: 346 | 347 | 348 | 349, i: number): string => `+39${prefix}${1_000_000 + i}`;

export interface CreateFigures {
  count: number;
  failures: number;
  seconds: number;
  perSecond: number;
  latencyMs: Spread;
  /**
   * Seconds from the first create until the worker had taken every new workflow's first task
   * off the task queue: a create the API answered faster than the worker starts workflows
   * is backlog, not throughput.
   */
  firstTasksSeconds?: number;
  /** Creates per second over that span: what the API and the worker sustain together. */
  sustainedPerSecond?: number;
  /** CPU milliseconds each part of the stack spent per create, the worker's first task of each included. */
  cpuMsPerCreate?: CpuReading;
}

export interface LatenessFigures {
  expected: number;
  arrived: number;
  missing: string[];
  /** Created after the instant they were due at (the creates took longer than planned). */
  createdLate: number;
  latenessMs: Spread;
}

export interface ReplyFigures {
  sent: number;
  failures: number;
  notConfirmed: number;
  /** Reads (GETs; raw: queries) the bench made per reply while watching for its effect. */
  readsPerReply: number;
  webhookMs: Spread;
  confirmedMs: Spread;
  /** CPU milliseconds each part of the stack spent per reply, the polling reads included. */
  cpuMsPerReply?: CpuReading;
}

export interface ActionFigures {
  atConfirmed: BillableActions;
  atEnd: BillableActions;
  /** GETs the bench sent for this appointment; the API answers each with one workflow query today. */
  getsSent: number;
  heartbeats: string;
}

export interface DueAppointment {
  appointmentId: string;
  phone: string;
}

function createBody(appointmentId: string, to: string, startsAtMs: number, reminders: string[]): string {
  return JSON.stringify({
    appointmentId,
    startsAt: new Date(startsAtMs).toISOString(),
    client: { name: `Client ${appointmentId}`, phone: to, smsConsent: true },
    reminders: reminders.map((before) => ({ before, channel: 'sms' })),
  });
}

class Creator {
  readonly http: HttpClient;

  constructor(
    private readonly env: BenchEnvironment,
    concurrency: number,
  ) {
    this.http = new HttpClient(concurrency);
  }

  async create(body: string): Promise<{ ok: boolean; ms: number; answer: string }> {
    const res = await this.http.send(
      'POST',
      `${this.env.baseUrl}/v1/appointments`,
      { 'content-type': 'application/json', authorization: `Bearer ${this.env.apiKey}` },
      body,
    );
    return { ok: res.status === 201, ms: res.ms, answer: `${res.status} ${res.body.slice(0, 200)}` };
  }
}

async function timedLoop(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<{ ok: boolean; ms: number; answer?: string }>,
  say: Say,
  label: string,
): Promise<CreateFigures> {
  const latencies: number[] = [];
  let failures = 0;
  let firstFailure: string | undefined;
  const started = performance.now();
  let lastReport = started;
  await closedLoop(count, concurrency, async (i) => {
    const result = await task(i);
    if (result.ok) latencies.push(result.ms);
    else {
      failures++;
      firstFailure ??= result.answer;
    }
    if (performance.now() - lastReport > 10_000) {
      lastReport = performance.now();
      say(`${label}: ${latencies.length + failures}/${count}`);
    }
  });
  const seconds = (performance.now() - started) / 1000;
  if (firstFailure !== undefined) say(`${label}: ${failures} failed, the first: ${firstFailure}`);
  return {
    count,
    failures,
    seconds: round1(seconds),
    perSecond: round1(count / seconds),
    latencyMs: spread(latencies),
  };
}

async function timed<T>(work: () => Promise<T>): Promise<{ ok: boolean; ms: number; answer?: string }> {
  const started = performance.now();
  try {
    await work();
    return { ok: true, ms: performance.now() - started };
  } catch (err) {
    return { ok: false, ms: performance.now() - started, answer: err instanceof Error ? err.message : String(err) };
  }
}

/** N bare `workflow.start`s, then N `POST /v1/appointments`, both C at a time, all far in the future. */
export async function measureCreates(
  env: BenchEnvironment,
  count: number,
  concurrency: number,
  say: Say,
): Promise<{ raw: CreateFigures; product: CreateFigures }> {
  const farMs = Date.now() + 30 * DAY_MS;
  say(`creates: ${count} bare workflow starts, ${concurrency} at a time`);
  const rawCpu = readCpu();
  const rawStarted = performance.now();
  const raw = await timedLoop(
    count,
    concurrency,
    (i) =>
      timed(() =>
        env.temporal.workflow.start(rawReminderWorkflow, {
          taskQueue: RAW_TASK_QUEUE,
          workflowId: `raw-create-${i}`,
          args: [farMs, phone(349, i)],
        }),
      ),
    say,
    'raw starts',
  );
  await firstTasksTaken(env, RAW_TASK_QUEUE, raw, rawStarted, say);
  // The workers finish the new workflows' first tasks after the last start answered.
  await sleep(CPU_SETTLE_MS);
  raw.cpuMsPerCreate = cpuMsPer(rawCpu, readCpu(), count);
  say(`creates: ${count} POST /v1/appointments, ${concurrency} at a time`);
  const creator = new Creator(env, concurrency);
  try {
    const productCpu = readCpu();
    const productStarted = performance.now();
    const product = await timedLoop(
      count,
      concurrency,
      (i) => creator.create(createBody(`create-${i}`, phone(347, i), farMs + i, ['P1D'])),
      say,
      'creates',
    );
    await firstTasksTaken(env, PRODUCT_TASK_QUEUE, product, productStarted, say);
    await sleep(CPU_SETTLE_MS);
    product.cpuMsPerCreate = cpuMsPer(productCpu, readCpu(), count);
    return { raw, product };
  } finally {
    creator.http.close();
  }
}

/**
 * Waits until the task queue's workflow backlog has read empty for BACKLOG_CONFIRM_MS (the
 * count is approximate) and records when it first did, so that the next phase starts on a
 * worker that has caught up.
 */
async function firstTasksTaken(
  env: BenchEnvironment,
  taskQueue: string,
  figures: CreateFigures,
  startedAt: number,
  say: Say,
): Promise<void> {
  const seconds = ((await backlogEmptySince(env, taskQueue, say)) - startedAt) / 1000;
  figures.firstTasksSeconds = round1(seconds);
  figures.sustainedPerSecond = round1(figures.count / seconds);
}

/**
 * Waits until the worker has caught up with what the last phase left it (a thousand sends'
 * results, each a workflow task), so that the next phase measures itself and not that.
 */
export async function workerCaughtUp(env: BenchEnvironment, taskQueue: string, say: Say): Promise<void> {
  const started = performance.now();
  await backlogEmptySince(env, taskQueue, say);
  say(`${taskQueue}: the worker caught up in ${round1((performance.now() - started) / 1000)} s`);
}

/** The instant the task queue's workflow backlog first read empty, once it has for BACKLOG_CONFIRM_MS. */
async function backlogEmptySince(env: BenchEnvironment, taskQueue: string, say: Say): Promise<number> {
  const backlog = async (): Promise<number> => {
    const described = await env.temporal.workflowService.describeTaskQueue({
      namespace: env.temporal.options.namespace,
      taskQueue: { name: taskQueue },
      taskQueueType: proto.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
      reportStats: true,
    });
    return Number(described.stats?.approximateBacklogCount ?? 0);
  };
  let lastReport = performance.now();
  let emptySince: number | null = null;
  for (;;) {
    const left = await backlog();
    if (left === 0) {
      emptySince ??= performance.now();
      if (performance.now() - emptySince >= BACKLOG_CONFIRM_MS) return emptySince;
    } else {
      emptySince = null;
      if (performance.now() - lastReport > 10_000) {
        lastReport = performance.now();
        say(`${taskQueue}: ${left} workflow tasks still waiting for the worker`);
      }
    }
    await sleep(BACKLOG_POLL_MS);
  }
}

/** The instant N creates at `ratePerSecond` leave enough room for, with the margin. */
function dueInstant(count: number, ratePerSecond: number | null, marginMs: number): number {
  const rate = ratePerSecond ?? ASSUMED_CREATE_RATE;
  return Date.now() + Math.ceil(((count / rate) * 1000 * 3) / 2) + marginMs;
}

async function lateness(
  env: BenchEnvironment,
  phones: Map<string, string>,
  dueAtMs: number,
  createdLate: number,
  say: Say,
  label: string,
): Promise<LatenessFigures> {
  const deadline = dueAtMs + Math.max(120_000, phones.size * 100);
  const arrivals = new Map<string, number>();
  let seen = 0;
  let lastReport = Date.now();
  while (arrivals.size < phones.size && Date.now() < deadline) {
    const messages = env.twilio.messages;
    for (; seen < messages.length; seen++) {
      const m = messages[seen];
      // The first message to each number: a duplicate would not make the reminder any earlier.
      if (phones.has(m.to) && !arrivals.has(m.to)) arrivals.set(m.to, m.receivedAt.getTime());
    }
    if (Date.now() - lastReport > 10_000 && Date.now() > dueAtMs) {
      lastReport = Date.now();
      say(`${label}: ${arrivals.size}/${phones.size} arrived`);
    }
    await sleep(100);
  }
  const missing = [...phones.entries()].filter(([to]) => !arrivals.has(to)).map(([, id]) => id);
  return {
    expected: phones.size,
    arrived: arrivals.size,
    missing: missing.slice(0, 20),
    createdLate,
    latenessMs: spread([...arrivals.values()].map((at) => at - dueAtMs)),
  };
}

/** N appointments each with one SMS reminder due at the same instant; lateness at the gateway. */
export async function measureProductDue(
  env: BenchEnvironment,
  count: number,
  concurrency: number,
  timing: { createRate: number | null; marginMs: number },
  say: Say,
): Promise<{ figures: LatenessFigures; appointments: DueAppointment[] }> {
  const dueAtMs = dueInstant(count, timing.createRate, timing.marginMs);
  say(`due: ${count} appointments with a reminder due at ${new Date(dueAtMs).toISOString()}`);
  const creator = new Creator(env, concurrency);
  const phones = new Map<string, string>();
  let createdLate = 0;
  try {
    const created = await timedLoop(
      count,
      concurrency,
      async (i) => {
        const appointmentId = `due-${i}`;
        phones.set(phone(348, i), appointmentId);
        const result = await creator.create(
          createBody(appointmentId, phone(348, i), dueAtMs + DUE_BEFORE_MS, [DUE_BEFORE]),
        );
        if (Date.now() > dueAtMs) createdLate++;
        return result;
      },
      say,
      'due creates',
    );
    say(`due: created in ${created.seconds} s; waiting for the instant and the messages`);
  } finally {
    creator.http.close();
  }
  const figures = await lateness(env, phones, dueAtMs, createdLate, say, 'product reminders');
  return { figures, appointments: [...phones.entries()].map(([to, appointmentId]) => ({ appointmentId, phone: to })) };
}

export async function measureRawDue(
  env: BenchEnvironment,
  count: number,
  concurrency: number,
  timing: { createRate: number | null; marginMs: number },
  say: Say,
): Promise<{ figures: LatenessFigures; workflowIds: string[] }> {
  const dueAtMs = dueInstant(count, timing.createRate, timing.marginMs);
  say(`due (raw): ${count} bare workflows sleeping to ${new Date(dueAtMs).toISOString()}`);
  const phones = new Map<string, string>();
  let createdLate = 0;
  await timedLoop(
    count,
    concurrency,
    (i) => {
      const workflowId = `raw-due-${i}`;
      phones.set(phone(349, i), workflowId);
      return timed(async () => {
        await env.temporal.workflow.start(rawReminderWorkflow, {
          taskQueue: RAW_TASK_QUEUE,
          workflowId,
          args: [dueAtMs, phone(349, i)],
        });
        if (Date.now() > dueAtMs) createdLate++;
      });
    },
    say,
    'raw due starts',
  );
  const figures = await lateness(env, phones, dueAtMs, createdLate, say, 'raw reminders');
  return { figures, workflowIds: [...phones.values()] };
}

/** A signed inbound SMS, as Twilio posts it to the webhook. */
function inboundSms(
  env: BenchEnvironment,
  from: string,
  body: string,
): { url: string; headers: Record<string, string>; form: string } {
  const url = `${env.baseUrl}/webhooks/twilio/sms`;
  const form: Record<string, string> = {
    MessageSid: `SM${randomBytes(16).toString('hex')}`,
    AccountSid: env.twilio.accountSid,
    From: from,
    To: PRACTICE_SMS_FROM,
    Body: body,
    NumMedia: '0',
  };
  return {
    url,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': signTwilioRequest(env.twilio.authToken, url, form),
    },
    form: new URLSearchParams(form).toString(),
  };
}

async function appointmentStatus(
  env: BenchEnvironment,
  http: HttpClient,
  appointmentId: string,
): Promise<string | null> {
  const res = await http.send('GET', `${env.baseUrl}/v1/appointments/${encodeURIComponent(appointmentId)}`, {
    authorization: `Bearer ${env.apiKey}`,
  });
  return res.status === 200 ? (JSON.parse(res.body) as { status: string }).status : null;
}

/**
 * Replies at a rate, each answered by `post`, then read every CONFIRM_POLL_MS until
 * `effectSeen` (or CONFIRM_CAP_MS).
 */
async function replyLoop(
  count: number,
  ratePerSecond: number,
  post: (i: number) => Promise<void>,
  effectSeen: (i: number) => Promise<boolean>,
  say: Say,
): Promise<Omit<ReplyFigures, 'cpuMsPerReply'>> {
  const webhookMs: number[] = [];
  const confirmedMs: number[] = [];
  let failures = 0;
  let firstFailure: string | undefined;
  let notConfirmed = 0;
  let reads = 0;
  const watch = async (i: number, started: number): Promise<void> => {
    while (performance.now() - started < CONFIRM_CAP_MS) {
      reads++;
      if (await effectSeen(i)) {
        confirmedMs.push(performance.now() - started);
        return;
      }
      await sleep(CONFIRM_POLL_MS);
    }
    notConfirmed++;
  };
  await openLoop(count, ratePerSecond, async (i) => {
    const started = performance.now();
    try {
      await post(i);
      webhookMs.push(performance.now() - started);
      await watch(i, started);
    } catch (err) {
      failures++;
      firstFailure ??= err instanceof Error ? err.message : String(err);
    }
  });
  if (firstFailure !== undefined) say(`replies: ${failures} failed, the first: ${firstFailure}`);
  return {
    sent: count,
    failures,
    notConfirmed,
    readsPerReply: round1(reads / count),
    webhookMs: spread(webhookMs),
    confirmedMs: spread(confirmedMs),
  };
}

/**
 * Signed "C" replies on the clock; webhook latency, and reply → `confirmed` in a GET. The
 * webhooks come from one client (Twilio) and the GETs from another (the practice system), as
 * in production: through one socket pool, a webhook waited for a socket behind the reads.
 */
export async function measureProductReplies(
  env: BenchEnvironment,
  appointments: DueAppointment[],
  ratePerSecond: number,
  say: Say,
): Promise<ReplyFigures> {
  say(`replies: ${appointments.length} signed "C" replies at ${ratePerSecond}/s`);
  const twilio = new HttpClient(Math.max(50, ratePerSecond * 4));
  const practiceSystem = new HttpClient(Math.max(50, ratePerSecond * 4));
  const cpu = readCpu();
  try {
    const figures = await replyLoop(
      appointments.length,
      ratePerSecond,
      async (i) => {
        const sms = inboundSms(env, appointments[i].phone, 'C');
        const answer = await twilio.send('POST', sms.url, sms.headers, sms.form);
        if (answer.status !== 200) throw new Error(`webhook answered ${answer.status}`);
      },
      async (i) => (await appointmentStatus(env, practiceSystem, appointments[i].appointmentId)) === 'confirmed',
      say,
    );
    return { ...figures, cpuMsPerReply: cpuMsPer(cpu, readCpu(), appointments.length) };
  } finally {
    twilio.close();
    practiceSystem.close();
  }
}

/** The raw counterpart of a reply: a signal to a bare workflow, then queries until it saw it. */
export async function measureRawReplies(
  env: BenchEnvironment,
  workflowIds: string[],
  ratePerSecond: number,
  say: Say,
): Promise<ReplyFigures> {
  say(`replies (raw): ${workflowIds.length} signals at ${ratePerSecond}/s`);
  const handle = (i: number) => env.temporal.workflow.getHandle(workflowIds[i]);
  const cpu = readCpu();
  const figures = await replyLoop(
    workflowIds.length,
    ratePerSecond,
    (i) => handle(i).signal(rawReplySignal),
    (i) => handle(i).query(rawRepliedQuery),
    say,
  );
  return { ...figures, cpuMsPerReply: cpuMsPer(cpu, readCpu(), workflowIds.length) };
}

/** The billable actions of every run of a workflow (a continue-as-new chain), newest run first. */
async function actionsOf(temporal: Client, workflowId: string): Promise<BillableActions> {
  const total: BillableActions = { total: 0, byKind: {} };
  let runId: string | undefined;
  for (;;) {
    const history = await temporal.workflow.getHandle(workflowId, runId).fetchHistory();
    const events = history.events ?? [];
    const counted = countBillableActions(events);
    total.total += counted.total;
    for (const [kind, n] of Object.entries(counted.byKind)) total.byKind[kind] = (total.byKind[kind] ?? 0) + n;
    const started = events.find(
      (e) => e.eventType === proto.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
    );
    runId = started?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
    if (runId === undefined) return total;
  }
}

/**
 * One lifecycle: two SMS reminders seconds apart, each reported delivered, then a "C" reply;
 * the actions its histories record once it is confirmed and once its workflow has ended.
 */
export async function measureActions(env: BenchEnvironment, say: Say): Promise<ActionFigures> {
  const appointmentId = 'actions-1';
  const to = phone(346, 1);
  const startsAtMs = Date.now() + 45_000;
  say('actions: one appointment, 2 SMS reminders (30 s and 20 s before a start 45 s away), then "C"');
  const creator = new Creator(env, 1);
  const http = creator.http;
  let getsSent = 0;
  try {
    const created = await creator.create(createBody(appointmentId, to, startsAtMs, ['PT30S', 'PT20S']));
    if (!created.ok) throw new Error(`creating the actions appointment failed: ${created.answer}`);
    for (let n = 1; n <= 2; n++) {
      const [message] = (await env.twilio.waitForMessages((m) => m.to === to, n, 90_000)).slice(n - 1);
      const callback = await env.twilio.reportStatus(message.sid, 'delivered').catch((err: unknown) => {
        const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
        throw new Error(`posting the delivered status callback to ${message.statusCallback} failed${cause}`);
      });
      if (callback.status >= 300) throw new Error(`the delivered callback was answered ${callback.status}`);
    }
    const sms = inboundSms(env, to, 'C');
    const answer = await http.send('POST', sms.url, sms.headers, sms.form);
    if (answer.status !== 200) throw new Error(`the "C" reply was answered ${answer.status}`);
    const deadline = Date.now() + 30_000;
    for (;;) {
      getsSent++;
      if ((await appointmentStatus(env, http, appointmentId)) === 'confirmed') break;
      if (Date.now() > deadline) throw new Error('the actions appointment was not confirmed within 30 s');
      await sleep(250);
    }
  } finally {
    http.close();
  }
  const workflowId = workflowIdFor(PRACTICE_ID, appointmentId);
  const atConfirmed = await actionsOf(env.temporal, workflowId);
  say(`actions: ${atConfirmed.total} at confirmed; waiting for the start and the workflow's end`);
  await env.temporal.workflow.getHandle(workflowId).result();
  const atEnd = await actionsOf(env.temporal, workflowId);
  return {
    atConfirmed,
    atEnd,
    getsSent,
    heartbeats:
      'not in histories: heartbeats that reach the server are billed on top (the worker sends at most one per second per running activity)',
  };
}

const round1 = (n: number): number => Math.round(n * 10) / 10;
