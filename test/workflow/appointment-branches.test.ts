import { randomBytes } from 'node:crypto';
import { DateTime } from 'luxon';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Activities } from '../../activities';
import {
  SEND_REJECTED,
  type RecordAppointmentInput,
  type RecordFinalViewInput,
  type SendMessageInput,
  type SendResult,
  type SettleUnknownSendInput,
  type SendRejection,
} from '../../activities/contracts';
import type { AppointmentDetails, AppointmentView, Channel } from '../../domain/appointment';
import type { QuietHours } from '../../domain/quiet-hours';
import type { appointmentWorkflow } from '../../workflows/appointment';
import {
  cancelUpdate,
  confirmUpdate,
  deliveryReportSignal,
  inboundReplySignal,
  journalQuery,
  remindUpdate,
  rescheduleUpdate,
  stateQuery,
  UPDATE_REJECTION,
  type DeliveryReport,
  type InboundReply,
} from '../../workflows/messages';
import { AppointmentStartsAtKey, AppointmentStatusKey } from '../../workflows/search-attributes';
import { CLIENT_PHONE as PHONE, startAppointmentWorkflow } from '../support/appointment-workflow';
import { startTimeSkippingEnvironment } from '../support/time-skipping';
import { testWorkflowBundle } from '../support/workflow-bundle';

// Every branch of the appointment workflow over days of simulated time (Temporal's
// time-skipping test server), with the activities replaced by plain functions that have the
// real names and types and record their calls. The real activities, database and twilio SDK
// are exercised by the slow tier (test/integration, test/e2e, test/activities).

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const PRACTITIONER_PHONE = '+393471230000';

let env: TestWorkflowEnvironment;
// Simulated days pass in about a second; a test that takes longer is stuck.
jest.setTimeout(30_000);

beforeAll(async () => {
  env = await startTimeSkippingEnvironment();
});

afterAll(async () => {
  await env?.teardown();
});

/** What the stubbed activities were called with, in order. */
interface Calls {
  sendSms: SendMessageInput[];
  sendEmail: SendMessageInput[];
  recordAppointment: RecordAppointmentInput[];
  recordFinalView: RecordFinalViewInput[];
  settleUnknownSend: SettleUnknownSendInput[];
}

type SendSms = (input: SendMessageInput, attempt: number) => Promise<SendResult>;

/** Accepts every message, as a provider would. */
const accept: SendSms = (input) =>
  Promise.resolve({
    outcome: 'sent',
    messageId: `msg-${input.idempotencyKey}`,
    providerId: `SM-${input.idempotencyKey}`,
  });

/** Replaces a stub, e.g. with a database that refuses every write. */
type Overrides = Partial<Pick<Activities, 'recordAppointment' | 'recordFinalView' | 'settleUnknownSend' | 'sendEmail'>>;

function stubActivities(sendSms: SendSms, overrides: Overrides): { activities: Activities; calls: Calls } {
  const calls: Calls = {
    sendSms: [],
    sendEmail: [],
    recordAppointment: [],
    recordFinalView: [],
    settleUnknownSend: [],
  };
  const attempts = new Map<string, number>();
  const activities: Activities = {
    async sendSms(input) {
      calls.sendSms.push(input);
      const attempt = (attempts.get(input.idempotencyKey) ?? 0) + 1;
      attempts.set(input.idempotencyKey, attempt);
      return sendSms(input, attempt);
    },
    sendEmail(input) {
      calls.sendEmail.push(input);
      return overrides.sendEmail?.(input) ?? accept(input, 1);
    },
    recordAppointment(input) {
      calls.recordAppointment.push(input);
      return overrides.recordAppointment?.(input) ?? Promise.resolve();
    },
    recordFinalView(input) {
      calls.recordFinalView.push(input);
      return overrides.recordFinalView?.(input) ?? Promise.resolve();
    },
    settleUnknownSend(input) {
      calls.settleUnknownSend.push(input);
      return overrides.settleUnknownSend?.(input) ?? Promise.resolve({ outcome: 'not_sent' });
    },
    recordCustomMessageEnd: () => Promise.reject(new Error('the appointment workflow has no custom message')),
  };
  return { activities, calls };
}

type Handle = WorkflowHandle<typeof appointmentWorkflow>;

interface StartOptions {
  optedOut?: boolean;
  historyEventLimit?: number;
  channels?: Channel[];
  quietHours?: QuietHours | null;
}

/** Plain functions (no `this`), so that a scenario can take them apart: `async ({ calls, start }) => …`. */
interface Scenario {
  calls: Calls;
  /** Starts an appointment 3 days ahead with SMS reminders 1 day and 2 hours before, unless overridden. */
  start: (details?: Partial<AppointmentDetails>, options?: StartOptions) => Promise<Handle>;
  now: () => Promise<number>;
}

/** Runs `scenario` with a worker serving the stubbed activities on a task queue of its own. */
async function withWorker<T>(
  sendSms: SendSms,
  scenario: (s: Scenario) => Promise<T>,
  overrides: Overrides = {},
): Promise<T> {
  const taskQueue = `wf-${randomBytes(4).toString('hex')}`;
  const { activities, calls } = stubActivities(sendSms, overrides);
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: testWorkflowBundle(),
    activities,
  });
  const started: Handle[] = [];
  return worker.runUntil(async () => {
    try {
      return await scenario({
        calls,
        now: () => env.currentTimeMs(),
        start: async (details = {}, options = {}) => {
          const handle = await startAppointmentWorkflow(env.client, {
            taskQueue,
            startsAt: (await env.currentTimeMs()) + 3 * DAY,
            details,
            input: options,
          });
          started.push(handle);
          return handle;
        },
      });
    } finally {
      // A workflow left waiting on a task queue no worker serves would stop the server's clock.
      for (const handle of started) await handle.terminate('scenario over').catch(() => undefined);
    }
  });
}

