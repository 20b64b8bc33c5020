import path from 'node:path';
import { isOptedOut } from '../../db/opt-outs';
import { workflowIdFor, type AppointmentView } from '../../domain/appointment';
import { PRACTICE_ID, PRACTICE_SMS_FROM, startChaosEnvironment, type ChaosEnvironment } from './environment';
import { createGatewayFaults, type PermanentCode } from './gateway-faults';
import type { ChaosParams } from './params';
import { seededRandom, type Random } from './random';
import { postReply, type ReplyRecord } from './replies';
import { RESULTS_DIR, type ChaosReport } from './report';
import {
  beforeMs,
  planAppointments,
  planFaults,
  planReplies,
  startFor,
  type CreatedAppointment,
  type PlannedFault,
} from './scenario';
import { judge, type FinalState, type GatewayMessage, type MessageRow } from './verdict';

// One chaos run from start to verdict: start the system, create the appointments, then let
// their reminders fall due while replies arrive and the faults strike on schedule, wait for
// every appointment to start and its workflow to end, and count what went wrong.

const CREATE_CONCURRENCY = 4;
const COLLECT_CONCURRENCY = 8;
const PROGRESS_EVERY_MS = 10_000;
/** After the last start: time for workflows to record their end before they are judged. */
const SETTLE_MS = 15_000;
const MAX_SETTLE_MS = 120_000;

export class ChaosAborted extends Error {
  override name = 'ChaosAborted';
}

export async function runChaos(
  params: ChaosParams,
  options: { log: (line: string) => void; signal: AbortSignal },
): Promise<ChaosReport> {
  const { log, signal } = options;
  const began = Date.now();
  const startedAt = new Date(began).toISOString();
  const random = seededRandom(params.seed);
  const elapsed = (): string => `${Math.round((Date.now() - began) / 1000)} s`;
  const say = (line: string): void => log(`[${elapsed().padStart(5)}] ${line}`);

  const unusable = new Map<string, PermanentCode>();
  const faults = createGatewayFaults(params, unusable, random);
  const timeZone = middayZone(new Date());
  const env = await startChaosEnvironment({
    timeZone,
    faults: (form) => faults.decide(form),
    workerLogFile: path.join(RESULTS_DIR, `chaos-${startedAt.replace(/[:.]/g, '-')}-worker.log`),
    log: say,
  });
  const happened: Record<string, unknown> = {};
  try {
    const t0 = Date.now();
    const plan = planAppointments(params, t0, random);
    for (const a of plan) if (a.unusable !== null) unusable.set(a.phone, a.unusable);

    say(`creating ${plan.length} appointments (${params.reminders.join(', ')} before their start)`);
    const created = await createAppointments(env, params, plan, timeZone, signal, say);
    const longest = Math.max(...params.reminders.map(beforeMs));
    const shortest = Math.min(...params.reminders.map(beforeMs));
    const firstDue = Math.min(...created.map((a) => a.startsAtMs)) - longest;
    const lastDue = Math.max(...created.map((a) => a.startsAtMs)) - shortest;
    const lastStart = Math.max(...created.map((a) => a.startsAtMs));
    say(
      `created in ${Math.round((Date.now() - t0) / 1000)} s; reminders due from +${secondsFrom(began, firstDue)} s ` +
        `to +${secondsFrom(began, lastDue)} s, last start at +${secondsFrom(began, lastStart)} s`,
    );

    const faultPlan = planFaults(params, firstDue, lastDue);
    const { planned, reserve } = planReplies(params, created, Date.now(), random);
    const replies: ReplyRecord[] = [];
    const inFlight = new Set<Promise<void>>();
    const target = {
      baseUrl: env.baseUrl,
      accountSid: env.twilio.accountSid,
      authToken: env.twilio.authToken,
      practiceNumber: PRACTICE_SMS_FROM,
    };
    const send = (reply: { appointmentId: string; phone: string; keyword: 'C' | 'STOP' | 'START' }): void => {
      const posted = postReply(target, reply, { temporal: env.temporalDown, postgres: env.postgresDown }).then(
        (record) => {
          replies.push(record);
        },
      );
      inFlight.add(posted);
      void posted.finally(() => inFlight.delete(posted));
    };
    const replyTimers = planned.map((reply) => setTimeout(() => send(reply), Math.max(0, reply.atMs - Date.now())));

    const downtimes: Array<{ fromMs: number; toMs: number }> = [];
    const faultLog: Array<{ kind: string; plannedAtS: number; startedAtS: number; endedAtS: number }> = [];
    const progress = setInterval(
      () => say(progressLine(env, created.length, replies.length, params)),
      PROGRESS_EVERY_MS,
    );
    try {
      for (const fault of faultPlan) {
        await sleepUntil(fault.atMs, signal);
        const startedFault = Date.now();
        say(`fault: ${describeFault(fault, params)}`);
        if (fault.kind === 'worker_kill') await env.worker.killAndRestart();
        else if (fault.kind === 'postgres_restart') await env.restartPostgres(params.postgresDownMs);
        else {
          const perOutage = Math.ceil(params.repliesWhileTemporalDown / Math.max(1, params.temporalRestarts));
          let downFrom = 0;
          await env.restartTemporal(params.temporalDownMs, () => {
            downFrom = Date.now();
            sendWhileDown(reserve, perOutage, params.temporalDownMs, random, send);
          });
          downtimes.push({ fromMs: downFrom, toMs: Date.now() });
        }
        faultLog.push({
          kind: fault.kind,
          plannedAtS: secondsFrom(began, fault.atMs),
          startedAtS: secondsFrom(began, startedFault),
          endedAtS: secondsFrom(began, Date.now()),
        });
        say(`fault done: ${fault.kind} took ${Math.round((Date.now() - startedFault) / 1000)} s`);
      }
      await sleepUntil(lastStart + SETTLE_MS, signal);
      await Promise.all(inFlight);
      await waitForWorkflowsToEnd(env, lastStart + MAX_SETTLE_MS, signal, say);
    } finally {
      clearInterval(progress);
      for (const timer of replyTimers) clearTimeout(timer);
    }

    say('collecting what happened');
    const verdict = judge({
      reminders: params.reminders,
      appointments: created,
      gatewayMessages: env.twilio.messages.map((m): GatewayMessage => ({
        sid: m.sid,
        to: m.to,
        body: m.body,
        receivedAtMs: m.receivedAt.getTime(),
      })),
      messageRows: await messageRows(env),
      finals: await finalStates(env, created),
      optedOutAtEnd: await optOutStates(env, replies),
      replies,
      temporalDowntimes: downtimes,
    });
    Object.assign(happened, {
      faults: faultLog,
      temporalDowntimes: downtimes.map((d) => ({
        fromS: secondsFrom(began, d.fromMs),
        toS: secondsFrom(began, d.toMs),
      })),
      worker: env.worker.stats,
      gatewayAttempts: countBy(faults.attempts.map((a) => a.outcome)),
      repliesSent: countBy(replies.map((r) => r.keyword)),
      repliesWhileTemporalDown: replies.filter((r) => r.temporalDown).length,
      repliesWhilePostgresDown: replies.filter((r) => r.postgresDown).length,
      appointmentsCreated: created.length,
      appointmentsStartedLaterThanPlanned: created.filter((a) => a.startsAtMs > a.plannedStartMs).length,
    });
    return { startedAt, wallTimeSeconds: Math.round((Date.now() - began) / 1000), params, happened, verdict };
  } finally {
    say('stopping everything');
    await env.stop();
  }
}

