// What happens to an outbound message after a provider took it, as Twilio's status callbacks
// and SendGrid's event webhook report it. Reports arrive late, twice or out of order (Twilio
// and SendGrid both say so), so a message's status only ever moves forward along this order:
//
//   queued (accepted, scheduled) < sending < sent, deferred < delivered < read < spam_reported
//                                                           < undelivered, failed
//
// `delivered`, `undelivered` and `failed` end the delivery: after `delivered` only `read` and
// `spam_reported` can still be recorded (they do not undo the delivery), and after a failure
// nothing is. Each status is recorded at most once. The workflow is told of a reminder's
// failure once, when it is first reported (a failure decides a fallback); a delivery decides
// nothing, so the workflow is not told (a signal is a billed action) and the view shows it
// from the message log (`withDeliveries`).

import type { AppointmentView } from './appointment';

/** A message status a provider report can set. */
export type DeliveryStatus =
  | 'accepted'
  | 'scheduled'
  | 'queued'
  | 'sending'
  | 'sent'
  | 'deferred'
  | 'delivered'
  | 'read'
  | 'spam_reported'
  | 'undelivered'
  | 'failed';

export type DeliveryOutcome = 'delivered' | 'failed';

/**
 * Position in the order above. The send activity's own statuses before the provider has the
 * message (`pending`, `retrying`) sit below every report; its `sending` (a call to the
 * provider under way) shares Twilio's word and rank, so a late `queued` adds nothing to it.
 */
const RANK: Record<string, number> = {
  pending: 0,
  retrying: 0,
  accepted: 1,
  scheduled: 1,
  queued: 1,
  sending: 2,
  sent: 3,
  deferred: 3,
  delivered: 4,
  read: 5,
  spam_reported: 6,
  undelivered: 4,
  failed: 4,
};

/** Statuses that mean the message arrived (read and spam reports imply it). */
export const DELIVERED_STATUSES = ['delivered', 'read', 'spam_reported'] as const;
const DELIVERED: ReadonlySet<string> = new Set(DELIVERED_STATUSES);
/** Statuses after which no report changes anything (`too_late`: the activity never sent it). */
const FAILED: ReadonlySet<string> = new Set(['undelivered', 'failed', 'too_late']);

/** What a message's status says about its delivery, or null while it is still under way. */
export function deliveryOutcome(status: string): DeliveryOutcome | null {
  if (DELIVERED.has(status)) return 'delivered';
  if (FAILED.has(status)) return 'failed';
  return null;
}

export interface StatusDecision {
  /** The report moves the message forward: record it (status and history). */
  advances: boolean;
  /** The outcome the workflow is to be told now, or null (not final yet, or told before). */
  outcome: DeliveryOutcome | null;
}

/**
 * Whether a report of `incoming` changes a message whose status is `current`. Never
 * backwards, and a repeat changes nothing. A status this module does not know (none is
 * written today) counts as before the provider, so a report still moves it on.
 */
export function decideStatus(current: string, incoming: DeliveryStatus): StatusDecision {
  if (FAILED.has(current)) return { advances: false, outcome: null };
  const advances = RANK[incoming] > (RANK[current] ?? 0);
  const reached = deliveryOutcome(incoming);
  return { advances, outcome: advances && deliveryOutcome(current) === null ? reached : null };
}

/** One status a message went through, as its row's history keeps it (messages.status_history), oldest first. */
export interface StatusChange {
  status: string;
  /** ISO 8601: when the provider says it happened, else when we recorded it. */
  at: string;
  errorCode: string | null;
}

/** A stored status history; entries of any other shape are left out. */
export function statusHistoryOf(value: unknown): StatusChange[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry: unknown) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return [];
    const { status, at, errorCode } = entry as Record<string, unknown>;
    if (typeof status !== 'string' || typeof at !== 'string') return [];
    return [{ status, at, errorCode: typeof errorCode === 'string' ? errorCode : null }];
  });
}

/** One status report, provider-neutral. */
export interface StatusReport {
  status: DeliveryStatus;
  /** The provider's code: Twilio's ErrorCode, or the SendGrid event (bounce, blocked, dropped, deferred, spamreport). */
  errorCode: string | null;
  /** What happened, worded for practice staff; null when there is nothing to explain. */
  explanation: string | null;
  /** When the provider says it happened, when it says so (SendGrid does; Twilio does not). */
  at: Date | null;
}

const TWILIO_STATUSES: ReadonlySet<string> = new Set([
  'accepted',
  'scheduled',
  'queued',
  'sending',
  'sent',
  'delivered',
  'read',
  'undelivered',
  'failed',
]);

/**
 * A Twilio status callback as a report, or null for a status that says nothing about an
 * outbound message's delivery (canceled, receiving, …). `explainCode` words Twilio's error
 * codes (gateways/twilio-errors.ts); an unknown code is still shown, with where to read it up.
 */