async function reply(
  handle: Handle,
  intent: InboundReply['intent'],
  keyword: string,
  overrides: Partial<InboundReply> = {},
): Promise<InboundReply> {
  const sent: InboundReply = {
    intent,
    keyword,
    messageId: `in-${randomBytes(3).toString('hex')}`,
    receivedAt: new Date(await env.currentTimeMs()).toISOString(),
    ...overrides,
  };
  await handle.signal(inboundReplySignal, sent);
  return sent;
}

async function statusAttribute(handle: Handle): Promise<string | undefined> {
  return (await handle.describe()).typedSearchAttributes.get(AppointmentStatusKey);
}

/** Waits (up to 5 s of real time) for what the workflow does right after a message. */
async function settled(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not settled within 5 s: ${check.toString()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const states = (view: AppointmentView) => view.reminders.map((r) => [r.id, r.state, r.reason]);

/** The failure an Update was rejected with: its ApplicationFailure type. */
async function rejectionType(update: Promise<unknown>): Promise<string | undefined> {
  const error = await update.then(
    () => null,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (error as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return (cause as ApplicationFailure).type ?? undefined;
}

test('a reminder due long before its start is handed over a minute ahead, with its timeouts extended by the wait; one due shortly before, 10 s ahead', async () => {
  // In seconds: the wait is measured from the workflow task, a moment before the activity is scheduled.
  const seconds = (ms = 0) => Math.round(ms / 1000);
  const handedOver: { reminderId?: string; ahead: number; heartbeat: number; startToClose: number }[] = [];
  const sendSms: SendSms = (input, attempt) => {
    const { currentAttemptScheduledTimestampMs, heartbeatTimeoutMs, startToCloseTimeoutMs } = Context.current().info;
    handedOver.push({
      reminderId: input.reminderId,
      ahead: seconds(Date.parse(input.notBefore ?? '') - currentAttemptScheduledTimestampMs),
      heartbeat: seconds(heartbeatTimeoutMs),
      startToClose: seconds(startToCloseTimeoutMs),
    });
    return accept(input, attempt);
  };
  await withWorker(sendSms, async ({ calls, start }) => {
    await start({
      reminders: [
        { before: 'P1D', channel: 'sms' },
        { before: 'PT5M', channel: 'sms' },
      ],
    });
    await env.sleep(3 * DAY);
    expect(calls.sendSms).toHaveLength(2);
  });
  expect(handedOver).toEqual([
    { reminderId: 'r1', ahead: 60, heartbeat: 80, startToClose: 110 },
    { reminderId: 'r2', ahead: 10, heartbeat: 30, startToClose: 60 },
  ]);
});

test('sends each reminder when it is due, with the appointment in the message input', async () => {
  await withWorker(accept, async ({ calls, start }) => {
    const handle = await start();
    const { workflowId } = handle;

    await env.sleep(2 * DAY - HOUR);
    expect(calls.sendSms).toHaveLength(0);
    const before = await handle.query(stateQuery);
    expect(before.status).toBe('scheduled');
    expect(await statusAttribute(handle)).toBe('scheduled');

    await env.sleep(2 * HOUR);
    expect(calls.sendSms).toHaveLength(1);
    expect(calls.sendSms[0]).toEqual({
      practiceId: 'clinic',
      appointmentId: before.appointmentId,
      workflowId,
      idempotencyKey: `${workflowId}/r1`,
      purpose: 'reminder',
      recipient: 'client',
      reminderId: 'r1',
      to: PHONE,
      appointment: {
        clientName: 'Maria Rossi',
        practitionerName: null,
        startsAt: before.startsAt,
        timeZone: 'Europe/Rome',
        location: null,
        clientLocale: null,
      },
      // The send writes the status it moves to with its message: no activity of its own.
      statusOnSent: { from: 'scheduled', to: 'awaiting_confirmation' },
      // Handed over SEND_AHEAD_MS early, it calls the gateway at its instant.
      notBefore: before.reminders[0].sendAt,
    });
    const view = await handle.query(stateQuery);
    expect(view.status).toBe('awaiting_confirmation');
    expect(states(view)).toEqual([
      ['r1', 'sent', null],
      ['r2', 'pending', null],
    ]);
    expect(view.reminders[0].messageId).toBe(`msg-${workflowId}/r1`);
    // Progress, not an outcome: the search attribute keeps `scheduled` rather than pay an upsert.
    expect(await statusAttribute(handle)).toBe('scheduled');
    expect(calls.recordAppointment).toEqual([]);

    await env.sleep(DAY);
    expect(calls.sendSms.map((c) => c.statusOnSent)).toEqual([
      { from: 'scheduled', to: 'awaiting_confirmation' },
      undefined,
    ]);
  });
});

test('ends when the appointment starts: unconfirmed, every reminder sent, the final view recorded', async () => {
  await withWorker(accept, async ({ calls, start }) => {
    const handle = await start();
    const view = await handle.result();
    expect(view.status).toBe('unconfirmed');
    expect(states(view)).toEqual([
      ['r1', 'sent', null],
      ['r2', 'sent', null],
    ]);
    expect(calls.sendSms.map((c) => c.idempotencyKey)).toEqual([`${handle.workflowId}/r1`, `${handle.workflowId}/r2`]);
    expect(calls.recordFinalView).toEqual([expect.objectContaining({ workflowId: handle.workflowId, view })]);
    expect(calls.recordFinalView[0].journal?.at(-1)).toMatchObject({ event: 'ended', status: 'unconfirmed' });
    // One write at the end: the final view with the projection.
    expect(calls.recordAppointment).toEqual([]);
    expect(calls.recordFinalView[0].projection).toEqual({
      status: 'unconfirmed',
      startsAt: view.startsAt,
      timeZone: 'Europe/Rome',
      clientPhone: PHONE,
      clientEmail: null,
      confirmation: null,
    });
    expect(await statusAttribute(handle)).toBe('unconfirmed');
  });
});

test('a send refused for good fails the reminder with the reason, without retrying', async () => {
  const refusal: SendRejection = {
    code: '21211',
    reason: 'invalid_number',
    explanation: "The client's phone number is not a valid phone number.",
    messageId: 'msg-refused',
  };
  const refuse: SendSms = () =>
    Promise.reject(
      ApplicationFailure.create({
        type: SEND_REJECTED.sms,
        message: refusal.explanation,
        nonRetryable: true,
        details: [refusal],
      }),
    );
  await withWorker(refuse, async ({ calls, start }) => {
    const handle = await start({ reminders: [{ before: 'PT2H', channel: 'sms' }] });
    const view = await handle.result();
    expect(view.reminders).toEqual([
      expect.objectContaining({ id: 'r1', state: 'failed', reason: 'invalid_number', messageId: 'msg-refused' }),
    ]);
    expect(view.status).toBe('failed');
    expect(calls.sendSms).toHaveLength(1);
    expect(await statusAttribute(handle)).toBe('failed');
  });
});

const EMAIL = 'maria@example.com';
const emailingClient = { name: 'Maria Rossi', phone: PHONE, email: EMAIL, smsConsent: true, emailConsent: true };

/** A permanent refusal of an SMS, as the send activity reports it. */
function refusedSms(code: string, reason: SendRejection['reason'], messageId: string): ApplicationFailure {
  const refusal: SendRejection = { code, reason, explanation: `refused (${code})`, messageId };
  return ApplicationFailure.create({
    type: SEND_REJECTED.sms,
    message: refusal.explanation,
    nonRetryable: true,
    details: [refusal],
  });
}

describe('email reminders and the SMS-to-email fallback', () => {
  test('an email reminder goes out by sendEmail to the client address, never by SMS', async () => {
    await withWorker(accept, async ({ calls, start }) => {
      const handle = await start({ client: emailingClient, reminders: [{ before: 'P1D', channel: 'email' }] });
      await env.sleep(2 * DAY + HOUR);
      expect(calls.sendSms).toHaveLength(0);
      expect(calls.sendEmail).toEqual([
        expect.objectContaining({
          to: EMAIL,
          purpose: 'reminder',
          reminderId: 'r1',
          idempotencyKey: `${handle.workflowId}/r1`,
        }),
      ]);
      const view = await handle.query(stateQuery);
      expect(view.reminders[0]).toMatchObject({ channel: 'email', state: 'sent', fallbackFrom: null });
      expect(view.status).toBe('awaiting_confirmation');
    });
  });

  test('a run started before email existed still skips email reminders', async () => {
    await withWorker(accept, async ({ calls, start }) => {
      const handle = await start(
        {
          client: emailingClient,
          reminders: [
            { before: 'P1D', channel: 'email' },
            { before: 'PT2H', channel: 'sms' },
          ],
        },
        { channels: ['sms'] },
      );
      expect(states(await handle.query(stateQuery))).toEqual([
        ['r1', 'skipped', 'channel_unavailable'],
        ['r2', 'pending', null],
      ]);
      await env.sleep(3 * DAY);
      expect(calls.sendEmail).toHaveLength(0);
    });
  });

  test('an SMS refused for good goes out once by email: the view shows the fallback', async () => {
    const refuse: SendSms = (input) => Promise.reject(refusedSms('21614', 'not_mobile', `msg-${input.reminderId}`));
    await withWorker(refuse, async ({ calls, start }) => {
      const handle = await start({ client: emailingClient, reminders: [{ before: 'P1D', channel: 'sms' }] });
      await env.sleep(2 * DAY + HOUR);
      expect(calls.sendSms).toHaveLength(1);
      expect(calls.sendEmail).toEqual([
        expect.objectContaining({
          to: EMAIL,
          purpose: 'fallback',
          reminderId: 'r1',
          idempotencyKey: `${handle.workflowId}/r1/email`,
        }),
      ]);
      const view = await handle.query(stateQuery);
      expect(view.reminders).toEqual([
        expect.objectContaining({ id: 'r1', channel: 'email', fallbackFrom: 'sms', state: 'sent', reason: null }),
      ]);
      expect(view.status).toBe('awaiting_confirmation');
    });
  });

  test('without email consent a refused SMS fails the reminder and the appointment', async () => {
    const refuse: SendSms = (input) => Promise.reject(refusedSms('21211', 'invalid_number', `msg-${input.reminderId}`));
    await withWorker(refuse, async ({ calls, start }) => {
      const handle = await start({
        client: { ...emailingClient, emailConsent: false },
        reminders: [{ before: 'P1D', channel: 'sms' }],
      });
      const view = await handle.result();
      expect(calls.sendEmail).toHaveLength(0);
      expect(view.reminders[0]).toMatchObject({ state: 'failed', reason: 'invalid_number', fallbackFrom: null });
      expect(view.status).toBe('failed');
    });
  });

  test('delivery reports: delivered marks the reminder; an undelivered SMS falls back once, whatever else arrives', async () => {
    await withWorker(accept, async ({ calls, start }) => {
      const handle = await start({ client: emailingClient });
      await env.sleep(2 * DAY + HOUR);
      const first = (await handle.query(stateQuery)).reminders[0];
      expect(first).toMatchObject({ id: 'r1', state: 'sent' });
      const report = (messageId: string, outcome: DeliveryReport['outcome']): DeliveryReport => ({
        messageId,
        outcome,
        errorCode: outcome === 'failed' ? '30003' : null,
        explanation: outcome === 'failed' ? 'unreachable' : null,
        at: new Date().toISOString(),
      });
      await handle.signal(deliveryReportSignal, report(first.messageId!, 'delivered'));
      await settled(async () => (await handle.query(stateQuery)).reminders[0].state === 'delivered');

      await env.sleep(22 * HOUR);
      const second = (await handle.query(stateQuery)).reminders[1];
      expect(second).toMatchObject({ id: 'r2', state: 'sent', channel: 'sms' });
      // A failure, repeated, and a late "delivered" for the SMS the fallback replaced.
      await handle.signal(deliveryReportSignal, report(second.messageId!, 'failed'));
      await handle.signal(deliveryReportSignal, report(second.messageId!, 'failed'));
      await handle.signal(deliveryReportSignal, report(second.messageId!, 'delivered'));
      await settled(
        async () => (await handle.query(stateQuery)).reminders[1].state === 'sent' && calls.sendEmail.length > 0,
      );
      expect(calls.sendEmail).toEqual([expect.objectContaining({ idempotencyKey: `${handle.workflowId}/r2/email` })]);
      const view = await handle.query(stateQuery);
      expect(view.reminders[1]).toMatchObject({ channel: 'email', fallbackFrom: 'sms', state: 'sent' });
      // The email's own failure has no further fallback: the client got the first reminder, so not failed.
      await handle.signal(deliveryReportSignal, report(view.reminders[1].messageId!, 'failed'));
      await settled(async () => (await handle.query(stateQuery)).reminders[1].state === 'failed');
      expect(calls.sendEmail).toHaveLength(1);
      expect((await handle.query(stateQuery)).status).toBe('awaiting_confirmation');
    });
  });

  test('the journal tells the decisions in order', async () => {
    await withWorker(accept, async ({ start }) => {
      const handle = await start();
      await env.sleep(2 * DAY + HOUR);
      await reply(handle, 'confirm', 'C');
      await settled(async () => (await handle.query(stateQuery)).status === 'confirmed');
      const journal = await handle.query(journalQuery);
      expect(journal.map((e) => [e.event, e.actor])).toEqual([
        ['created', 'practice'],
        ['reminder_planned', 'system'],
        ['reminder_planned', 'system'],
        ['confirmed', 'client'],
        ['reminder_skipped', 'system'],
      ]);
      expect(journal[4]).toMatchObject({ reminderId: 'r2', reason: 'confirmed' });
    });
  });
});

// The server ends the retries at the schedule-to-close deadline (the start) with the last
// attempt's ApplicationFailure and retryState TIMEOUT, not a TimeoutFailure, when every attempt
// fails fast: the reminder fails as gateway_unavailable and the appointment still ends.
test('a gateway failing transiently until the appointment starts fails the reminder, not the workflow', async () => {
  const unavailable: SendSms = () =>
    Promise.reject(
      ApplicationFailure.retryable('SMS gateway unavailable: Twilio had an internal error', 'SmsGatewayUnavailable'),
    );
  await withWorker(unavailable, async ({ calls, start }) => {
    const handle = await start({ reminders: [{ before: 'PT2H', channel: 'sms' }] });
    const final = await handle.result();
    expect(final.reminders).toEqual([
      expect.objectContaining({ state: 'failed', reason: 'gateway_unavailable', messageId: null }),
    ]);
    expect(final.status).toBe('failed');
    // Retried with backoff (5 s doubling, at most 10 min) for the 2 hours until the start.
    expect(calls.sendSms.length).toBeGreaterThan(5);
    expect(calls.recordFinalView).toHaveLength(1);
  });
});

test('a number the activity finds opted out: the reminder is skipped and the client opted out', async () => {
  const optedOut: SendSms = () => Promise.resolve({ outcome: 'opted_out' });
  await withWorker(optedOut, async ({ calls, start }) => {
    const handle = await start();
    const view = await handle.result();
    expect(states(view)).toEqual([
      ['r1', 'skipped', 'opted_out'],
      ['r2', 'skipped', 'opted_out'],
    ]);
    expect(view.status).toBe('opted_out');
    expect(calls.sendSms).toHaveLength(1);
  });
});

test("a practitioner's number found opted out skips only the practitioner's reminder", async () => {
  const practitionerOptedOut: SendSms = (input, attempt) =>
    input.recipient === 'practitioner' ? Promise.resolve({ outcome: 'opted_out' }) : accept(input, attempt);
  await withWorker(practitionerOptedOut, async ({ calls, start }) => {
    const handle = await start({
      recipients: 'both',
      practitioner: { name: 'Dr. Bianchi', phone: PRACTITIONER_PHONE },
      reminders: [
        { before: 'P1D', channel: 'sms' },
        { before: 'PT2H', channel: 'sms' },
      ],
    });
    const view = await handle.result();
    const byRecipient = (recipient: string) =>
      view.reminders.filter((r) => r.recipient === recipient).map((r) => [r.state, r.reason]);
    expect(byRecipient('client')).toEqual([
      ['sent', null],
      ['sent', null],
    ]);
    expect(byRecipient('practitioner')).toEqual([
      ['skipped', 'opted_out'],
      ['skipped', 'opted_out'],
    ]);
    expect(view.status).toBe('unconfirmed');
    expect(calls.sendSms.filter((c) => c.recipient === 'client')).toHaveLength(2);
  });
});

test("a practitioner's number refused for good fails only their reminder: no fallback, the client's status unchanged", async () => {
  const practitionerRefused: SendSms = (input, attempt) =>
    input.recipient === 'practitioner'
      ? Promise.reject(refusedSms('21211', 'invalid_number', `msg-${input.idempotencyKey}`))
      : accept(input, attempt);
  await withWorker(practitionerRefused, async ({ calls, start }) => {
    const handle = await start({
      recipients: 'both',
      client: emailingClient,
      practitioner: { name: 'Dr. Bianchi', phone: PRACTITIONER_PHONE, email: 'b@example.com' },
      reminders: [{ before: 'P1D', channel: 'sms' }],
    });
    const view = await handle.result();
    expect(view.reminders.map((r) => [r.recipient, r.channel, r.state, r.reason, r.fallbackFrom])).toEqual([
      ['client', 'sms', 'sent', null, null],
      ['practitioner', 'sms', 'failed', 'invalid_number', null],
    ]);
    expect(view.status).toBe('unconfirmed');
    expect(calls.sendEmail).toHaveLength(0);
  });
});

test('quiet hours move a reminder to the evening before, and it is sent then: the view shows the moved time', async () => {
  await withWorker(accept, async ({ calls, start, now }) => {
    // 08:30 in Rome three days ahead: "2 hours before" (06:30) is quiet, so 20:59 the evening before.
    const startsAt = DateTime.fromMillis((await now()) + 3 * DAY, { zone: 'Europe/Rome' }).set({
      hour: 8,
      minute: 30,
      second: 0,
      millisecond: 0,
    });
    const handle = await start(
      { startsAt: startsAt.toISO()!, reminders: [{ before: 'PT2H', channel: 'sms' }] },
      { quietHours: { start: '21:00', end: '08:00' } },
    );
    const planned = await handle.query(stateQuery);
    const evening = startsAt.minus({ days: 1 }).set({ hour: 20, minute: 59 });
    expect(planned.reminders.map((r) => [r.state, Date.parse(r.sendAt)])).toEqual([['pending', evening.toMillis()]]);
    const view = await handle.result();
    expect(view.reminders[0].state).toBe('sent');
    expect(calls.sendSms).toHaveLength(1);
  });
});

describe("the practice's monthly SMS budget spent", () => {
  const noCredit: SendSms = () => Promise.resolve({ outcome: 'credit_exhausted' });

  test('a client reminder falls back to email where the client allows it', async () => {
    await withWorker(noCredit, async ({ calls, start }) => {
      const view = await (
        await start({ client: emailingClient, reminders: [{ before: 'PT2H', channel: 'sms' }] })
      ).result();
      expect(view.reminders).toEqual([
        expect.objectContaining({ id: 'r1', channel: 'email', fallbackFrom: 'sms', state: 'sent', reason: null }),
      ]);
      expect(calls.sendEmail.map((c) => [c.purpose, c.to])).toEqual([['fallback', EMAIL]]);
    });
  });

  test('else the reminder is skipped with credit_exhausted, and the journal says so', async () => {
    await withWorker(noCredit, async ({ calls, start }) => {
      const handle = await start({ reminders: [{ before: 'PT2H', channel: 'sms' }] });
      const view = await handle.result();
      expect(states(view)).toEqual([['r1', 'skipped', 'credit_exhausted']]);
      expect(calls.sendEmail).toHaveLength(0);
      const journal = await handle.query(journalQuery);
      expect(journal).toContainEqual(
        expect.objectContaining({ event: 'reminder_skipped', reason: 'credit_exhausted' }),
      );
    });
  });
});

describe('manual reminders (staff press "send reminder now")', () => {
  test('one goes out at once even with reminders switched off, and shows in the view and the journal', async () => {
    await withWorker(accept, async ({ calls, start }) => {
      const handle = await start({ remindersEnabled: false });
      expect(states(await handle.query(stateQuery))).toEqual([
        ['r1', 'skipped', 'disabled'],
        ['r2', 'skipped', 'disabled'],
      ]);
      const answered = await handle.executeUpdate(remindUpdate, { args: [{ channel: 'sms' }] });
      expect(answered.reminders[2]).toEqual(
        expect.objectContaining({ id: 'r3', channel: 'sms', recipient: 'client', state: 'pending', manual: true }),
      );
      await settled(async () => (await handle.query(stateQuery)).reminders[2].state === 'sent');
      expect(calls.sendSms.map((c) => [c.idempotencyKey.split('/').pop(), c.purpose, c.to])).toEqual([
        ['r3', 'reminder', PHONE],
      ]);
      expect((await handle.query(stateQuery)).status).toBe('awaiting_confirmation');
      const journal = await handle.query(journalQuery);
      expect(journal.map((e) => [e.event, e.actor])).toContainEqual(['manual_reminder_requested', 'staff']);
    });
  });

  test('refused, naming why, when the client opted out or gave no consent; nothing is sent', async () => {
    await withWorker(accept, async ({ calls, start }) => {
      const optedOut = await start({}, { optedOut: true });
      const refused = optedOut.executeUpdate(remindUpdate, { args: [{ channel: 'sms' }] });
      expect(await rejectionType(refused)).toBe(UPDATE_REJECTION.invalid);
      const failure = await refused.then(
        () => null,
        (err: WorkflowUpdateFailedError) => err.cause?.message,
      );
      expect(failure).toMatch(/opted out/);
      const noEmail = optedOut.executeUpdate(remindUpdate, { args: [{ channel: 'email' }] });
      expect(await rejectionType(noEmail)).toBe(UPDATE_REJECTION.invalid);
      expect((await optedOut.query(stateQuery)).reminders).toHaveLength(2);
      expect(calls.sendSms).toHaveLength(0);
      expect(calls.sendEmail).toHaveLength(0);
    });
  });
});

test('the view shows what the appointment holds: client, practitioner, recipients, the reminders switch', async () => {
  await withWorker(accept, async ({ start }) => {
    const handle = await start({
      recipients: 'both',
      location: 'Via Roma 1',
      client: { ...emailingClient, locale: 'it-IT' },
      practitioner: { name: 'Dr. Bianchi', phone: PRACTITIONER_PHONE },
    });
    const view = await handle.query(stateQuery);
    expect(view).toEqual(
      expect.objectContaining({
        location: 'Via Roma 1',
        client: { ...emailingClient, locale: 'it-IT' },
        practitioner: { name: 'Dr. Bianchi', phone: PRACTITIONER_PHONE },
        recipients: 'both',
        remindersEnabled: true,
      }),
    );
    const changed = await handle.executeUpdate(rescheduleUpdate, { args: [{ client: { locale: 'en-GB' } }] });
    expect(changed.client.locale).toBe('en-GB');
  });
});

test('the activity finds the appointment started: the reminder is skipped too_late', async () => {
  const tooLate: SendSms = () => Promise.resolve({ outcome: 'too_late' });
  await withWorker(tooLate, async ({ start }) => {
    const view = await (await start({ reminders: [{ before: 'PT2H', channel: 'sms' }] })).result();
    expect(states(view)).toEqual([['r1', 'skipped', 'too_late']]);
    expect(view.status).toBe('unconfirmed');
  });
});

test('STOP skips the client reminders; START brings back those still ahead', async () => {
  await withWorker(accept, async ({ calls, start }) => {
    const handle = await start();
    await reply(handle, 'opt_out', 'STOP');
    const stopped = await handle.query(stateQuery);
    expect(states(stopped)).toEqual([
      ['r1', 'skipped', 'opted_out'],
      ['r2', 'skipped', 'opted_out'],
    ]);
    expect(stopped.status).toBe('opted_out');

    // r1 (1 day before) passes while opted out; r2 (2 hours before) is still ahead at START.
    await env.sleep(2 * DAY + HOUR);
    await reply(handle, 'opt_in', 'START');
    const started = await handle.query(stateQuery);
    expect(states(started)).toEqual([
      ['r1', 'skipped', 'opted_out'],
      ['r2', 'pending', null],
    ]);

    const view = await handle.result();
    expect(states(view)).toEqual([
      ['r1', 'skipped', 'opted_out'],
      ['r2', 'sent', null],
    ]);
    expect(calls.sendSms.map((c) => c.idempotencyKey)).toEqual([`${handle.workflowId}/r2`]);
  });
});

test('a "C" reply confirms: the client reminders left are skipped', async () => {
  await withWorker(accept, async ({ calls, start }) => {
    const handle = await start();
    await env.sleep(2 * DAY + HOUR);
    expect(calls.sendSms).toHaveLength(1);
    const receivedAt = new Date(await env.currentTimeMs()).toISOString();
    await handle.signal(inboundReplySignal, { intent: 'confirm', keyword: 'C', messageId: 'in-1', receivedAt });
    const confirmed = await handle.query(stateQuery);
    expect(confirmed.status).toBe('confirmed');
    expect(confirmed.confirmation).toEqual({ at: receivedAt, via: 'sms' });
    await settled(async () => (await statusAttribute(handle)) === 'confirmed');

    const view = await handle.result();
    expect(states(view)).toEqual([
      ['r1', 'sent', null],
      ['r2', 'skipped', 'confirmed'],
    ]);
    expect(view.status).toBe('confirmed');
    expect(calls.sendSms).toHaveLength(1);
    expect(calls.recordFinalView[0].view.status).toBe('confirmed');
    // The database mirrors the confirmation too: the reports count it.
    expect(calls.recordAppointment.find((c) => c.status === 'confirmed')?.confirmation).toEqual({
      at: receivedAt,
      via: 'sms',
    });
  });
});

test('staff confirmation skips the client reminders; the practitioner reminders still go', async () => {
  await withWorker(accept, async ({ calls, start }) => {
    const handle = await start({ recipients: 'both', practitioner: { name: 'Dr Bianchi', phone: PRACTITIONER_PHONE } });
    // Without arguments, as callers before confirm links sent it: staff.
    const confirmed = await handle.executeUpdate<AppointmentView, []>(confirmUpdate.name);
    expect(confirmed.status).toBe('confirmed');
    expect(confirmed.confirmation?.via).toBe('staff');
    expect(confirmed.reminders.map((r) => [r.recipient, r.state, r.reason])).toEqual([
      ['client', 'skipped', 'confirmed'],
      ['practitioner', 'pending', null],
      ['client', 'skipped', 'confirmed'],
      ['practitioner', 'pending', null],
    ]);

    const view = await handle.result();
    expect(view.reminders.map((r) => [r.recipient, r.state])).toEqual([
      ['client', 'skipped'],
      ['practitioner', 'sent'],
      ['client', 'skipped'],
      ['practitioner', 'sent'],
    ]);
    expect(calls.sendSms.map((c) => [c.recipient, c.to])).toEqual([
      ['practitioner', PRACTITIONER_PHONE],
      ['practitioner', PRACTITIONER_PHONE],
    ]);
    expect(view.status).toBe('confirmed');
  });
});

test('reschedule cancels what was pending, plans afresh and clears the confirmation; one into the past is refused', async () => {
  await withWorker(accept, async ({ calls, start, now }) => {
    const handle = await start();
    const newStart = new Date((await now()) + 5 * DAY).toISOString();
    const moved = await handle.executeUpdate(rescheduleUpdate, { args: [{ startsAt: newStart }] });
    expect(states(moved)).toEqual([
      ['r1', 'cancelled', 'rescheduled'],
      ['r2', 'cancelled', 'rescheduled'],
      ['r3', 'pending', null],
      ['r4', 'pending', null],
    ]);
    expect(moved.startsAt).toBe(newStart);
    expect(moved.status).toBe('scheduled');
    expect(Date.parse(moved.reminders[2].sendAt)).toBe(Date.parse(newStart) - DAY);

    // A confirmation is for one time: moving the appointment again clears it.
    expect((await handle.executeUpdate(confirmUpdate, { args: [{ via: 'staff' }] })).status).toBe('confirmed');
    const finalStart = new Date((await now()) + 4 * DAY).toISOString();
    const movedAgain = await handle.executeUpdate(rescheduleUpdate, { args: [{ startsAt: finalStart }] });
    expect(movedAgain.confirmation).toBeNull();
    expect(movedAgain.status).toBe('scheduled');
    expect(states(movedAgain).slice(2)).toEqual([
      ['r3', 'skipped', 'confirmed'],
      ['r4', 'skipped', 'confirmed'],
      ['r5', 'pending', null],
      ['r6', 'pending', null],
    ]);

    const past = new Date((await now()) - HOUR).toISOString();
    expect(await rejectionType(handle.executeUpdate(rescheduleUpdate, { args: [{ startsAt: past }] }))).toBe(
      UPDATE_REJECTION.invalid,
    );
    expect((await handle.query(stateQuery)).startsAt).toBe(finalStart);

    const view = await handle.result();
    expect(states(view).slice(4)).toEqual([
      ['r5', 'sent', null],
      ['r6', 'sent', null],
    ]);
    expect(view.status).toBe('unconfirmed');
    expect(calls.sendSms.map((c) => c.idempotencyKey)).toEqual([`${handle.workflowId}/r5`, `${handle.workflowId}/r6`]);
    // The row and the search attributes followed the appointment to its final time.
    expect(calls.recordFinalView.at(-1)?.projection).toMatchObject({ status: 'unconfirmed', startsAt: finalStart });
    expect(calls.recordAppointment.map((c) => c.startsAt)).toContain(finalStart);
    const attributes = (await handle.describe()).typedSearchAttributes;
    expect(attributes.get(AppointmentStartsAtKey)?.toISOString()).toBe(finalStart);
  });
});

test('cancel with notifyClient texts the client once; changes to a cancelled appointment are refused', async () => {
  let releaseNotice!: () => void;
  const noticeHeld = new Promise<void>((resolve) => (releaseNotice = resolve));
  // The cancellation notice waits, so the workflow is still running (cancelled) for the updates below.
  const send: SendSms = async (input) => {
    if (input.purpose === 'cancellation') await noticeHeld;
    return accept(input, 1);
  };
  await withWorker(send, async ({ calls, start, now }) => {
    const handle = await start();
    const cancelled = await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'sick', notifyClient: true }] });
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.cancellation?.reason).toBe('sick');
    expect(states(cancelled)).toEqual([
      ['r1', 'cancelled', 'appointment_cancelled'],
      ['r2', 'cancelled', 'appointment_cancelled'],
    ]);

    expect(await rejectionType(handle.executeUpdate(confirmUpdate, { args: [{}] }))).toBe(UPDATE_REJECTION.closed);
    const later = new Date((await now()) + 4 * DAY).toISOString();
    expect(await rejectionType(handle.executeUpdate(rescheduleUpdate, { args: [{ startsAt: later }] }))).toBe(
      UPDATE_REJECTION.closed,
    );
    // Cancel again is answered, not refused, and does not change the reason.
    expect((await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'other' }] })).cancellation?.reason).toBe(
      'sick',
    );

    releaseNotice();
    const view = await handle.result();
    expect(view.status).toBe('cancelled');
    expect(calls.sendSms).toHaveLength(1);
    expect(calls.sendSms[0]).toMatchObject({
      purpose: 'cancellation',
      recipient: 'client',
      to: PHONE,
      idempotencyKey: `${handle.workflowId}/cancellation`,
    });
    expect(calls.recordFinalView).toEqual([expect.objectContaining({ workflowId: handle.workflowId, view })]);
    expect(await statusAttribute(handle)).toBe('cancelled');
  });
});

