import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  patched,
  proxySinks,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { RetryState } from '@temporalio/common';
import {
  type MetricsSinks,
  type RecordAppointmentInput,
  type SendMessageInput,
  type SendResult,
} from '../activities/contracts';
import type {
  AppointmentDetails,
  AppointmentStatus,
  AppointmentView,
  Channel,
  Confirmation,
  RecipientRole,
  Reminder,
  ReminderReason,
} from '../domain/appointment';
import { LifecycleError } from '../domain/appointment-lifecycle';
import { addressFor } from '../domain/reminder-plan';
import { handOverLead } from '../domain/hand-over';
import {
  ACTIVITY_SUMMARIES,
  appointmentCurrentDetails,
  reminderLabel,
  waitSummary,
} from '../domain/workflow-summaries';
import {
  type AppointmentWorkflowInput,
  type CancelRequest,
  type ConfirmRequest,
  type RemindRequest,
  type RescheduleRequest,
  APPOINTMENT_WORKFLOW_REVISION,
  cancelUpdate,
  confirmUpdate,
  deliveryReportSignal,
  inboundReplySignal,
  journalQuery,
  remindUpdate,
  rescheduleUpdate,
  stateQuery,
} from './messages';
import {
  activitiesWith,
  recordingActivities,
  recordingFailed,
  recordingFailure,
  sendActivities,
  sendFailure,
  SETTLEMENT,
} from './activity-calls';
import { AppointmentStartsAtKey, AppointmentStatusKey } from './search-attributes';
import { startingLifecycle } from './starting-lifecycle';

const { metrics } = proxySinks<MetricsSinks>();

/**
 * Events after which a run hands its state to a new one. A typical appointment needs under a
 * hundred; only one rescheduled or texted about hundreds of times gets here.
 */
const HISTORY_EVENT_LIMIT = 2_000;

