// The vocabulary of an appointment's reminder lifecycle, shared by the workflow, the
// activities and the API. Plain data only: everything here crosses Temporal's payload
// boundary as JSON, so dates are ISO strings.

export type Channel = 'sms' | 'email';
export type Recipients = 'client' | 'practitioner' | 'both';
export type RecipientRole = 'client' | 'practitioner';

export interface ReminderRule {
  /** ISO 8601 duration before the start, e.g. `P1D`, `PT2H`. */
  before: string;
  channel: Channel;
  /** Who gets it (a practice policy's rule); absent: the appointment's `recipients`. */
  recipients?: Recipients;
}

export interface Client {
  name: string;
  phone?: string;
  email?: string;
  smsConsent: boolean;
  emailConsent: boolean;
  /** BCP 47; absent: the practice's locale picks the language and date format. */
  locale?: string;
}

export interface Practitioner {
  name: string;
  phone?: string;
  email?: string;
}

export interface AppointmentDetails {
  /** ISO 8601 with the offset of `timeZone`. */
  startsAt: string;
  timeZone: string;
  location?: string;
  client: Client;
  practitioner?: Practitioner;
  reminders: ReminderRule[];
  recipients: Recipients;
  remindersEnabled: boolean;
}

export type AppointmentStatus =
  'scheduled' | 'awaiting_confirmation' | 'confirmed' | 'cancelled' | 'opted_out' | 'unconfirmed' | 'failed';

export type ReminderState = 'pending' | 'sent' | 'delivered' | 'failed' | 'skipped' | 'cancelled';

/** Why a reminder was skipped, cancelled or failed; `null` while it is pending or once sent. */
export type ReminderReason =
  | 'no_consent'
  | 'no_contact'
  | 'opted_out'
  | 'confirmed'
  | 'disabled'
  | 'past_due'
  | 'too_late'
  | 'channel_unavailable'
  | 'rescheduled'
  | 'appointment_cancelled'
  | 'invalid_number'
  | 'not_mobile'
  | 'unsubscribed'
  | 'rejected'
  | 'gateway_unavailable'
  /** Quiet hours left no time to send it before the appointment. */
  | 'quiet_hours_passed'
  /** The practice's monthly SMS budget was spent (and email was not allowed). */
  | 'credit_exhausted'
  /** The provider took it, and later reported that it could not be delivered. */
  | 'undelivered'
  /** The provider may or may not have taken it, and cannot be asked: not sent again, so never twice. */
  | 'outcome_unknown';

export interface Reminder {
  id: string;
  channel: Channel;
  recipient: RecipientRole;
  /** The rule this reminder came from, kept so a re-plan can tell which rules were served. */
  before: string;
  sendAt: string;
  state: ReminderState;
  /** Our message log id of the send, once sent. */
  messageId: string | null;
  reason: ReminderReason | null;
  /** The channel that failed before this reminder went out on `channel` instead (null: none did). */
  fallbackFrom: Channel | null;
  /** Staff asked for it now (POST …/remind): it goes out even with reminders switched off. */
  manual?: true;
}

export interface Confirmation {
  at: string;
  /** A text reply, the confirm link of an email, or staff on the phone. */
  via: 'sms' | 'email' | 'staff';
}

export interface Cancellation {
  at: string;
  reason: string | null;
}

export interface AppointmentView {
  appointmentId: string;
  status: AppointmentStatus;
  startsAt: string;
  timeZone: string;
  location: string | null;
  /** What the appointment holds now, so an integrator sees what a change did. */
  client: Client;
  practitioner: Practitioner | null;
  recipients: Recipients;
  remindersEnabled: boolean;
  confirmation: Confirmation | null;
  cancellation: Cancellation | null;
  reminders: Reminder[];
  workflowId: string;
  runId: string;
}

export function workflowIdFor(practiceId: string, appointmentId: string): string {
  return `appointment/${practiceId}/${appointmentId}`;
}