test('cancel without notifyClient, or for a client who opted out, sends nothing', async () => {
  await withWorker(accept, async ({ calls, start }) => {
    const quiet = await start();
    await quiet.executeUpdate(cancelUpdate, { args: [{ reason: 'sick' }] });
    expect((await quiet.result()).status).toBe('cancelled');

    const optedOut = await start();
    await reply(optedOut, 'opt_out', 'STOP');
    await optedOut.executeUpdate(cancelUpdate, { args: [{ notifyClient: true }] });
    expect((await optedOut.result()).status).toBe('cancelled');

    expect(calls.sendSms).toEqual([]);
    expect(calls.recordFinalView).toHaveLength(2);
  });
});

/** Fails every send while `down` is set, as a gateway in an outage would. */
function outage(): { send: SendSms; recover(): void; succeeded: SendMessageInput[] } {
  let down = true;
  const succeeded: SendMessageInput[] = [];
  return {
    succeeded,
    recover: () => (down = false),
    send: (input, attempt) => {
      if (down) {
        return Promise.reject(ApplicationFailure.retryable('SMS gateway unavailable: 503', 'SmsGatewayUnavailable'));
      }
      succeeded.push(input);
      return accept(input, attempt);
    },
  };
}

describe('a send being retried follows what happens to the appointment meanwhile', () => {
  test.each([
    [
      'a cancellation',
      (h: Handle) => h.executeUpdate(cancelUpdate, { args: [{}] }),
      ['cancelled', 'appointment_cancelled'],
    ],
    ['a staff confirmation', (h: Handle) => h.executeUpdate(confirmUpdate, { args: [{}] }), ['skipped', 'confirmed']],
    ['a STOP', (h: Handle) => reply(h, 'opt_out', 'STOP'), ['skipped', 'opted_out']],
  ] as const)('%s stops it: nothing goes out when the gateway recovers', async (_change, change, [state, reason]) => {
    const gateway = outage();
    await withWorker(gateway.send, async ({ calls, start }) => {
      const handle = await start();
      await env.sleep(2 * DAY + 2 * 60_000);
      expect(calls.sendSms.length).toBeGreaterThan(1);
      await change(handle);
      await settled(async () => (await handle.query(stateQuery)).reminders[0].state !== 'pending');
      gateway.recover();
      await env.sleep(HOUR);
      expect(gateway.succeeded.filter((input) => input.idempotencyKey.endsWith('/r1'))).toEqual([]);
      expect(states(await handle.query(stateQuery))[0]).toEqual(['r1', state, reason]);
    });
  });

  test('a new location reaches it: the retry sends the current text under the same key', async () => {
    const gateway = outage();
    await withWorker(gateway.send, async ({ calls, start }) => {
      const handle = await start({ location: 'Room 1' });
      await env.sleep(2 * DAY + 2 * 60_000);
      expect(calls.sendSms.length).toBeGreaterThan(1);
      await handle.executeUpdate(rescheduleUpdate, { args: [{ location: 'Room 2' }] });
      gateway.recover();
      await env.sleep(HOUR);
      const r1 = gateway.succeeded.filter((input) => input.idempotencyKey === `${handle.workflowId}/r1`);
      expect(r1.map((input) => input.appointment?.location)).toEqual(['Room 2']);
      expect(states(await handle.query(stateQuery))[0]).toEqual(['r1', 'sent', null]);
    });
  });
});

