import type { Sinks } from '@temporalio/workflow';
import type { JournalEntry } from '../domain/appointment-journal';
import type {
  AppointmentStatus,
  AppointmentView,
  Channel,
  Confirmation,
  RecipientRole,
  ReminderReason,
} from '../domain/appointment';

// Activity inputs, results and failure types. Kept free of runtime imports because the
// workflow bundle includes this file (the activities themselves stay out of it).

/**
 * Start-to-close timeout of one sendSms attempt (the workflow's proxyActivities uses it).
 * An attempt makes at most three gateway calls (two message-list reads to reconcile, one
 * create), each ended by the gateway's own timeout, plus a few database writes; the
 * activity starts a create only with a whole gateway timeout left, so an attempt is always
 * over before Temporal starts its retry. test/unit/sms-timeouts.test.ts guards the sizes.
 */
export const SMS_SEND_ATTEMPT_TIMEOUT_MS = 60_000;

/**
 * Heartbeat timeout of a sendSms attempt: a worker that died mid-send is noticed after this,
 * not after the whole start-to-close, so a reminder due shortly before its appointment still
 * goes out. The server may also declare it for a live attempt whose heartbeats do not get
 * through, so the activity starts a create only with a whole gateway timeout left of this
 * span too (counted from the attempt's start, which starts the server's heartbeat clock).
 */
export const SMS_SEND_HEARTBEAT_TIMEOUT_MS = 30_000;

/** How long before the due instant a waiting send heartbeats to hear of a stop. */
export const FINAL_LOOK_MS = 1_500;

/**
 * What a send is for; the message log shows it. A fallback is a reminder sent on another
 * channel after its SMS failed; a custom message is one the practice wrote (POST /v1/messages).
 */
export type MessagePurpose = 'reminder' | 'fallback' | 'cancellation' | 'custom';

/** The input of sendSms and sendEmail: one send path, the activity's name says the channel. */
export interface SendMessageInput {
  practiceId: string;
  /** The practice system's appointment id; null for a custom message linked to none. */
  appointmentId: string | null;
  workflowId: string;
  /**
   * Stable per (workflow, message): a retried or replayed attempt finds its earlier send.
   * Calling again with the same key and changed details (a reschedule, a new number) sends
   * the new text, unless an earlier attempt's text had already gone out.
   */
  idempotencyKey: string;
  /** A phone number (sendSms) or an email address (sendEmail). */
  to: string;
  purpose: MessagePurpose;
  recipient: RecipientRole;
  /** The workflow's reminder (r1, r2…) for reminders and fallbacks; absent in histories from before it was kept. */
  reminderId?: string;
  /**
   * A custom message's own text (and an email's subject), sent as written instead of a
   * composed one. Its row was created by the API, status `scheduled`, under this key.
   */
  custom?: { text: string; subject: string | null };
  /** Null for a custom message linked to no appointment. */
  appointment: MessageAppointment | null;
  /**
   * The appointment's status moves from `from` to `to` once this message is sent: the send
   * writes the workflow's projection with the message, which spares the workflow an activity
   * (a billed action) of its own. Absent: the send leaves the appointment as it is.
   */
  statusOnSent?: { from: AppointmentStatus; to: AppointmentStatus };
  /**
   * ISO 8601: the instant the message is due. A send handed over ahead of it (domain/hand-over.ts)
   * prepares everything and calls the gateway at this instant. Absent: at once.
   */
  notBefore?: string;
}

/** The appointment a message is about, as its texts name it. */
export interface MessageAppointment {
  clientName: string;
  practitionerName: string | null;
  startsAt: string;
  timeZone: string;
  location: string | null;
  /** The client's BCP 47 locale; absent or null: the practice's (histories from before it was kept have none). */
  clientLocale?: string | null;
}

export type SendResult =
  | { outcome: 'sent'; messageId: string; providerId: string }
  /** The number is opted out for this practice (a STOP reached us before the workflow heard of it). */
  | { outcome: 'opted_out' }
  /** The appointment had started by the time the gateway would have been called: nothing was sent. */
  | { outcome: 'too_late' }
  /**
   * SMS only: the practice's monthly SMS budget had no room for this message, so nothing was
   * sent (its row is `not_sent`, error code CREDIT_EXHAUSTED). A retry answers the same.
   */
  | { outcome: 'credit_exhausted' };

export interface SettleUnknownSendInput {
  idempotencyKey: string;
}

/** What a send whose outcome was unknown turned out to be, as far as the provider says. */
export type SettleUnknownSendResult =
  { outcome: 'sent'; messageId: string; providerId: string } | { outcome: 'not_sent' };

/**
 * `ApplicationFailure.type` of a send the gateway refused for good, per channel; details[0]
 * is a SendRejection. The SMS name predates email and is in recorded histories.
 */
export const SEND_REJECTED: Record<Channel, string> = { sms: 'SmsRejected', email: 'EmailRejected' };

export interface SendRejection {
  code: string;
  reason: ReminderReason;
  explanation: string;
  messageId: string;
}

/** The end of a custom message that no provider took, for its row (the workflow decided it). */
export interface RecordCustomMessageEndInput {
  messageId: string;
  status: 'cancelled' | 'skipped' | 'failed';
  errorCode: string | null;
  explanation: string | null;
}

export interface RecordAppointmentInput {
  workflowId: string;
  status: AppointmentStatus;
  startsAt: string;
  timeZone: string;
  clientPhone: string | null;
  clientEmail: string | null;
  /** The confirmation that stands (the reports count it); absent in histories from before it was kept. */
  confirmation?: Confirmation | null;
}

export interface RecordFinalViewInput {
  workflowId: string;
  view: AppointmentView;
  /** The decisions for the appointment log; absent in histories from before it was kept. */
  journal?: JournalEntry[];
  /** The projection as the workflow ended, when it changed since last recorded: one write, one activity. */
  projection?: Omit<RecordAppointmentInput, 'workflowId'>;
}

/**
 * How the appointment workflow's decisions leave its sandbox to be counted: each journal
 * entry as it is recorded (activities/workflow-metrics.ts counts them; not during replay).
 */
export interface MetricsSinks extends Sinks {
  metrics: { decided(entry: JournalEntry): void };
}