/** One appointment's whole reminder lifecycle, from creation until it starts or is cancelled. */
export async function appointmentWorkflow(input: AppointmentWorkflowInput): Promise<AppointmentView> {
  const { workflowId, runId } = workflowInfo();
  const { carried } = input;
  const lifecycle = startingLifecycle(
    input,
    () => new Date(),
    // Sinks produce no commands: counting changes nothing a history replays.
    (entry) => metrics.decided(entry),
  );
  const view = (): AppointmentView => lifecycle.view(workflowId, runId);
  let notifyClientOfCancellation = carried?.notifyClientOfCancellation ?? false;
  /**
   * Whether a change made while appointments were running applies: always in runs started at
   * its revision or later (their histories carry no patch marker), else as patched() recorded.
   */
  const changed = (patchId: string, revision: number): boolean => (input.revision ?? 0) >= revision || patched(patchId);
  logPlan(carried ? 'Continued from the previous run' : 'Reminders planned', view());

  setHandler(stateQuery, view);
  setHandler(journalQuery, () => lifecycle.decisions);
  setHandler(
    confirmUpdate,
    // Callers from before confirm links sent no request: those were staff.
    (request: ConfirmRequest | undefined) =>
      asFailure(() => {
        const via = request?.via ?? 'staff';
        lifecycle.confirm(new Date(), via);
        log.info(via === 'email' ? "Confirmed through the email's confirm link" : 'Confirmed by staff');
        return view();
      }),
    { validator: (_request: ConfirmRequest | undefined) => asFailure(() => lifecycle.checkOpen()) },
  );
  setHandler(
    cancelUpdate,
    (request) =>
      asFailure(() => {
        if (!lifecycle.isCancelled) notifyClientOfCancellation = request.notifyClient ?? false;
        lifecycle.cancel(new Date(), request.reason ?? null);
        log.info('Cancelled', { reason: request.reason ?? null, notifyClient: notifyClientOfCancellation });
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
    (change) =>
      asFailure(() => {
        lifecycle.reschedule(change, new Date());
        logPlan('Changed; reminders now', view());
        return view();
      }),
    { validator: (change: RescheduleRequest) => asFailure(() => lifecycle.checkReschedule(change, new Date())) },
  );
  setHandler(
    remindUpdate,
    (request) =>
      asFailure(() => {
        const reminder = lifecycle.remindNow(request.channel, new Date());
        log.info('Staff asked for a reminder now', { reminderId: reminder.id, channel: reminder.channel });
        return view();
      }),
    { validator: (request: RemindRequest) => asFailure(() => lifecycle.checkRemind(request.channel, new Date())) },
  );
  setHandler(inboundReplySignal, (reply) => {
    const effect = lifecycle.applyReply(reply, new Date());
    log.info('Reply received', { intent: reply.intent, keyword: reply.keyword, messageId: reply.messageId, effect });
  });
  setHandler(deliveryReportSignal, (report) => {
    const reminder = lifecycle.applyDelivery(report);
    if (!reminder) return;
    log.info(report.outcome === 'delivered' ? 'Reminder delivered' : 'Reminder not delivered', {
      reminderId: reminder.id,
      channel: reminder.channel,
      errorCode: report.errorCode,
      explanation: report.explanation,
    });
    if (reminder.state === 'failed') fallBackIfAllowed(reminder);
  });

  /**
   * A client reminder whose SMS failed goes out by email, once, when the client has an
   * address and consent and the appointment is still ahead; histories from before email
   * keep their failure.
   */
  function fallBackIfAllowed(reminder: Reminder): void {
    const now = new Date();
    if (!lifecycle.canFallBack(reminder.id, now) || !changed('email-fallback', 1)) return;
    lifecycle.fallBack(reminder.id, now);
    log.info('Reminder falls back to email', { reminderId: reminder.id });
  }

  /** The current details staff read in the Temporal UI (no contact details: see domain/workflow-summaries.ts). */
  function showProgress(): void {
    setCurrentDetails(appointmentCurrentDetails(view(), lifecycle.isClosed));
  }

  // The database row and the search attributes mirror the workflow. Each write is a billed
  // action, so they are written when what they show changes, not on every wake-up, and in
  // runs at revision 2 (`lean`) the least often: the start writes both; a send that moves the
  // status (to `awaiting_confirmation`) writes it with its message; the end writes the final
  // view and the projection together; and the search attribute shows `awaiting_confirmation`
  // as `scheduled` (the API, the row and the current details say which).
  const lean = changed('lean-projection', 2);
  /** Reminders are handed to their send before they are due, to go out on time (revision 2; domain/hand-over.ts). */
  const sendAhead = changed('send-ahead', 2);
  /** The projection and the final view are written by local activities (revision 3; workflows/activity-calls.ts). */
  const recordLocally = changed('record-locally', 3);
  let recorded: Projection | null = !carried && lean ? projectionOf('scheduled', input.details) : null;
  let shown: string | null = !carried && lean ? attributesOf('scheduled', input.details.startsAt) : null;

  /** The projection as it stands, written if it changed (with the final view when the run ends). */
  async function recordProjection(final = false): Promise<void> {
    const current = view();
    const projection = projectionOf(current.status, lifecycle.appointment, current.confirmation);
    const attributes = lean ? attributesOf(current.status, current.startsAt) : JSON.stringify(projection);
    const changedProjection = !sameProjection(projection, recorded);
    if (attributes !== shown && (lean || changedProjection)) {
      shown = attributes;
      upsertSearchAttributes([
        { key: AppointmentStatusKey, value: lean ? shownStatus(current.status) : current.status },
        { key: AppointmentStartsAtKey, value: new Date(current.startsAt) },
      ]);
    }
    if (final && lean) return recordFinalView(changedProjection ? projection : undefined);
    if (!changedProjection) return;
    recorded = projection;
    try {
      await recordingActivities(ACTIVITY_SUMMARIES.recordStatus(current.status), recordLocally).recordAppointment({
        workflowId,
        ...projection,
      });
    } catch (err) {
      if (!recordingFailed(err)) throw err;
      // The reminders matter more than the mirror; the next change writes it again.
      recorded = null;
      // Runs from before revision 2 wrote both again after a failed write.
      if (!lean) shown = null;
      log.error('Could not record the appointment in the database', { error: recordingFailure(err) });
    }
  }

  /** The view as the run ends, for when Temporal no longer keeps it (with the projection, if it changed). */
  async function recordFinalView(projection?: Projection): Promise<void> {
    try {
      await recordingActivities(ACTIVITY_SUMMARIES.recordFinalView(view().status), recordLocally).recordFinalView({
        workflowId,
        view: view(),
        journal: lifecycle.decisions,
        ...(projection ? { projection } : {}),
      });
      if (projection) recorded = projection;
    } catch (err) {
      if (!recordingFailed(err)) throw err;
      log.error('Could not record the final view; it is served while Temporal keeps this workflow', {
        error: recordingFailure(err),
      });
    }
  }

  /** The status move a send of this reminder writes with its message, if it moves it. */
  function statusOnSent(reminder: Reminder): SendMessageInput['statusOnSent'] {
    if (!lean || !recorded) return undefined;
    const to = lifecycle.statusIfSent(reminder.id);
    return to === recorded.status ? undefined : { from: recorded.status, to };
  }

  async function send(reminder: Reminder): Promise<void> {
    log.info('Sending reminder', { reminderId: reminder.id, channel: reminder.channel, recipient: reminder.recipient });
    // Histories from before this patch sent once, whatever changed meanwhile.
    const stoppable = changed('stop-superseded-send', 1);
    try {
      for (;;) {
        const result = await sendOnce(reminder, stoppable);
        if (result) return settleSend(reminder, result);
        // Stopped: settled as the change says, or resent with the details as they are now.
        if (!lifecycle.resumeInFlight(reminder.id)) {
          log.info('Reminder stopped while being sent', {
            reminderId: reminder.id,
            reason: reasonOf(view(), reminder.id),
          });
          await settleUnknown(reminder);
          return;
        }
        if (lifecycle.hasStarted(new Date())) return skipTooLate(reminder.id);
        log.info('Reminder details changed while being sent; sending the current ones', { reminderId: reminder.id });
      }
    } catch (err) {
      const failure = sendFailure(err);
      if (!failure) throw err;
      if (failure.reason === 'gateway_unavailable' && (await settleUnknown(reminder))) return;
      lifecycle.markFailed(reminder.id, failure.reason, failure.messageId);
      log.warn('Reminder failed', {
        reminderId: reminder.id,
        channel: reminder.channel,
        reason: failure.reason,
        explanation: failure.explanation,
      });
      if (failure.permanent) fallBackIfAllowed(reminder);
    }
  }

  /**
   * One send of the reminder as it reads now; null when a change made it stale before the
   * gateway took it (the activity is cancelled, retries included, and waited for).
   */
  async function sendOnce(reminder: Reminder, stoppable: boolean): Promise<SendResult | null> {
    const input = reminderInput(reminder);
    const sent = JSON.stringify(input);
    const stale = () => lifecycle.inFlightSuperseded || JSON.stringify(reminderInput(reminder)) !== sent;
    const sending = new CancellationScope();
    const watching = new CancellationScope();
    let stopped = false;
    if (stoppable) {
      watching
        .run(() => condition(stale))
        .then(
          () => {
            stopped = true;
            sending.cancel();
          },
          () => undefined,
        );
    }
    const move = statusOnSent(reminder);
    // Handed over before its due instant (domain/hand-over.ts), the send waits for it.
    const ahead = sendAhead && Date.parse(reminder.sendAt) > Date.now();
    try {
      const result = await sending.run(() =>
        sendOn(
          reminder.channel,
          lifecycle.startsAtMs,
          {
            ...input,
            ...(move ? { statusOnSent: move } : {}),
            ...(ahead ? { notBefore: reminder.sendAt } : {}),
          },
          reminderLabel(reminder),
        ),
      );
      if (move && recorded && result.outcome === 'sent') recorded = { ...recorded, status: move.to };
      return result;
    } catch (err) {
      // Only our own stop; a cancellation of the whole workflow goes on up. An attempt that
      // was running when we stopped it and then failed is not retried (CANCEL_REQUESTED).
      const notRetried = err instanceof ActivityFailure && err.retryState === RetryState.CANCEL_REQUESTED;
      if (stopped && (isCancellation(err) || notRetried)) return null;
      throw err;
    } finally {
      watching.cancel();
    }
  }

  /**
   * A send that ended without an answer (out of time, or stopped mid-attempt) may still have
   * reached the provider; if it did, the reminder was sent, whatever the workflow decided
   * meanwhile. Histories from before this patch keep what they recorded.
   */
  async function settleUnknown(reminder: Reminder): Promise<boolean> {
    if (!changed('settle-unknown-send', 1)) return false;
    try {
      const found = await activitiesWith(
        SETTLEMENT,
        ACTIVITY_SUMMARIES.settleUnknown(reminderLabel(reminder)),
      ).settleUnknownSend({ idempotencyKey: reminderInput(reminder).idempotencyKey });
      if (found.outcome !== 'sent') return false;
      lifecycle.markSent(reminder.id, found.messageId);
      log.warn('Reminder went out although its send never answered: the provider has it', {
        reminderId: reminder.id,
        messageId: found.messageId,
      });
      return true;
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      log.warn('Could not ask the provider about an unanswered send', { reminderId: reminder.id });
      return false;
    }
  }

  /** A fallback is its own message, keyed apart from the SMS it replaces. */
  function reminderInput(reminder: Reminder): SendMessageInput {
    const fallback = reminder.fallbackFrom !== null;
    return {
      ...messageInput(
        fallback ? `${reminder.id}/${reminder.channel}` : reminder.id,
        fallback ? 'fallback' : 'reminder',
        reminder.recipient,
      ),
      reminderId: reminder.id,
      to: addressFor(lifecycle.appointment, reminder.recipient, reminder.channel)!,
    };
  }

  function settleSend(reminder: Reminder, result: SendResult): void {
    if (result.outcome === 'sent') {
      lifecycle.markSent(reminder.id, result.messageId);
      log.info('Reminder sent', { reminderId: reminder.id, messageId: result.messageId });
    } else if (result.outcome === 'too_late') {
      skipTooLate(reminder.id);
    } else if (result.outcome === 'credit_exhausted') {
      lifecycle.markSkipped(reminder.id, 'credit_exhausted');
      log.warn("Reminder not sent: the practice's monthly SMS budget is used up", { reminderId: reminder.id });
      fallBackIfAllowed(reminder);
    } else {
      lifecycle.markSkipped(reminder.id, 'opted_out');
      // A practitioner's opt-out is theirs alone; before this patch it opted the client out too.
      if (reminder.recipient === 'client' || !changed('practitioner-opt-out-is-theirs', 1)) lifecycle.optOut('gateway');
      log.info('Reminder skipped: the number is opted out', { reminderId: reminder.id });
    }
  }

  /** Whichever clock noticed it (the workflow's when the reminder fell due, or the activity's). */
  function skipTooLate(reminderId: string): void {
    lifecycle.markSkipped(reminderId, 'too_late');
    log.info('Reminder skipped: the appointment had started', { reminderId });
  }

  /** By text when the client may get one, else by email (in runs that send email). */
  async function sendCancellationNotice(): Promise<void> {
    const channel = lifecycle.noticeChannel;
    if (!channel) return;
    try {
      const result = await sendOn(
        channel,
        Date.now() + 3_600_000,
        {
          ...messageInput('cancellation', 'cancellation', 'client'),
          to: addressFor(lifecycle.appointment, 'client', channel)!,
        },
        ACTIVITY_SUMMARIES.cancellationNotice(channel),
      );
      if (result.outcome === 'sent') log.info('Cancellation notice sent', { channel });
      else log.warn('Cancellation notice not sent', { channel, outcome: result.outcome });
    } catch (err) {
      // The appointment is cancelled either way; a refused notice is already in the message log.
      const failure = sendFailure(err);
      if (!failure) throw err;
      log.warn('Cancellation notice failed', { reason: failure.reason, explanation: failure.explanation });
    }
  }

  function sendOn(
    channel: Channel,
    deadlineMs: number,
    message: SendMessageInput,
    summary: string,
  ): Promise<SendResult> {
    const activities = sendActivities(deadlineMs, summary, message.notBefore);
    return channel === 'sms' ? activities.sendSms(message) : activities.sendEmail(message);
  }

  function messageInput(
    key: string,
    purpose: SendMessageInput['purpose'],
    recipient: RecipientRole,
  ): Omit<SendMessageInput, 'to'> {
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
        clientLocale: details.client.locale ?? null,
      },
    };
  }

  await recordProjection();
  while (!lifecycle.isClosed) {
    if (historyIsLong(input)) {
      // Between sends, with every Update answered: the next run starts from this state.
      await condition(allHandlersFinished);
      log.info('Continuing as new to keep the history short', { events: workflowInfo().historyLength });
      return continueAsNew<typeof appointmentWorkflow>({
        ...input,
        // The next run starts on today's code: every change so far applies to it.
        revision: APPOINTMENT_WORKFLOW_REVISION,
        carried: { lifecycle: lifecycle.snapshot(), notifyClientOfCancellation },
      });
    }
    const due = lifecycle.nextDue();
    const dueMs = due ? Date.parse(due.sendAt) : null;
    const wakeAt =
      dueMs === null ? lifecycle.startsAtMs : dueMs - (sendAhead ? handOverLead(dueMs, lifecycle.startsAtMs) : 0);
    const seen = lifecycle.version;
    const wait = wakeAt - Date.now();
    showProgress();
    const woken =
      wait > 0 && (await condition(() => lifecycle.version !== seen, wait, { summary: waitSummary(due, view()) }));
    if (!woken) {
      if (!due) lifecycle.end();
      // A timer that fires after the start (the worker was down) sends nothing; histories from
      // before this check keep the send they made.
      else if (lifecycle.hasStarted(new Date()) && changed('no-send-after-start', 1)) skipTooLate(due.id);
      else if (lifecycle.beginSend(due.id)) await send(due);
      else log.info('Reminder skipped when due', { reminderId: due.id, reason: reasonOf(view(), due.id) });
    }
    // A run that just ended writes its projection once, with its final view (below).
    if (!lean || !lifecycle.isClosed) await recordProjection();
  }

  if (lifecycle.isCancelled && notifyClientOfCancellation) await sendCancellationNotice();
  lifecycle.recordEnd();
  log.info('Ended', { status: view().status });
  showProgress();
  if (lean) await recordProjection(true);
  else {
    await recordProjection();
    // Added after the first histories were recorded: patched() keeps those replaying.
    if (changed('record-final-view', 1)) await recordFinalView();
  }
  // Updates accepted just before the end still get their answer.
  await condition(allHandlersFinished);
  return view();
}