describe('replies apply once, newest opt-out state wins', () => {
  test('a START older than the STOP already applied changes nothing', async () => {
    await withWorker(accept, async ({ start, now }) => {
      const handle = await start();
      const earlier = new Date((await now()) - 60_000).toISOString();
      await reply(handle, 'opt_out', 'STOP');
      await reply(handle, 'opt_in', 'START', { receivedAt: earlier });
      await settled(async () => (await handle.query(stateQuery)).status === 'opted_out');
      await env.sleep(3 * DAY);
      expect((await handle.result()).status).toBe('opted_out');
    });
  });

  test('a redelivered STOP after a START does not opt the client out again', async () => {
    await withWorker(accept, async ({ calls, start }) => {
      const handle = await start();
      const stop = await reply(handle, 'opt_out', 'STOP');
      await reply(handle, 'opt_in', 'START');
      await handle.signal(inboundReplySignal, stop);
      const view = await handle.result();
      expect(states(view)).toEqual([
        ['r1', 'sent', null],
        ['r2', 'sent', null],
      ]);
      expect(calls.sendSms).toHaveLength(2);
    });
  });

  test("a STOP from the client's previous number leaves the new number's reminders alone", async () => {
    await withWorker(accept, async ({ start }) => {
      const handle = await start();
      await handle.executeUpdate(rescheduleUpdate, {
        args: [{ client: { phone: '+393470000001' }, clientPhoneOptedOut: false }],
      });
      await reply(handle, 'opt_out', 'STOP', { from: PHONE });
      const view = await handle.result();
      expect(view.status).toBe('unconfirmed');
      expect(states(view).map(([, state]) => state)).toEqual(['sent', 'sent']);
    });
  });
});