async function createAppointments(
  env: ChaosEnvironment,
  params: ChaosParams,
  plan: ReturnType<typeof planAppointments>,
  timeZone: string,
  signal: AbortSignal,
  say: (line: string) => void,
): Promise<CreatedAppointment[]> {
  const created: CreatedAppointment[] = new Array<CreatedAppointment>(plan.length);
  let next = 0;
  let done = 0;
  const lane = async (): Promise<void> => {
    while (next < plan.length) {
      if (signal.aborted) throw new ChaosAborted('aborted while creating appointments');
      const planned = plan[next++];
      const startsAtMs = startFor(planned, params, Date.now());
      const body = {
        appointmentId: planned.appointmentId,
        startsAt: new Date(startsAtMs).toISOString(),
        timeZone,
        client: { name: `Client ${planned.appointmentId}`, phone: planned.phone, smsConsent: true },
        reminders: params.reminders.map((before) => ({ before, channel: 'sms' })),
      };
      // A create is safe to repeat with the same body (the contract's safe retry).
      let answer: string;
      for (let attempt = 1; attempt <= 3; attempt++) {
        try {
          const response = await fetch(`${env.baseUrl}/v1/appointments`, {
            method: 'POST',
            headers: { authorization: `Bearer ${env.apiKey}`, 'content-type': 'application/json' },
            body: JSON.stringify(body),
            signal: AbortSignal.timeout(30_000),
          });
          answer = `${response.status} ${(await response.text()).slice(0, 300)}`;
          if (response.status === 200 || response.status === 201) break;
        } catch (err) {
          answer = err instanceof Error ? err.message : String(err);
        }
        if (attempt === 3) throw new Error(`creating ${planned.appointmentId} failed: ${answer}`);
      }
      created[plan.indexOf(planned)] = { ...planned, startsAtMs, createdAtMs: Date.now() };
      if (++done % 100 === 0) say(`created ${done}/${plan.length}`);
    }
  };
  await Promise.all(Array.from({ length: CREATE_CONCURRENCY }, lane));
  return created;
}

/** Replies posted while Temporal is down, spread over the outage, to clients whose appointment is well ahead. */
function sendWhileDown(
  reserve: CreatedAppointment[],
  count: number,
  downMs: number,
  random: Random,
  send: (reply: { appointmentId: string; phone: string; keyword: 'C' | 'STOP' }) => void,
): void {
  const now = Date.now();
  const eligible = reserve.filter((a) => a.startsAtMs > now + downMs + 30_000);
  for (let i = 0; i < count && eligible.length > 0; i++) {
    const a = eligible.splice(random.int(0, eligible.length - 1), 1)[0];
    reserve.splice(reserve.indexOf(a), 1);
    const keyword = i % 2 === 0 ? 'C' : 'STOP';
    const at = 1_000 + Math.round(((i + 0.5) / count) * Math.max(0, downMs - 2_000));
    setTimeout(() => send({ appointmentId: a.appointmentId, phone: a.phone, keyword }), at);
  }
}

