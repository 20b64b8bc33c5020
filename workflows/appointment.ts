import {
  ActivityFailure,
  ApplicationFailure,
  TimeoutFailure,
  allHandlersFinished,
  condition,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { SMS_REJECTED, type SendSmsInput, type SmsRejection } from '../activities/contracts';
import type { AppointmentView, Reminder } from '../domain/appointment';
import { AppointmentLifecycle, LifecycleError } from '../domain/appointment-lifecycle';
import { addressFor } from '../domain/reminder-plan';
import {
  type AppointmentWorkflowInput,
  type CancelRequest,
  cancelUpdate,
  confirmUpdate,
  inboundReplySignal,
  rescheduleUpdate,
  stateQuery,
} from './messages';
import { AppointmentStartsAtKey, AppointmentStatusKey } from './search-attributes';

const { recordAppointment, recordFinalView } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/** Gateway sends retry transient failures with backoff until the appointment starts, and no longer. */
function smsActivities(deadlineMs: number) {
  return proxyActivities<Activities>({
    startToCloseTimeout: '30 seconds',
    scheduleToCloseTimeout: Math.max(deadlineMs - Date.now(), 60_000),
    retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
  });
}

/** One appointment's whole reminder lifecycle, from creation until it starts or is cancelled. */
export async function appointmentWorkflow(input: AppointmentWorkflowInput): Promise<AppointmentView> {
  const { workflowId, runId } = workflowInfo();
  const lifecycle = new AppointmentLifecycle(input.appointmentId, input.details, input.optedOut, new Date());
  const view = (): AppointmentView => lifecycle.view(workflowId, runId);
  let notifyClientOfCancellation = false;

  setHandler(stateQuery, view);
  setHandler(
    confirmUpdate,
    () => asFailure(() => {
      lifecycle.confirm(new Date(), 'staff');
      return view();
    }),
    { validator: () => asFailure(() => lifecycle.checkOpen()) },
  );
  setHandler(
    cancelUpdate,
    (request) => asFailure(() => {
      if (!lifecycle.isCancelled) notifyClientOfCancellation = request.notifyClient ?? false;
      lifecycle.cancel(new Date(), request.reason ?? null);
      return view();
    }),
    {
      validator: (_request: CancelRequest) => {
        if (!lifecycle.isCancelled) asFailure(() => lifecycle.checkOpen());
      },
    },
  );
  setHandler(
    rescheduleUpdate,
    (change) => asFailure(() => {
      lifecycle.reschedule(change, new Date());
      return view();
    }),
    { validator: (change) => asFailure(() => lifecycle.checkReschedule(change, new Date())) },
  );
  setHandler(inboundReplySignal, (reply) => {
    if (reply.intent === 'opt_out') lifecycle.optOut();
    else if (reply.intent === 'opt_in') lifecycle.optIn(new Date());
    else if (!lifecycle.isClosed) lifecycle.confirm(new Date(reply.receivedAt), 'sms');
  });

  let recorded = '';
  // The database row and the search attributes mirror the workflow; they are written when
  // what they show changes, not on every wake-up, to keep histories short.
  async function recordProjection(): Promise<void> {
    const current = view();
    const { client } = lifecycle.appointment;
    const snapshot = JSON.stringify([current.status, current.startsAt, current.timeZone, client.phone, client.email]);
    if (snapshot === recorded) return;
    recorded = snapshot;
    upsertSearchAttributes([
      { key: AppointmentStatusKey, value: current.status },
      { key: AppointmentStartsAtKey, value: new Date(current.startsAt) },
    ]);
    await recordAppointment({
      workflowId,
      status: current.status,
      startsAt: current.startsAt,
      timeZone: current.timeZone,
      clientPhone: client.phone ?? null,
      clientEmail: client.email ?? null,
    });
  }

  async function send(reminder: Reminder): Promise<void> {
    const details = lifecycle.appointment;
    try {
      const result = await smsActivities(lifecycle.startsAtMs).sendSms({
        ...messageInput(reminder.id, 'reminder', reminder.recipient),
        to: addressFor(details, reminder.recipient, 'sms')!,
      });
      if (result.outcome === 'sent') {
        lifecycle.markSent(reminder.id, result.messageId);
      } else {
        lifecycle.markSkipped(reminder.id, 'opted_out');
        lifecycle.optOut();
      }
    } catch (err) {
      const rejection = smsRejection(err);
      if (rejection) lifecycle.markFailed(reminder.id, rejection.reason, rejection.messageId);
      else if (err instanceof ActivityFailure && err.cause instanceof TimeoutFailure) {
        lifecycle.markFailed(reminder.id, 'gateway_unavailable', null);
      } else throw err;
    }
  }

  async function sendCancellationNotice(): Promise<void> {
    const details = lifecycle.appointment;
    if (!lifecycle.clientTextable) return;
    try {
      await smsActivities(Date.now() + 3_600_000).sendSms({
        ...messageInput('cancellation', 'cancellation', 'client'),
        to: details.client.phone!,
      });
    } catch (err) {
      // The appointment is cancelled either way; a refused notice is already in the message log.
      if (!smsRejection(err) && !(err instanceof ActivityFailure && err.cause instanceof TimeoutFailure)) throw err;
    }
  }

  function messageInput(
    key: string,
    purpose: SendSmsInput['purpose'],
    recipient: SendSmsInput['recipient'],
  ): Omit<SendSmsInput, 'to'> {
    const details = lifecycle.appointment;
    return {
      practiceId: input.practiceId,
      appointmentId: input.appointmentId,
      workflowId,
      idempotencyKey: `${workflowId}/${key}`,
      purpose,
      recipient,
      appointment: {
        clientName: details.client.name,
        practitionerName: details.practitioner?.name ?? null,
        startsAt: details.startsAt,
        timeZone: details.timeZone,
        location: details.location ?? null,
      },
    };
  }

  await recordProjection();
  while (!lifecycle.isClosed) {
    const due = lifecycle.nextDue();
    const wakeAt = due ? Date.parse(due.sendAt) : lifecycle.startsAtMs;
    const seen = lifecycle.version;
    const wait = wakeAt - Date.now();
    const changed = wait > 0 && (await condition(() => lifecycle.version !== seen, wait));
    if (!changed) {
      if (!due) lifecycle.end();
      else if (lifecycle.beginSend(due.id)) await send(due);
    }
    await recordProjection();
  }

  if (lifecycle.isCancelled && notifyClientOfCancellation) await sendCancellationNotice();
  await recordProjection();
  // Added after the first histories were recorded: patched() keeps those replaying.
  if (patched('record-final-view')) await recordFinalView({ workflowId, view: view() });
  // Updates accepted just before the end still get their answer.
  await condition(allHandlersFinished);
  return view();
}

/** Rule violations become typed, non-retryable failures the caller of the Update receives. */
function asFailure<T>(action: () => T): T {
  try {
    return action();
  } catch (err) {
    if (err instanceof LifecycleError) throw ApplicationFailure.nonRetryable(err.message, err.type);
    throw err;
  }
}

function smsRejection(err: unknown): SmsRejection | null {
  if (!(err instanceof ActivityFailure) || !(err.cause instanceof ApplicationFailure)) return null;
  if (err.cause.type !== SMS_REJECTED) return null;
  return (err.cause.details?.[0] as SmsRejection | undefined) ?? null;
}
