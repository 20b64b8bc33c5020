import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Activities } from '../../activities';
import type { RecordCustomMessageEndInput, SendMessageInput, SendResult } from '../../activities/contracts';
import type { customMessageWorkflow } from '../../workflows/custom-message';
import {
  cancelCustomMessageUpdate,
  CUSTOM_MESSAGE_WORKFLOW_TYPE,
  customMessageStateQuery,
  customMessageWorkflowId,
  NOT_CANCELLABLE,
  type CustomMessageWorkflowInput,
} from '../../workflows/custom-message-messages';
import { match } from '../support/matchers';
import { startTimeSkippingEnvironment } from '../support/time-skipping';
import { testWorkflowBundle } from '../support/workflow-bundle';

// The custom message workflow over simulated days (Temporal's time-skipping server), with
// its activities replaced by plain functions that record their calls. The real send path,
// database and providers are exercised by test/api/custom-messages.test.ts.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const PHONE = '+393471234567';

let env: TestWorkflowEnvironment;
jest.setTimeout(30_000);

beforeAll(async () => {
  env = await startTimeSkippingEnvironment();
});

afterAll(async () => {
  await env?.teardown();
});

interface Calls {
  sendSms: SendMessageInput[];
  recordCustomMessageEnd: RecordCustomMessageEndInput[];
}

type Handle = WorkflowHandle<typeof customMessageWorkflow>;

const accept = (input: SendMessageInput): Promise<SendResult> =>
  Promise.resolve({ outcome: 'sent', messageId: input.idempotencyKey, providerId: `SM-${input.idempotencyKey}` });

async function withWorker<T>(
  sendSms: (input: SendMessageInput) => Promise<SendResult>,
  scenario: (s: { calls: Calls; start: (scheduledInMs: number) => Promise<Handle> }) => Promise<T>,
): Promise<T> {
  const taskQueue = `cm-${randomBytes(4).toString('hex')}`;
  const calls: Calls = { sendSms: [], recordCustomMessageEnd: [] };
  const unused = () => Promise.reject(new Error('not used by the custom message workflow'));
  const activities: Activities = {
    sendSms(input) {
      calls.sendSms.push(input);
      return sendSms(input);
    },
    sendEmail: unused,
    recordAppointment: unused,
    recordFinalView: unused,
    settleUnknownSend: () => Promise.resolve({ outcome: 'not_sent' }),
    recordCustomMessageEnd(input) {
      calls.recordCustomMessageEnd.push(input);
      return Promise.resolve();
    },
  };
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
        start: async (scheduledInMs) => {
          const messageId = randomUUID();
          const input: CustomMessageWorkflowInput = {
            practiceId: 'clinic',
            messageId,
            channel: 'sms',
            to: PHONE,
            recipient: 'client',
            text: 'Please bring your documents.',
            subject: null,
            scheduledFor: new Date((await env.currentTimeMs()) + scheduledInMs).toISOString(),
            appointment: null,
          };
          const handle = await env.client.workflow.start<typeof customMessageWorkflow>(CUSTOM_MESSAGE_WORKFLOW_TYPE, {
            taskQueue,
            workflowId: customMessageWorkflowId('clinic', messageId),
            args: [input],
          });
          started.push(handle);
          return handle;
        },
      });
    } finally {
      for (const handle of started) await handle.terminate('scenario over').catch(() => undefined);
    }
  });
}

/** With RECORD_HISTORIES=1, keeps the run's history for test/workflow/replay.test.ts. */
async function recordHistory(name: string, handle: Handle): Promise<void> {
  if (!process.env.RECORD_HISTORIES) return;
  writeFileSync(path.join(__dirname, 'histories', `${name}.json`), historyToJSON(await handle.fetchHistory()));
}

test('sleeps until it is due, then sends the text as written, once, under its workflow id', async () => {
  await withWorker(accept, async ({ calls, start }) => {
    const handle = await start(2 * DAY);
    await env.sleep(2 * DAY - HOUR);
    expect(calls.sendSms).toHaveLength(0);
    expect(await handle.query(customMessageStateQuery)).toMatchObject({ status: 'scheduled', reason: null });

    await env.sleep(2 * HOUR);
    const state = await handle.result();
    expect(state.status).toBe('sent');
    expect(calls.sendSms).toEqual([
      {
        practiceId: 'clinic',
        appointmentId: null,
        workflowId: handle.workflowId,
        idempotencyKey: handle.workflowId,
        to: PHONE,
        purpose: 'custom',
        recipient: 'client',
        custom: { text: 'Please bring your documents.', subject: null },
        appointment: null,
      },
    ]);
    expect(calls.recordCustomMessageEnd).toEqual([]);
    await recordHistory('custom-message-sent', handle);
  });
});

test('a cancel while it waits stops it: nothing is sent, the row is told, the answer says cancelled', async () => {
  await withWorker(accept, async ({ calls, start }) => {
    const handle = await start(2 * DAY);
    await env.sleep(DAY);
    const answer = await handle.executeUpdate(cancelCustomMessageUpdate);
    expect(answer).toMatchObject({ status: 'cancelled' });

    const state = await handle.result();
    expect(state.status).toBe('cancelled');
    await env.sleep(3 * DAY);
    expect(calls.sendSms).toHaveLength(0);
    expect(calls.recordCustomMessageEnd).toEqual([
      { messageId: state.messageId, status: 'cancelled', errorCode: null, explanation: null },
    ]);
    await recordHistory('custom-message-cancelled', handle);
  });
});

test('a cancel once the send has begun is refused with its own failure type, and the text goes out', async () => {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const slow = async (input: SendMessageInput) => {
    await held;
    return accept(input);
  };
  await withWorker(slow, async ({ calls, start }) => {
    const handle = await start(0);
    const deadline = Date.now() + 5_000;
    while (calls.sendSms.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));

    const refused = await handle.executeUpdate(cancelCustomMessageUpdate).then(
      () => null,
      (err: unknown) => err,
    );
    // Let the send finish before any assertion can fail: a held activity would keep the worker from stopping.
    release();
    expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
    const cause = (refused as WorkflowUpdateFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe(NOT_CANCELLABLE);
    expect((cause as ApplicationFailure).message).toMatch(/being sent/);
    expect((await handle.result()).status).toBe('sent');
    expect(calls.sendSms).toHaveLength(1);
    expect(calls.recordCustomMessageEnd).toEqual([]);
  });
});

test('an opted-out number: not sent, skipped with the reason, and the row says why', async () => {
  const optedOut = () => Promise.resolve<SendResult>({ outcome: 'opted_out' });
  await withWorker(optedOut, async ({ calls, start }) => {
    const handle = await start(HOUR);
    const state = await handle.result();
    expect(state).toMatchObject({ status: 'skipped', reason: 'opted_out' });
    expect(calls.recordCustomMessageEnd).toEqual([
      expect.objectContaining({
        status: 'skipped',
        errorCode: 'opted_out',
        explanation: match.stringMatching(/STOP/),
      }),
    ]);
  });
});
