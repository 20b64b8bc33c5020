import type { AppointmentStatus, Confirmation, ReminderReason } from './appointment';
import type { JournalActor, JournalEntry } from './appointment-journal';
import type { StatusChange } from './delivery-status';
import { formatAppointmentTime } from './date-format';

// The appointment log staff read when a client says "I got nothing": the workflow's journal
// (what it decided) merged with the message log (what was transmitted and what the providers
// said of it), in time order and in words. Nothing here is stored: both halves already are.

export type AppointmentLogEvent =
  | JournalEntry['event']
  | 'reminder_sent'
  | 'fallback_sent'
  | 'notice_sent'
  | 'reminder_delivered'
  | 'reminder_failed'
  | 'reply_received'
  | 'reply_sent'
  | 'message_scheduled'
  | 'message_sent'
  | 'message_cancelled'
  | 'message_not_sent'
  | 'message_delivered'
  | 'message_failed';

export interface AppointmentLogEntry {
  at: string;
  event: AppointmentLogEvent;
  /** A reply from the practitioner's number is theirs. */
  actor: JournalActor | 'practitioner';
  detail: string;
  /** The reminder (r1…) or message the entry is about, when there is one. */
  reminderId: string | null;
  messageId: string | null;
}

/** A message-log row as the appointment log reads it. */
export interface LoggedMessage {
  id: string;
  direction: string;
  channel: string;
  purpose: string | null;
  recipient: string | null;
  reminderId: string | null;
  keyword: string | null;
  needsReview: boolean;
  body: string;
  /** MMS pictures and files a reply came with. */
  mediaUrls: string[];
  createdAt: Date;
  sentAt: Date | null;
  errorMessage: string | null;
  statusHistory: StatusChange[];
  /** Custom messages: when it was to go out. */
  scheduledFor?: Date | null;
}

/** Each reason a reminder did not go out, as staff read it. */
export const REASON_WORDS: Record<ReminderReason, string> = {
  no_consent: 'the client has not consented to this channel',
  no_contact: 'no phone number or email address for this channel',
  opted_out: 'the client opted out of texts (STOP)',
  confirmed: 'the appointment was already confirmed',
  disabled: 'reminders are switched off for this appointment',
  past_due: 'its time had passed (a later reminder went instead, or the appointment started)',
  too_late: 'the appointment had already started when it was due',
  channel_unavailable: 'this channel was not available when the appointment was made',
  rescheduled: 'the appointment was moved',
  appointment_cancelled: 'the appointment was cancelled',
  invalid_number: 'the phone number is not valid',
  not_mobile: 'the phone number is not a mobile number',
  unsubscribed: 'the client unsubscribed from texts at the carrier (replied STOP)',
  rejected: 'the provider refused the message',
  gateway_unavailable: 'the provider could not be reached before the appointment',
  quiet_hours_passed: 'quiet hours left no time to send it before the appointment',
  credit_exhausted: "the practice's monthly text budget was used up",
  undelivered: 'the provider could not deliver it',
  outcome_unknown: 'the provider may have taken it and cannot be asked, so it was not sent again',
};

const STATUS_WORDS: Record<AppointmentStatus, string> = {
  scheduled: 'nothing was sent',
  awaiting_confirmation: 'reminded, awaiting confirmation',
  confirmed: 'confirmed',
  cancelled: 'cancelled',
  opted_out: 'the client opted out of texts',
  unconfirmed: 'the appointment started unconfirmed',
  failed: 'no reminder reached the client',
};

const VIA_WORDS: Record<Confirmation['via'], string> = {
  sms: 'Confirmed via text',
  email: "Confirmed via the email's confirm link",
  staff: 'Confirmed by staff',
};

/** Provider statuses that mean it took the message (the first of them is when it was sent). */
const FAILED_STATUSES = new Set(['undelivered', 'failed', 'bounced', 'dropped']);
const NOT_SENT_STATUSES = new Set([
  'failed',
  'too_late',
  'not_sent',
  'pending',
  'sending',
  'retrying',
  'cancelled',
  'skipped',
]);
/** A custom message's ends without a provider (the row's errorMessage says why, when there is a why). */
const CUSTOM_UNSENT_EVENTS: Record<string, AppointmentLogEvent> = {
  cancelled: 'message_cancelled',
  skipped: 'message_not_sent',
  too_late: 'message_not_sent',
};

