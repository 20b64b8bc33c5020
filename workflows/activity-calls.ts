import {
  ActivityCancellationType,
  type ActivityOptions,
  ActivityFailure,
  ApplicationFailure,
  type LocalActivityOptions,
  TimeoutFailure,
  proxyActivities,
  proxyLocalActivities,
} from '@temporalio/workflow';
import { RetryState } from '@temporalio/common';
import type { Activities } from '../activities';
import {
  SEND_REJECTED,
  SMS_SEND_ATTEMPT_TIMEOUT_MS,
  SMS_SEND_HEARTBEAT_TIMEOUT_MS,
  type SendRejection,
} from '../activities/contracts';
import type { ReminderReason } from '../domain/appointment';
import { timeoutExtension } from '../domain/hand-over';
import { FIRST_RETRY_PAUSE_MS, longestRetryPause } from '../domain/send-retries';

// How the workflows call activities: the options of each kind of call, with the summary staff
// read in the Temporal UI on every one, and how a send's failure reads when it is an end the
// workflow records rather than a bug.

// Writing to the database (the appointments projection, a custom message's end) is retried
// for about ten minutes, not forever: a row the database refuses must not keep a workflow
// from the rest of its work (the next change writes it again).
export const RECORDING: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', maximumAttempts: 15 },
};

// Asking the provider about a send that ended unanswered: a few tries over a few minutes.
export const SETTLEMENT: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '10 seconds', backoffCoefficient: 1.5, maximumAttempts: 8 },
};

/**
 * The same writes as local activities: run by the worker inside the workflow task that asks
 * for them, with no activity task for Temporal to schedule, hand out and close, nor a workflow
 * task after it. A write is one short statement, so holding the task for it costs less than
 * the round trips it saves (README, Performance). Retries past the first few seconds wait on
 * Temporal timers rather than hold the workflow task.
 */
export const RECORDING_LOCALLY: LocalActivityOptions = {
  startToCloseTimeout: RECORDING.startToCloseTimeout,
  retry: RECORDING.retry,
  localRetryThreshold: '2 seconds',
};

/** Activities whose every call carries `summary`, the line staff read in the Temporal UI. */
export function activitiesWith(options: ActivityOptions, summary: string) {
  return proxyActivities<Activities>({ ...options, summary });
}

/** The database writes, with `summary`; as local activities where `locally` (workflow revision 3 on). */
export function recordingActivities(summary: string, locally: boolean) {
  return locally
    ? proxyLocalActivities<Activities>({ ...RECORDING_LOCALLY, summary })
    : activitiesWith(RECORDING, summary);
}

/**
 * Gateway sends retry transient failures with backoff until the appointment starts, and no
 * longer. A send the workflow stops (the reminder is no longer wanted, or its details
 * changed) is waited for, so a resend never overlaps the attempt it replaces. Email sends
 * are sized like SMS: one provider call, the same reconciliation before a retry. A send handed
 * over ahead of its instant (`notBefore`, the message's) gets timeouts longer by what its wait
 * exceeds a short hand-over (domain/hand-over.ts).
 */
export function sendActivities(deadlineMs: number, summary: string, notBefore?: string) {
  const extension = timeoutExtension(notBefore ? Date.parse(notBefore) - Date.now() : 0);
  return proxyActivities<Activities>({
    summary,
    startToCloseTimeout: SMS_SEND_ATTEMPT_TIMEOUT_MS + extension,
    // A worker that died mid-send is noticed in 30 s, not 60; the activity starts a create
    // only with a whole gateway call left of that span, so a retry never overlaps it.
    heartbeatTimeout: SMS_SEND_HEARTBEAT_TIMEOUT_MS + extension,
    scheduleToCloseTimeout: Math.max(deadlineMs - Date.now(), 60_000),
    retry: {
      initialInterval: FIRST_RETRY_PAUSE_MS,
      backoffCoefficient: 2,
      maximumInterval: longestRetryPause(deadlineMs - Date.now()),
    },
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
}

/**
 * Whether a recording call ended in failure, its retries spent. A local activity's own failure
 * reaches the workflow as the activity threw it, not wrapped in an ActivityFailure as a
 * scheduled activity's is (temporalio/sdk-core#449); anything else is a bug of the workflow's.
 */
export function recordingFailed(err: unknown): err is ActivityFailure | ApplicationFailure {
  return err instanceof ActivityFailure || err instanceof ApplicationFailure;
}

/** What a failed recording says: the activity's own failure, however it arrived. */
export function recordingFailure(err: ActivityFailure | ApplicationFailure): string {
  return err.cause?.message ?? err.message;
}

export interface SendFailure {
  reason: ReminderReason;
  explanation: string;
  messageId: string | null;
  /** The provider refused it for good (a retry or a later attempt would be refused too). */
  permanent: boolean;
}

/**
 * The ends of a send the workflow records instead of failing: the gateway refused the message
 * for good, or it stayed unreachable until the appointment started. Anything else is a bug.
 */
export function sendFailure(err: unknown): SendFailure | null {
  if (!(err instanceof ActivityFailure)) return null;
  const rejectionTypes: (string | null | undefined)[] = Object.values(SEND_REJECTED);
  if (err.cause instanceof ApplicationFailure && rejectionTypes.includes(err.cause.type)) {
    const rejection = err.cause.details?.[0] as SendRejection | undefined;
    if (rejection) {
      return {
        reason: rejection.reason,
        explanation: rejection.explanation,
        messageId: rejection.messageId,
        permanent: true,
      };
    }
  }
  // An attempt still running at the deadline ends as a TimeoutFailure; attempts that kept
  // failing fast end with the last one's failure and retryState TIMEOUT.
  if (err.cause instanceof TimeoutFailure || err.retryState === RetryState.TIMEOUT) {
    return {
      reason: 'gateway_unavailable',
      explanation: 'the gateway could not be reached in time',
      messageId: null,
      permanent: false,
    };
  }
  return null;
}
