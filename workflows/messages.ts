import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AppointmentDetails, AppointmentView, Channel } from '../domain/appointment';
import type { JournalEntry } from '../domain/appointment-journal';
import type { QuietHours } from '../domain/quiet-hours';
import {
  LIFECYCLE_REJECTION,
  type LifecycleSnapshot,
  type RescheduleRequest,
  type Reply,
  type DeliveryReport,
} from '../domain/appointment-lifecycle';

// The appointment workflow's public messages, defined once and imported by both the
// workflow and its callers (API, webhooks), so names and payloads cannot drift apart.

export const APPOINTMENT_WORKFLOW_TYPE = 'appointmentWorkflow';

/**
 * The workflow code's revision that starts record in their input. Runs started at revision 1
 * or later have every change guarded by patched() so far without asking (no `core_patch`
 * markers in their histories); runs from before keep asking patched(), so their histories
 * replay as recorded. Bump it, and give the change's patched() this number, only for a change
 * that must not apply to runs already under way.
 */
export const APPOINTMENT_WORKFLOW_REVISION = 3;

export interface AppointmentWorkflowInput {
  practiceId: string;
  appointmentId: string;
  details: AppointmentDetails;
  /** The client's number was already opted out for this practice when the appointment was made. */
  optedOut: boolean;
  /** Channels this run sends on; runs started before email existed lack it and send SMS only. */
  channels?: Channel[];
  /** The practice's quiet hours when the appointment was made (null: off); runs from before them lack it. */
  quietHours?: QuietHours | null;
  /** Set by the workflow itself when it continues as new: where the previous run stood. */
  carried?: { lifecycle: LifecycleSnapshot; notifyClientOfCancellation: boolean };
  /** See APPOINTMENT_WORKFLOW_REVISION; absent in runs started before it existed. */
  revision?: number;
  /** History events after which the workflow continues as new (default 2,000); lowered in tests. */
  historyEventLimit?: number;
}

export type { RescheduleRequest };

export interface CancelRequest {
  reason?: string;
  /** Text the client that the appointment is cancelled (when SMS is allowed). */
  notifyClient?: boolean;
}

export type InboundReply = Reply;

export type { DeliveryReport };

export interface RemindRequest {
  channel: Channel;
}

export interface ConfirmRequest {
  /** Who confirmed: staff through the API (the default), or the client through an email's confirm link. */
  via?: 'staff' | 'email';
}

/** Failure types an Update can be rejected with (the lifecycle's own); the API maps them to HTTP statuses. */
export const UPDATE_REJECTION = LIFECYCLE_REJECTION;

export const stateQuery = defineQuery<AppointmentView>('state');
/** The decisions the workflow took, oldest first: half of the appointment log (the message log is the other). */
export const journalQuery = defineQuery<JournalEntry[]>('journal');
export const rescheduleUpdate = defineUpdate<AppointmentView, [RescheduleRequest]>('reschedule');
export const cancelUpdate = defineUpdate<AppointmentView, [CancelRequest]>('cancel');
export const confirmUpdate = defineUpdate<AppointmentView, [ConfirmRequest]>('confirm');
/** Staff send a reminder to the client now (a manual reminder); the answer shows it pending. */
export const remindUpdate = defineUpdate<AppointmentView, [RemindRequest]>('remind');
export const inboundReplySignal = defineSignal<[InboundReply]>('inboundReply');
/** Sent by the status webhooks (through the outbox) when a message's delivery succeeds or fails for good. */
export const deliveryReportSignal = defineSignal<[DeliveryReport]>('deliveryReport');