async function waitForWorkflowsToEnd(
  env: ChaosEnvironment,
  deadlineMs: number,
  signal: AbortSignal,
  say: (line: string) => void,
): Promise<void> {
  for (;;) {
    let running = -1;
    try {
      running = 0;
      for await (const workflow of env.temporal.workflow.list({ query: 'ExecutionStatus = "Running"' })) {
        if (workflow.status.name === 'RUNNING') running++;
      }
    } catch (err) {
      say(`could not list running workflows: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (running === 0) return;
    if (Date.now() >= deadlineMs) {
      say(
        `${running} workflow(s) still running ${Math.round(MAX_SETTLE_MS / 1000)} s after the last start; judging now`,
      );
      return;
    }
    say(`waiting for ${running} workflow(s) to end`);
    await sleepUntil(Date.now() + 5_000, signal);
  }
}

async function messageRows(env: ChaosEnvironment): Promise<MessageRow[]> {
  // Only the columns the counting reads, so the harness keeps working as the table grows.
  const rows = await env.prisma.message.findMany({
    where: { practiceId: PRACTICE_ID, direction: 'outbound' },
    select: { id: true, idempotencyKey: true, to: true, body: true, providerId: true, status: true, createdAt: true },
  });
  return rows.map((r) => ({
    id: r.id,
    idempotencyKey: r.idempotencyKey,
    to: r.to,
    body: r.body,
    providerId: r.providerId,
    status: r.status,
    createdAtMs: r.createdAt.getTime(),
  }));
}

async function finalStates(env: ChaosEnvironment, created: CreatedAppointment[]): Promise<Map<string, FinalState>> {
  const finals = new Map<string, FinalState>();
  await forEachLimited(created, COLLECT_CONCURRENCY, async (a) => {
    const state: FinalState = { status: null, reminders: [], workflowStatus: null, error: null };
    try {
      const response = await fetch(`${env.baseUrl}/v1/appointments/${a.appointmentId}`, {
        headers: { authorization: `Bearer ${env.apiKey}` },
        signal: AbortSignal.timeout(30_000),
      });
      if (response.ok) {
        const view = (await response.json()) as AppointmentView;
        state.status = view.status;
        state.reminders = view.reminders.map((r) => ({ id: r.id, state: r.state, reason: r.reason }));
      } else state.error = `GET answered ${response.status}`;
      const described = await env.temporal.workflow.getHandle(workflowIdFor(PRACTICE_ID, a.appointmentId)).describe();
      state.workflowStatus = described.status.name;
    } catch (err) {
      state.error = err instanceof Error ? err.message : String(err);
    }
    finals.set(a.appointmentId, state);
  });
  return finals;
}

async function optOutStates(env: ChaosEnvironment, replies: ReplyRecord[]): Promise<Map<string, boolean>> {
  const states = new Map<string, boolean>();
  for (const phone of new Set(replies.map((r) => r.phone))) {
    states.set(phone, await isOptedOut(env.prisma, PRACTICE_ID, phone));
  }
  return states;
}

async function forEachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

function progressLine(env: ChaosEnvironment, created: number, replies: number, params: ChaosParams): string {
  const stats = env.worker.stats;
  return (
    `gateway ${env.twilio.messages.length} messages · replies ${replies}/${params.replies} · ` +
    `appointments ${created} · worker starts ${stats.starts} (kills ${stats.kills}, own exits ${stats.unexpectedExits})` +
    (env.temporalDown ? ' · Temporal DOWN' : '')
  );
}

function describeFault(fault: PlannedFault, params: ChaosParams): string {
  if (fault.kind === 'worker_kill') return 'SIGKILL the worker process and start a new one';
  if (fault.kind === 'postgres_restart')
    return `stop PostgreSQL for ${Math.round(params.postgresDownMs / 1000)} s, then start it again`;
  return `stop the Temporal server for ${Math.round(params.temporalDownMs / 1000)} s, then start it on the same data`;
}

/**
 * A fixed-offset zone where it is about midday now, so no reminder of the run falls into
 * night-time hours a practice might keep quiet.
 */
export function middayZone(now: Date): string {
  const offset = 12 - now.getUTCHours();
  // Etc/GMT zones are named with the sign reversed: Etc/GMT-2 is UTC+2.
  return offset === 0 ? 'Etc/UTC' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

function secondsFrom(origin: number, ms: number): number {
  return Math.round((ms - origin) / 1000);
}

function sleepUntil(atMs: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new ChaosAborted('aborted'));
    const timer = setTimeout(done, Math.max(0, atMs - Date.now()));
    function done(): void {
      signal.removeEventListener('abort', abort);
      resolve();
    }
    function abort(): void {
      clearTimeout(timer);
      reject(new ChaosAborted('aborted'));
    }
    signal.addEventListener('abort', abort, { once: true });
  });
}
