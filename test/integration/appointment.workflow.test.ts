import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { DateTime } from 'luxon';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { WorkflowHandle, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { createActivities } from '../../activities';
import { createPrismaClient, type PrismaClient } from '../../db/client';
import type { AppointmentView } from '../../domain/appointment';
import { createTwilioGateway } from '../../gateways/twilio';
import { createPractice } from '../../services/practices';
import { AppointmentStatusKey } from '../../workflows/search-attributes';
import type { appointmentWorkflow } from '../../workflows/appointment';
import {
  cancelUpdate,
  remindUpdate,
  inboundReplySignal,
  rescheduleUpdate,
  stateQuery,
  type AppointmentWorkflowInput,
} from '../../workflows/messages';
import { CLIENT_PHONE as PHONE, startAppointmentWorkflow } from '../support/appointment-workflow';
import { startFakeTwilio, type FakeTwilio } from '../support/fake-twilio';
import { createTestDatabase } from '../support/postgres';
import { startTimeSkippingEnvironment } from '../support/time-skipping';
import { InMemoryGateway } from '../support/in-memory-gateway';
import { testWorkflowBundle } from '../support/workflow-bundle';

// The workflow over days of simulated time on Temporal's time-skipping test server, with the
// real activities, PostgreSQL and twilio SDK (against the local fake Twilio). The slow tier's
// counterpart of test/workflow/appointment-branches.test.ts, and the recorder of the histories
// test/workflow/replay.test.ts replays (RECORD_HISTORIES=1).

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let env: TestWorkflowEnvironment;
let prisma: PrismaClient;
let twilio: FakeTwilio;
let dropDatabase: () => Promise<void>;
/** While set, the fake Twilio answers every send 503, as in an outage. */
let twilioDown = false;

beforeAll(async () => {
  env = await startTimeSkippingEnvironment();
  const database = await createTestDatabase('workflow');
  dropDatabase = database.drop;
  prisma = createPrismaClient(database.url);
  await createPractice(prisma, {
    id: 'clinic',
    name: 'Studio Bianchi',
    smsFrom: '+15005550006',
    timeZone: 'Europe/Rome',
    // Reminders fall due minutes ahead at any hour of the run; quiet hours would move them.
    quietHours: null,
  });
  twilio = await startFakeTwilio({
    faults: () => (twilioDown ? { status: 503, code: 20500, message: 'Service unavailable' } : undefined),
  });
});

afterAll(async () => {
  await env?.teardown();
  await twilio?.stop();
  await prisma?.$disconnect();
  await dropDatabase?.();
});

beforeEach(() => {
  twilio.messages.length = 0;
});

async function withWorker<T>(
  name: string,
  scenario: (
    start: (input: Partial<AppointmentWorkflowInput['details']>) => Promise<WorkflowHandle<typeof appointmentWorkflow>>,
  ) => Promise<T>,
  options: Pick<AppointmentWorkflowInput, 'historyEventLimit' | 'quietHours'> = {},
): Promise<T> {
  const taskQueue = `wf-${randomBytes(4).toString('hex')}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: testWorkflowBundle(),
    activities: createActivities({
      prisma,
      sms: createTwilioGateway({
        accountSid: twilio.accountSid,
        authToken: twilio.authToken,
        apiBaseUrl: twilio.baseUrl,
      }),
      // These histories send no email; a gateway that accepts everything stands in.
      email: new InMemoryGateway('email'),
      links: { publicBaseUrl: 'http://127.0.0.1', signingSecret: 'test-link-signing-secret-0123456789abcdef' },
    }),
  });
  const handles: WorkflowHandleWithFirstExecutionRunId[] = [];
  const result = await worker.runUntil(async () => {
    const now = await env.currentTimeMs();
    return scenario(async (details) => {
      const handle = await startAppointmentWorkflow(env.client, {
        taskQueue,
        startsAt: now + 3 * DAY,
        details,
        input: options,
      });
      handles.push(handle);
      return handle;
    });
  });
  if (process.env.RECORD_HISTORIES) {
    const dir = path.join(__dirname, '..', 'workflow', 'histories');
    mkdirSync(dir, { recursive: true });
    for (const [i, handle] of handles.entries()) {
      // The first run, and the last one when the workflow continued as new.
      const first = env.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId);
      writeFileSync(path.join(dir, `${name}-${i}.json`), historyToJSON(await first.fetchHistory()));
      const { runId } = await handle.describe();
      if (runId !== handle.firstExecutionRunId) {
        writeFileSync(path.join(dir, `${name}-${i}-last-run.json`), historyToJSON(await handle.fetchHistory()));
      }
    }
  }
  return result;
}

async function waitForSms(count: number): Promise<void> {
  await twilio.waitForMessages(() => true, count, 20_000);
}

test('sends each reminder when due, then a "C" reply confirms and skips the rest', async () => {
  let workflowId = '';
  const view = await withWorker('confirmed', async (start) => {
    const handle = await start({});
    workflowId = handle.workflowId;
    await env.sleep(2 * DAY + HOUR);
    await waitForSms(1);
    const awaiting = await handle.query(stateQuery);
    expect(awaiting.status).toBe('awaiting_confirmation');
    const { typedSearchAttributes } = await handle.describe();
    // Progress, not an outcome: the search attribute keeps `scheduled` (no upsert for it).
    expect(typedSearchAttributes.get(AppointmentStatusKey)).toBe('scheduled');
    expect(awaiting.reminders.map((r) => r.state)).toEqual(['sent', 'pending']);
    await handle.signal(inboundReplySignal, {
      intent: 'confirm',
      keyword: 'C',
      messageId: 'in-1',
      receivedAt: new Date(await env.currentTimeMs()).toISOString(),
    });
    return handle.result();
  });
  expect(view.status).toBe('confirmed');
  expect(view.confirmation?.via).toBe('sms');
  expect(view.reminders.map((r) => [r.state, r.reason])).toEqual([
    ['sent', null],
    ['skipped', 'confirmed'],
  ]);
  expect(twilio.messages).toHaveLength(1);
  expect(twilio.messages[0]).toMatchObject({ to: PHONE, from: '+15005550006' });
  expect(twilio.messages[0].body).toMatch(/^Hi Maria, a reminder from Studio Bianchi: your appointment is /);
  // The confirmation and the final view were written by local activities, in the workflow
  // tasks that decided them: the only activity tasks Temporal scheduled were the sends.
  const events = (await env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const scheduled = events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
  expect(scheduled).toEqual(['sendSms']);
  const markers = events.flatMap((e) => e.markerRecordedEventAttributes?.markerName ?? []);
  expect(markers).toEqual(['core_local_activity', 'core_local_activity']);
});

test('quiet hours move a reminder to the evening before; a manual reminder goes at once', async () => {
  const view = await withWorker(
    'quiet-hours-manual',
    async (start) => {
      // 08:30 in Rome: "2 hours before" falls in the quiet night, so it moves to 20:59 the evening before.
      const startsAt = DateTime.fromMillis((await env.currentTimeMs()) + 3 * DAY, { zone: 'Europe/Rome' }).set({
        hour: 8,
        minute: 30,
        second: 0,
        millisecond: 0,
      });
      const handle = await start({ startsAt: startsAt.toISO()!, reminders: [{ before: 'PT2H', channel: 'sms' }] });
      const planned = await handle.query(stateQuery);
      expect(Date.parse(planned.reminders[0].sendAt)).toBe(
        startsAt.minus({ days: 1 }).set({ hour: 20, minute: 59 }).toMillis(),
      );
      await handle.executeUpdate(remindUpdate, { args: [{ channel: 'sms' }] });
      await waitForSms(1);
      return handle.result();
    },
    { quietHours: { start: '21:00', end: '08:00' } },
  );
  expect(view.reminders.map((r) => [r.id, r.state, r.manual ?? false])).toEqual([
    ['r1', 'sent', false],
    ['r2', 'sent', true],
  ]);
  expect(twilio.messages).toHaveLength(2);
});

test('never confirmed: both reminders go out and the appointment ends unconfirmed', async () => {
  const view = await withWorker('unconfirmed', async (start) => (await start({})).result());
  expect(view.status).toBe('unconfirmed');
  expect(view.reminders.map((r) => r.state)).toEqual(['sent', 'sent']);
  expect(twilio.messages).toHaveLength(2);
  const rows = await prisma.message.findMany({ where: { id: { in: view.reminders.map((r) => r.messageId!) } } });
  expect(rows.map((r) => r.providerId).sort()).toEqual(twilio.messages.map((m) => m.sid).sort());
});

test('an invalid number is a permanent failure: not retried, recorded with a readable reason', async () => {
  twilio.failNext(() => true, {
    status: 400,
    code: 21211,
    message: "The 'To' number +393470000000 is not a valid phone number.",
  });
  const view = await withWorker('invalid-number', async (start) =>
    (
      await start({
        client: { name: 'Maria', phone: '+393470000000', smsConsent: true, emailConsent: false },
        reminders: [{ before: 'PT2H', channel: 'sms' }],
      })
    ).result(),
  );
  expect(view.status).toBe('failed');
  expect(view.reminders[0]).toMatchObject({ state: 'failed', reason: 'invalid_number' });
  const row = await prisma.message.findUniqueOrThrow({ where: { id: view.reminders[0].messageId! } });
  expect(row).toMatchObject({ status: 'failed', errorCode: '21211', providerId: null });
  expect(row.errorMessage).toEqual(expect.any(String));
  expect(twilio.messages).toHaveLength(0);
});

test('a transient Twilio error is retried with backoff and the reminder is sent once', async () => {
  twilio.failNext(() => true, { status: 503, code: 20500, message: 'Service unavailable' });
  const view = await withWorker('transient', async (start) =>
    (await start({ reminders: [{ before: 'PT2H', channel: 'sms' }] })).result(),
  );
  expect(view.reminders[0]).toMatchObject({ state: 'sent' });
  expect(twilio.messages).toHaveLength(1);
});

test('reschedule re-plans and cancel ends the workflow, cancelling what was pending', async () => {
  const view: AppointmentView = await withWorker('reschedule-cancel', async (start) => {
    const handle = await start({});
    const now = await env.currentTimeMs();
    const moved = await handle.executeUpdate(rescheduleUpdate, {
      args: [{ startsAt: new Date(now + 5 * DAY).toISOString() }],
    });
    expect(moved.reminders.map((r) => [r.id, r.state])).toEqual([
      ['r1', 'cancelled'],
      ['r2', 'cancelled'],
      ['r3', 'pending'],
      ['r4', 'pending'],
    ]);
    await env.sleep(4 * DAY + HOUR);
    await waitForSms(1);
    await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'sick', notifyClient: true }] });
    return handle.result();
  });
  expect(view.status).toBe('cancelled');
  expect(view.reminders.map((r) => r.state)).toEqual(['cancelled', 'cancelled', 'sent', 'cancelled']);
  await waitForSms(2);
  expect(twilio.messages[1].body).toMatch(/has been cancelled/);
});

test('a new location during a Twilio outage reaches the send being retried: one text, with the new location', async () => {
  twilioDown = true;
  const view = await withWorker('stopped-send', async (start) => {
    const handle = await start({ location: 'Room 1', reminders: [{ before: 'PT2H', channel: 'sms' }] });
    try {
      await env.sleep(3 * DAY - HOUR);
      await handle.executeUpdate(rescheduleUpdate, { args: [{ location: 'Room 2' }] });
    } finally {
      twilioDown = false;
    }
    return handle.result();
  });
  expect(view.reminders[0]).toMatchObject({ state: 'sent' });
  expect(twilio.messages).toHaveLength(1);
  expect(twilio.messages[0].body).toContain('Room 2');
});

test('a long-lived appointment continues as new and still sends its reminders', async () => {
  const view: AppointmentView = await withWorker(
    'continued',
    async (start) => {
      const handle = await start({});
      const { runId: firstRun } = await handle.describe();
      for (let i = 1; i <= 4; i++) {
        const startsAt = new Date((await env.currentTimeMs()) + 3 * DAY + i * HOUR).toISOString();
        await handle.executeUpdate(rescheduleUpdate, { args: [{ startsAt }] });
      }
      const result = await env.client.workflow.getHandle<typeof appointmentWorkflow>(handle.workflowId).result();
      expect(result.runId).not.toBe(firstRun);
      return result;
    },
    { historyEventLimit: 40 },
  );
  expect(view.status).toBe('unconfirmed');
  expect(view.reminders.map((r) => r.state)).toEqual([...Array<string>(8).fill('cancelled'), 'sent', 'sent']);
  expect(twilio.messages).toHaveLength(2);
});
