import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Channel, RecipientRole, ReminderReason } from '../domain/appointment';
import type { CustomMessageStatus } from '../domain/custom-message-status';

// The custom message workflow's public messages, defined once and imported by both the
// workflow and its callers (the API, the worker's repair).

export const CUSTOM_MESSAGE_WORKFLOW_TYPE = 'customMessageWorkflow';

/** `message/<practiceId>/<messageId>`: one workflow per message row, started once. */
export function customMessageWorkflowId(practiceId: string, messageId: string): string {
  return `message/${practiceId}/${messageId}`;
}

export interface CustomMessageWorkflowInput {
  practiceId: string;
  /** The message row, created before the workflow with status `scheduled`; the send finds it by the workflow id. */
  messageId: string;
  channel: Channel;
  to: string;
  recipient: RecipientRole;
  text: string;
  /** Emails only. */
  subject: string | null;
  /** When it goes out (quiet hours already applied). */
  scheduledFor: string;
  /**
   * The linked appointment (the practice system's id) and its start when the message was
   * accepted, which bounds the send's retries; null when unlinked. The send itself checks the
   * appointment's current start.
   */
  appointment: { appointmentId: string; startsAt: string } | null;
  /** The practice's time zone, for the times staff read in the Temporal UI; runs from before lack it. */
  timeZone?: string;
}

/** Where the message stands; the API answers with the message row, which the send keeps current. */
export interface CustomMessageState {
  messageId: string;
  status: CustomMessageStatus;
  scheduledFor: string;
  /** Why it was not sent (`opted_out`, `too_late`, a refusal…), else null. */
  reason: ReminderReason | null;
}

/** Failure type of a cancel refused because the send has begun or ended; the API answers 409. */
export const NOT_CANCELLABLE = 'MessageNotCancellable';

export const customMessageStateQuery = defineQuery<CustomMessageState>('state');
/** Cancels a message that has not started to go out; repeating it answers the same. */
export const cancelCustomMessageUpdate = defineUpdate<CustomMessageState>('cancel');
