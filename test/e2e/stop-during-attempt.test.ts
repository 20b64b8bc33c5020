import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Activities } from '../../activities';
import { cancelUpdate } from '../../workflows/messages';
import { startAppointmentWorkflow } from '../support/appointment-workflow';
import { installTestTemporalRuntime } from '../support/temporal-runtime';
import { testWorkflowBundle } from '../support/workflow-bundle';

// On the real Temporal server, not the time-skipping one: an attempt that fails after its
// activity was cancelled is not retried (retry state CANCEL_REQUESTED, which the Java test
// server does not reproduce). The workflow must read that as its own stop.

let connection: NativeConnection;
let clientConnection: Connection;

beforeAll(async () => {
  installTestTemporalRuntime();
  const address = process.env.TEST_TEMPORAL_ADDRESS!;
  connection = await NativeConnection.connect({ address });
  clientConnection = await Connection.connect({ address });
});

afterAll(async () => {
  await clientConnection?.close();
  await connection?.close();
});

test('a send whose running attempt fails after a cancel ends cancelled, not retried and not a failed workflow', async () => {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let attempts = 0;
  const activities: Activities = {
    async sendSms() {
      attempts++;
      await held;
      throw ApplicationFailure.retryable('SMS gateway unavailable: timeout', 'SmsGatewayUnavailable');
    },
    sendEmail: () => Promise.reject(new Error('this test sends no email')),
    recordAppointment: () => Promise.resolve(),
    recordFinalView: () => Promise.resolve(),
    settleUnknownSend: () => Promise.resolve({ outcome: 'not_sent' }),
    recordCustomMessageEnd: () => Promise.reject(new Error('this test has no custom message')),
  };
  const taskQueue = `stop-${randomBytes(4).toString('hex')}`;
  const worker = await Worker.create({ connection, taskQueue, workflowBundle: testWorkflowBundle(), activities });
  const client = new Client({ connection: clientConnection });

  await worker.runUntil(async () => {
    const handle = await startAppointmentWorkflow(client, {
      taskQueue,
      startsAt: Date.now() + 3_600_000,
      // Overdue at creation: sent at once.
      details: { reminders: [{ before: 'PT2H', channel: 'sms' }] },
    });
    const deadline = Date.now() + 20_000;
    while (attempts === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(attempts).toBe(1);
    await handle.executeUpdate(cancelUpdate, { args: [{}] });
    release();
    const view = await handle.result();
    expect(view.reminders.map((r) => [r.state, r.reason])).toEqual([['cancelled', 'appointment_cancelled']]);
    expect(view.status).toBe('cancelled');
  });
  expect(attempts).toBe(1);
});