test('a database refusing every write does not hold the reminders back: the projection gives up, the workflow goes on', async () => {
  const refuse = () =>
    Promise.reject(ApplicationFailure.retryable('connection refused', 'PrismaClientInitializationError'));
  await withWorker(
    accept,
    async ({ calls, start }) => {
      const handle = await start({ reminders: [{ before: 'PT2H', channel: 'sms' }] });
      const view = await handle.result();
      expect(states(view)).toEqual([['r1', 'sent', null]]);
      expect(calls.sendSms).toHaveLength(1);
      expect(calls.recordFinalView.length).toBeGreaterThan(0);
    },
    { recordAppointment: refuse, recordFinalView: refuse },
  );
});

test('a long-lived appointment continues as new, carrying its plan, replies and confirmation', async () => {
  await withWorker(accept, async ({ calls, start, now }) => {
    const handle = await start({}, { historyEventLimit: 60 });
    const { runId: firstRun } = await handle.describe();
    let startsAt = '';
    for (let i = 1; i <= 8; i++) {
      startsAt = new Date((await now()) + (3 * DAY + i * HOUR)).toISOString();
      await handle.executeUpdate(rescheduleUpdate, { args: [{ startsAt }] });
    }
    const stop = await reply(handle, 'opt_out', 'STOP');
    await reply(handle, 'opt_in', 'START');
    await settled(async () => (await handle.describe()).runId !== firstRun);
    // The redelivered STOP is recognised by the new run too.
    await handle.signal(inboundReplySignal, stop);
    await handle.executeUpdate(confirmUpdate, { args: [{}] });
    const carried = await handle.query(stateQuery);
    expect(carried.startsAt).toBe(startsAt);
    expect(carried.reminders).toHaveLength(18);
    expect(carried.status).toBe('confirmed');

    const view = await handle.result();
    expect(view.status).toBe('confirmed');
    expect(states(view).slice(16)).toEqual([
      ['r17', 'skipped', 'confirmed'],
      ['r18', 'skipped', 'confirmed'],
    ]);
    expect(calls.sendSms).toHaveLength(0);
  });
});

