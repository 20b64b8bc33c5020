import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  log,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { RecordCustomMessageEndInput, SendMessageInput, SendResult } from '../activities/contracts';
import { cancelRefusal, NOT_SENT_WORDS } from '../domain/custom-message-status';
import { CUSTOM_MESSAGE_SUMMARIES, customMessageCurrentDetails } from '../domain/workflow-summaries';
import { activitiesWith, RECORDING, sendActivities, sendFailure, SETTLEMENT } from './activity-calls';
import {
  cancelCustomMessageUpdate,
  customMessageStateQuery,
  NOT_CANCELLABLE,
  type CustomMessageState,
  type CustomMessageWorkflowInput,
} from './custom-message-messages';

// One custom message: sleep until it is due (a cancel wakes it), send it once through the
// same exactly-once activity as reminders, and record how it ended. The message row exists
// before the workflow; the send finds it by the workflow id, its idempotency key.

/** How long an unlinked message keeps retrying a provider that is down; a linked one stops at its appointment's start. */
const UNLINKED_SEND_WINDOW_MS = 24 * 3_600_000;

export async function customMessageWorkflow(input: CustomMessageWorkflowInput): Promise<CustomMessageState> {
  const { workflowId } = workflowInfo();
  const state: CustomMessageState = {
    messageId: input.messageId,
    status: 'scheduled',
    scheduledFor: input.scheduledFor,
    reason: null,
  };
  const view = (): CustomMessageState => ({ ...state });
  // Runs started before summaries existed carry no time zone: their times read in UTC.
  const facts = { ...input, timeZone: input.timeZone ?? 'UTC' };
  const showProgress = (): void => setCurrentDetails(customMessageCurrentDetails(facts, state.status, state.reason));
  showProgress();

  setHandler(customMessageStateQuery, view);
  setHandler(
    cancelCustomMessageUpdate,
    () => {
      if (state.status === 'scheduled') {
        state.status = 'cancelled';
        showProgress();
        log.info('Cancelled before it was due');
      }
      return view();
    },
    {
      // Refused once the send has begun: the answer the caller gets is what happens.
      validator: () => {
        const refusal = cancelRefusal(state.status);
        if (refusal) throw ApplicationFailure.nonRetryable(refusal, NOT_CANCELLABLE, state.status);
      },
    },
  );

  const wait = Date.parse(input.scheduledFor) - Date.now();
  if (wait > 0)
    await condition(() => state.status === 'cancelled', wait, { summary: CUSTOM_MESSAGE_SUMMARIES.wait(facts) });
  if (state.status === 'cancelled') {
    await recordEnd({ status: 'cancelled', errorCode: null, explanation: null });
  } else {
    state.status = 'sending';
    showProgress();
    await send();
  }
  showProgress();
  log.info('Ended', { status: state.status, reason: state.reason });
  await condition(allHandlersFinished);
  return view();

  async function send(): Promise<void> {
    const message: SendMessageInput = {
      practiceId: input.practiceId,
      appointmentId: input.appointment?.appointmentId ?? null,
      workflowId,
      idempotencyKey: workflowId,
      to: input.to,
      purpose: 'custom',
      recipient: input.recipient,
      custom: { text: input.text, subject: input.subject },
      appointment: null,
    };
    const deadlineMs = input.appointment
      ? Date.parse(input.appointment.startsAt)
      : Date.parse(input.scheduledFor) + UNLINKED_SEND_WINDOW_MS;
    try {
      const activities = sendActivities(deadlineMs, CUSTOM_MESSAGE_SUMMARIES.send(facts));
      await settle(await (input.channel === 'sms' ? activities.sendSms(message) : activities.sendEmail(message)));
    } catch (err) {
      const failure = sendFailure(err);
      if (!failure) throw err;
      if (failure.reason === 'gateway_unavailable') {
        if (await sentAfterAll()) return;
        await recordEnd({
          status: 'failed',
          errorCode: 'gateway_unavailable',
          explanation: NOT_SENT_WORDS.gateway_unavailable,
        });
      }
      // A refusal is on the row already (the activity wrote the provider's words).
      state.status = 'failed';
      state.reason = failure.reason;
      log.warn('Not sent', { reason: failure.reason, explanation: failure.explanation });
    }
  }

  async function settle(result: SendResult): Promise<void> {
    if (result.outcome === 'sent') {
      state.status = 'sent';
    } else if (result.outcome === 'too_late') {
      // The activity marked the row: its appointment had started.
      state.status = 'too_late';
      state.reason = 'too_late';
    } else if (result.outcome === 'credit_exhausted') {
      // The activity marked the row (not_sent, CREDIT_EXHAUSTED): the month's SMS budget is spent.
      state.status = 'skipped';
      state.reason = 'credit_exhausted';
      log.warn("Not sent: the practice's monthly SMS budget is used up");
    } else {
      state.status = 'skipped';
      state.reason = 'opted_out';
      await recordEnd({ status: 'skipped', errorCode: 'opted_out', explanation: NOT_SENT_WORDS.opted_out });
    }
  }

  /** A send that ran out of time may still have reached the provider; if it did, it was sent. */
  async function sentAfterAll(): Promise<boolean> {
    try {
      const found = await activitiesWith(SETTLEMENT, CUSTOM_MESSAGE_SUMMARIES.settleUnknown(facts)).settleUnknownSend({
        idempotencyKey: workflowId,
      });
      if (found.outcome !== 'sent') return false;
      state.status = 'sent';
      return true;
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      return false;
    }
  }

  async function recordEnd(end: Omit<RecordCustomMessageEndInput, 'messageId'>): Promise<void> {
    try {
      await activitiesWith(RECORDING, CUSTOM_MESSAGE_SUMMARIES.recordEnd(end.status)).recordCustomMessageEnd({
        messageId: input.messageId,
        ...end,
      });
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      // The workflow's answer stays right; the row says `scheduled` until a cancel repeats it.
      log.error('Could not record the end on the message row', {
        status: end.status,
        error: err.cause?.message ?? err.message,
      });
    }
  }
}