/** What the appointments row mirrors of the workflow (activities/appointments.ts writes it). */
type Projection = Omit<RecordAppointmentInput, 'workflowId'>;

function projectionOf(
  status: AppointmentStatus,
  details: AppointmentDetails,
  confirmation: Confirmation | null = null,
): Projection {
  return {
    status,
    startsAt: details.startsAt,
    timeZone: details.timeZone,
    clientPhone: details.client.phone ?? null,
    clientEmail: details.client.email ?? null,
    confirmation,
  };
}

function sameProjection(a: Projection, b: Projection | null): boolean {
  return b !== null && JSON.stringify(a) === JSON.stringify(b);
}

/** `awaiting_confirmation` is progress, not an outcome: not worth an upsert of its own (see `lean`). */
function shownStatus(status: AppointmentStatus): AppointmentStatus {
  return status === 'awaiting_confirmation' ? 'scheduled' : status;
}

function attributesOf(status: AppointmentStatus, startsAt: string): string {
  return JSON.stringify([shownStatus(status), startsAt]);
}

/** Temporal's own suggestion, or the input's lower limit (a long run of reschedules and replies). */
function historyIsLong(input: AppointmentWorkflowInput): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || info.historyLength >= (input.historyEventLimit ?? HISTORY_EVENT_LIMIT);
}

/** The plan in one line per reminder; no contact details, which logs must not carry. */
function logPlan(message: string, current: AppointmentView): void {
  log.info(message, {
    status: current.status,
    startsAt: current.startsAt,
    reminders: current.reminders.map(
      (r) => `${r.id} ${r.channel} to ${r.recipient} at ${r.sendAt}: ${r.state}${r.reason ? ` (${r.reason})` : ''}`,
    ),
  });
}

function reasonOf(current: AppointmentView, reminderId: string): ReminderReason | null {
  return current.reminders.find((r) => r.id === reminderId)?.reason ?? null;
}

/** Rule violations become typed, non-retryable failures the caller of the Update receives. */
function asFailure<T>(action: () => T): T {
  try {
    return action();
  } catch (err) {
    if (err instanceof LifecycleError) throw ApplicationFailure.nonRetryable(err.message, err.type, err.field);
    throw err;
  }
}