describe('a send whose outcome stayed unknown asks the provider before the view says so', () => {
  const unavailable: SendSms = () =>
    Promise.reject(ApplicationFailure.retryable('SMS gateway unavailable: 500', 'SmsGatewayUnavailable'));

  test('retries ran out, but the provider has the text: the reminder is sent', async () => {
    await withWorker(
      unavailable,
      async ({ calls, start }) => {
        const handle = await start({ reminders: [{ before: 'PT2H', channel: 'sms' }] });
        const view = await handle.result();
        expect(view.reminders[0]).toMatchObject({ state: 'sent', reason: null, messageId: 'msg-found' });
        expect(calls.settleUnknownSend.map((c) => c.idempotencyKey)).toEqual([`${handle.workflowId}/r1`]);
      },
      { settleUnknownSend: () => Promise.resolve({ outcome: 'sent', messageId: 'msg-found', providerId: 'SM-found' }) },
    );
  });

  test('retries ran out and the provider has nothing: the reminder failed, as before', async () => {
    await withWorker(unavailable, async ({ calls, start }) => {
      const handle = await start({ reminders: [{ before: 'PT2H', channel: 'sms' }] });
      const view = await handle.result();
      expect(view.reminders[0]).toMatchObject({ state: 'failed', reason: 'gateway_unavailable' });
      expect(calls.settleUnknownSend).toHaveLength(1);
    });
  });
});