function what(channel: string, recipient: string | null, kind = 'reminder'): string {
  return `${channel === 'email' ? 'email' : 'text'} ${kind} to ${recipient ?? 'client'}`;
}

function attachments(urls: string[]): string {
  return `${urls.length === 1 ? 'an attachment' : `${urls.length} attachments`}: ${urls.join(' ')}`;
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function journalDetail(entry: JournalEntry, timeZone: string): string {
  const when = (iso: string, zone = timeZone) => formatAppointmentTime(iso, zone);
  switch (entry.event) {
    case 'created':
      return `Appointment created for ${when(entry.startsAt, entry.timeZone)}`;
    case 'reminder_planned':
      return `${capitalised(what(entry.channel, entry.recipient))} planned for ${when(entry.sendAt)}`;
    case 'manual_reminder_requested':
      return `Staff asked for a ${what(entry.channel, entry.recipient)} now`;
    case 'reminder_skipped':
      return `${capitalised(what(entry.channel, entry.recipient))} not sent: ${entry.reason ? REASON_WORDS[entry.reason] : 'not needed'}`;
    case 'reminder_failed':
      return `${capitalised(what(entry.channel, entry.recipient))} failed: ${REASON_WORDS[entry.reason]}`;
    case 'confirmed':
      return VIA_WORDS[entry.via];
    case 'opted_out':
      if (entry.cause === 'reply') return `Client texted ${entry.keyword ?? 'STOP'}: no more texts`;
      if (entry.cause === 'gateway') return "The client's number is opted out: no more texts";
      return "The client's new number had opted out: no more texts";
    case 'opted_in':
      return entry.keyword ? `Client texted ${entry.keyword}: texts resume` : "The client's number may be texted again";
    case 'rescheduled':
      return `Rescheduled from ${when(entry.from)} to ${when(entry.startsAt, entry.timeZone)}`;
    case 'contact_changed':
      return `Contact details changed: ${entry.fields.join(', ')}`;
    case 'cancelled':
      return entry.note ? `Cancelled: ${entry.note}` : 'Cancelled';
    case 'ended':
      return `Ended: ${STATUS_WORDS[entry.status]}`;
  }
}

function fromJournal(entry: JournalEntry, timeZone: string): AppointmentLogEntry {
  return {
    at: entry.at,
    event: entry.event,
    actor: entry.actor,
    detail: journalDetail(entry, timeZone),
    reminderId: 'reminderId' in entry ? entry.reminderId : null,
    messageId: null,
  };
}

function fromMessage(message: LoggedMessage, timeZone: string): AppointmentLogEntry[] {
  const base = { reminderId: message.reminderId, messageId: message.id };
  const who = message.recipient === 'practitioner' ? 'practitioner' : 'client';
  if (message.direction === 'inbound') {
    const said = message.keyword ? message.keyword : `"${message.body}"`;
    const media = message.mediaUrls.length > 0 ? ` with ${attachments(message.mediaUrls)}` : '';
    return [
      {
        ...base,
        at: message.createdAt.toISOString(),
        event: 'reply_received',
        actor: who,
        detail: `${capitalised(who)} replied ${said}${media}${message.needsReview ? ' (needs review by staff)' : ''}`,
      },
    ];
  }
  if (message.purpose === 'reply') {
    // Sent by Twilio as the webhook's answer: no delivery reports follow.
    return [
      {
        ...base,
        at: message.createdAt.toISOString(),
        event: 'reply_sent',
        actor: 'system',
        detail: `Answered the ${who}: "${message.body}"`,
      },
    ];
  }
  if (message.purpose === 'custom') return fromCustomMessage(message, timeZone);
  const kind = message.purpose === 'cancellation' ? 'cancellation notice' : 'reminder';
  const subject = what(message.channel, message.recipient, kind);
  const entries: AppointmentLogEntry[] = [];
  const accepted = message.statusHistory.find((change) => !NOT_SENT_STATUSES.has(change.status));
  if (accepted) {
    const event =
      message.purpose === 'fallback' ? 'fallback_sent' : kind === 'reminder' ? 'reminder_sent' : 'notice_sent';
    const detail =
      event === 'fallback_sent' ? `Sent ${subject} instead, as the text did not reach them` : `Sent ${subject}`;
    entries.push({ ...base, at: accepted.at, event, actor: 'system', detail });
  }
  for (const change of message.statusHistory) {
    const outcome = deliveryOutcome(change, message, subject, Boolean(accepted), REMINDER_OUTCOMES);
    if (outcome) entries.push({ ...base, ...outcome });
  }
  return entries;
}

const REMINDER_OUTCOMES = { delivered: 'reminder_delivered', failed: 'reminder_failed' } as const;
const MESSAGE_OUTCOMES = { delivered: 'message_delivered', failed: 'message_failed' } as const;

/** What a provider's status change says of a message: delivered, or failed (refused when it was never taken); else null. */
function deliveryOutcome(
  change: StatusChange,
  message: LoggedMessage,
  subject: string,
  sent: boolean,
  events: { delivered: AppointmentLogEvent; failed: AppointmentLogEvent },
): Pick<AppointmentLogEntry, 'at' | 'event' | 'actor' | 'detail'> | null {
  if (change.status === 'delivered') {
    return { at: change.at, event: events.delivered, actor: 'system', detail: `Delivered (${subject})` };
  }
  if (!FAILED_STATUSES.has(change.status)) return null;
  const why = message.errorMessage ?? 'the provider gave no reason';
  const code = change.errorCode ? ` [${change.errorCode}]` : '';
  return {
    at: change.at,
    event: events.failed,
    actor: 'system',
    detail: `${capitalised(subject)} ${sent ? 'not delivered' : 'refused'}: ${why}${code}`,
  };
}

/** A message the practice wrote (POST /v1/messages): scheduled, then sent or not, then delivered or not. */
function fromCustomMessage(message: LoggedMessage, timeZone: string): AppointmentLogEntry[] {
  const base = { reminderId: null, messageId: message.id };
  const custom = `custom ${message.channel === 'email' ? 'email' : 'text'} to ${message.recipient ?? 'client'}`;
  const entries: AppointmentLogEntry[] = [];
  const scheduledFor = message.scheduledFor;
  if (scheduledFor && scheduledFor > message.createdAt) {
    entries.push({
      ...base,
      at: message.createdAt.toISOString(),
      event: 'message_scheduled',
      actor: 'practice',
      detail: `${capitalised(custom)} scheduled for ${formatAppointmentTime(scheduledFor.toISOString(), timeZone)}`,
    });
  }
  let sent = false;
  for (const change of message.statusHistory) {
    const unsent = CUSTOM_UNSENT_EVENTS[change.status];
    if (unsent) {
      const why = message.errorMessage ? `: ${message.errorMessage}` : '';
      const detail =
        unsent === 'message_cancelled' ? `${capitalised(custom)} cancelled` : `${capitalised(custom)} not sent${why}`;
      entries.push({
        ...base,
        at: change.at,
        event: unsent,
        actor: unsent === 'message_cancelled' ? 'practice' : 'system',
        detail,
      });
    } else if (!sent && !NOT_SENT_STATUSES.has(change.status)) {
      sent = true;
      entries.push({ ...base, at: change.at, event: 'message_sent', actor: 'system', detail: `Sent ${custom}` });
    }
    const outcome = deliveryOutcome(change, message, custom, sent, MESSAGE_OUTCOMES);
    if (outcome) entries.push({ ...base, ...outcome });
  }
  return entries;
}

/** The whole story, oldest first; entries at the same instant keep journal-before-message order. */
export function composeAppointmentLog(
  journal: JournalEntry[],
  messages: LoggedMessage[],
  timeZone: string,
): AppointmentLogEntry[] {
  const entries = [
    ...journal.map((e) => fromJournal(e, timeZone)),
    ...messages.flatMap((m) => fromMessage(m, timeZone)),
  ];
  return entries
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => a.entry.at.localeCompare(b.entry.at) || a.index - b.index)
    .map(({ entry }) => entry);
}
