import { randomBytes } from 'node:crypto';
import type { Client, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { workflowIdFor, type AppointmentDetails } from '../../domain/appointment';
import { DELIVERABLE_CHANNELS } from '../../domain/reminder-plan';
import type { appointmentWorkflow } from '../../workflows/appointment';
import {
  APPOINTMENT_WORKFLOW_REVISION,
  APPOINTMENT_WORKFLOW_TYPE,
  type AppointmentWorkflowInput,
} from '../../workflows/messages';
import { startingSearchAttributes } from '../../workflows/search-attributes';

// The appointment workflow started directly, without the API: for tests of the workflow
// itself (time-skipping, replay recording, the real server with stubbed activities).

export const CLIENT_PHONE = '+393471234567';

export type AppointmentHandle = WorkflowHandleWithFirstExecutionRunId<typeof appointmentWorkflow>;

/**
 * Starts an appointment of practice `clinic` at `startsAt` (epoch ms) with SMS reminders 1 day
 * and 2 hours before for a consenting client, unless `details` says otherwise.
 */
export function startAppointmentWorkflow(
  client: Client,
  options: {
    taskQueue: string;
    startsAt: number;
    details?: Partial<AppointmentDetails>;
    input?: Partial<Pick<AppointmentWorkflowInput, 'optedOut' | 'historyEventLimit' | 'channels' | 'quietHours'>>;
  },
): Promise<AppointmentHandle> {
  const appointmentId = `W-${randomBytes(3).toString('hex')}`;
  const input: AppointmentWorkflowInput = {
    practiceId: 'clinic',
    appointmentId,
    optedOut: false,
    channels: [...DELIVERABLE_CHANNELS],
    revision: APPOINTMENT_WORKFLOW_REVISION,
    ...options.input,
    details: {
      startsAt: new Date(options.startsAt).toISOString(),
      timeZone: 'Europe/Rome',
      client: { name: 'Maria Rossi', phone: CLIENT_PHONE, smsConsent: true, emailConsent: false },
      reminders: [
        { before: 'P1D', channel: 'sms' },
        { before: 'PT2H', channel: 'sms' },
      ],
      recipients: 'client',
      remindersEnabled: true,
      ...options.details,
    },
  };
  // As services/appointment-workflows.ts starts it: the workflow relies on what the start shows.
  return client.workflow.start<typeof appointmentWorkflow>(APPOINTMENT_WORKFLOW_TYPE, {
    taskQueue: options.taskQueue,
    workflowId: workflowIdFor('clinic', appointmentId),
    args: [input],
    typedSearchAttributes: startingSearchAttributes(input),
  });
}