export function fromTwilioCallback(
  fields: { MessageStatus?: string; ErrorCode?: string },
  explainCode: (code: string) => string | undefined,
): StatusReport | null {
  const status = fields.MessageStatus?.trim().toLowerCase() ?? '';
  if (!TWILIO_STATUSES.has(status)) return null;
  const code = fields.ErrorCode?.trim() || null;
  let explanation: string | null = null;
  if (code) {
    explanation =
      explainCode(code) ??
      `The carrier reported error ${code} (https://www.twilio.com/docs/api/errors/${encodeURIComponent(code)}).`;
  } else if (status === 'undelivered') {
    explanation = "The client's carrier could not deliver the message and gave no reason.";
  } else if (status === 'failed') {
    explanation = 'Twilio could not send the message and gave no reason.';
  }
  return { status: status as DeliveryStatus, errorCode: code, explanation, at: null };
}

/** The fields of a SendGrid event this project reads (custom args arrive as top-level fields). */
export interface SendGridEvent {
  event?: unknown;
  timestamp?: unknown;
  sg_message_id?: unknown;
  /** Our message log id, sent as a custom arg. */
  message_id?: unknown;
  reason?: unknown;
  response?: unknown;
  type?: unknown;
  bounce_classification?: unknown;
}

/** The longest provider wording kept in an explanation: mail servers can be verbose. */
const MAX_REASON = 300;

/**
 * A SendGrid event as a report, or null for events that say nothing about delivery (open,
 * click, unsubscribes…). A bounce becomes `undelivered` (one word for "the recipient's side
 * refused it" across channels; the error code says `bounce` or `blocked`), a drop `failed`
 * (SendGrid never tried), a spam report `spam_reported` (after delivery, never undoing it).
 */
export function fromSendGridEvent(event: SendGridEvent): StatusReport | null {
  const at = typeof event.timestamp === 'number' ? new Date(event.timestamp * 1000) : null;
  const reason = providerText(event.reason) ?? providerText(event.response);
  const because = reason ? ` The mail server said: "${reason}"` : '';
  switch (event.event) {
    case 'processed':
      return { status: 'queued', errorCode: null, explanation: null, at };
    case 'delivered':
      return { status: 'delivered', errorCode: null, explanation: null, at };
    case 'deferred':
      return {
        status: 'deferred',
        errorCode: 'deferred',
        explanation:
          "The client's mail server asked to try again later; SendGrid keeps trying for up to 72 hours." + because,
        at,
      };
    case 'bounce': {
      const blocked = event.type === 'blocked';
      const classification = providerText(event.bounce_classification);
      return {
        status: 'undelivered',
        errorCode: blocked ? 'blocked' : 'bounce',
        explanation:
          (blocked
            ? "The client's mail server blocked the email (often a spam filter or the sender's reputation); it will not be retried."
            : "The client's mail server refused the email for good (for example, the address does not exist); SendGrid will not send to this address again.") +
          (classification ? ` SendGrid classifies it as: ${classification}.` : '') +
          because,
        at,
      };
    }
    case 'dropped':
      return { status: 'failed', errorCode: 'dropped', explanation: droppedExplanation(reason), at };
    case 'spamreport':
      return {
        status: 'spam_reported',
        errorCode: 'spamreport',
        explanation:
          'The client marked the email as spam; SendGrid will not email this address again unless it is removed from the spam report list.',
        at,
      };
    default:
      return null;
  }
}

/** SendGrid's drop reasons, in staff's words; others are shown as SendGrid words them. */
const DROP_REASONS: Record<string, string> = {
  'Bounced Address': 'the address bounced an earlier email',
  'Unsubscribed Address': 'the client unsubscribed from these emails',
  'Spam Reporting Address': 'the client reported an earlier email as spam',
  Invalid: 'the address is not a valid email address',
  'Invalid SMTPAPI header': 'the request to SendGrid was malformed',
};

function droppedExplanation(reason: string | null): string {
  const worded = reason ? (DROP_REASONS[reason] ?? `SendGrid said: "${reason}"`) : 'SendGrid gave no reason';
  return `SendGrid did not send the email: ${worded}.`;
}

function providerText(value: unknown): string | null {
  if (typeof value !== 'string' || value.trim() === '') return null;
  const text = value.trim();
  return text.length > MAX_REASON ? `${text.slice(0, MAX_REASON)}…` : text;
}

/**
 * The workflow's view with each sent reminder that its message's status reports delivered
 * shown as `delivered`. `statuses` maps message ids to their status in the message log.
 */
export function withDeliveries(view: AppointmentView, statuses: ReadonlyMap<string, string>): AppointmentView {
  const delivered = (messageId: string | null): boolean => {
    const status = messageId === null ? undefined : statuses.get(messageId);
    return status !== undefined && deliveryOutcome(status) === 'delivered';
  };
  if (!view.reminders.some((r) => r.state === 'sent' && delivered(r.messageId))) return view;
  return {
    ...view,
    reminders: view.reminders.map((r) =>
      r.state === 'sent' && delivered(r.messageId) ? { ...r, state: 'delivered' } : r,
    ),
  };
}
