import { DateTime, Duration } from 'luxon';
import type { AppointmentDetails, Channel, RecipientRole, Reminder, ReminderReason } from './appointment';
import type { QuietHours } from './quiet-hours';

// Reminder planning is a pure function of the appointment, the clock and what the gateways
// can deliver, so the workflow stays thin and replays identically, and the API can use the
// same code to refuse a plan with nothing sendable before a workflow exists.

/** Channels the running build can deliver on (each through its provider, or its simulator). */
export const DELIVERABLE_CHANNELS: readonly Channel[] = ['sms', 'email'];

export interface PlanOptions {
  now: Date;
  /** Sequence number of the first reminder id (`r<seq>`), so ids stay unique across re-plans. */
  firstSeq: number;
  deliverableChannels?: readonly Channel[];
  /** The client's number is opted out of SMS for this practice. */
  optedOut?: boolean;
  /** The practice's quiet hours (absent or null: none, as in runs from before them). */
  quietHours?: QuietHours | null;
}

/** The longest "before" the contract allows; anything longer is refused when the rule is set. */
const MAX_BEFORE_MS = Duration.fromObject({ years: 1 }).toMillis();

/** A reminder rule's duration: positive and at most one year, else null. */
export function parseBefore(before: string): Duration | null {
  const duration = Duration.fromISO(before);
  const ms = duration.toMillis();
  if (!duration.isValid || ms <= 0 || ms > MAX_BEFORE_MS) return null;
  return duration;
}

function recipientRoles(details: AppointmentDetails): RecipientRole[] {
  if (details.recipients === 'both') return ['client', 'practitioner'];
  return [details.recipients];
}

export function addressFor(details: AppointmentDetails, role: RecipientRole, channel: Channel): string | undefined {
  const person = role === 'client' ? details.client : details.practitioner;
  return channel === 'sms' ? person?.phone : person?.email;
}

/**
 * Why a reminder cannot go out now, or null when it may. Evaluated when planning and again
 * right before sending, because consent and contact details can change in between.
 */
export function blockingReason(
  details: AppointmentDetails,
  role: RecipientRole,
  channel: Channel,
  context: { optedOut: boolean; deliverableChannels?: readonly Channel[] },
): ReminderReason | null {
  if (!details.remindersEnabled) return 'disabled';
  if (!(context.deliverableChannels ?? DELIVERABLE_CHANNELS).includes(channel)) return 'channel_unavailable';
  if (!addressFor(details, role, channel)) return 'no_contact';
  if (role === 'client') {
    // Practitioners are staff of the practice; consent and opt-outs are the client's.
    if (channel === 'sms' && !details.client.smsConsent) return 'no_consent';
    if (channel === 'email' && !details.client.emailConsent) return 'no_consent';
    if (channel === 'sms' && context.optedOut) return 'opted_out';
  }
  return null;
}

interface Candidate {
  reminder: Omit<Reminder, 'id'>;
  /** How long ago the rule's time passed, or null when it is still ahead. */
  overdueMs: number | null;
}

/**
 * One reminder per (rule, recipient). A reminder whose time has already passed is sent
 * right away, but only the latest such one per recipient and channel: creating an
 * appointment two hours ahead should produce one text, not a burst of "1 day before" and
 * "2 hours before" at once.
 */
export function planReminders(details: AppointmentDetails, options: PlanOptions): Reminder[] {
  const start = DateTime.fromISO(details.startsAt, { zone: details.timeZone });
  const now = DateTime.fromJSDate(options.now);
  const candidates: Candidate[] = [];

  for (const rule of details.reminders) {
    const before = parseBefore(rule.before);
    if (!before) continue;
    // Calendar arithmetic in the appointment's zone: "1 day before" 09:30 stays 09:30 across DST.
    const sendAt = start.minus(before);
    const overdue = sendAt < now;
    for (const role of recipientRoles(details)) {
      const reason = blockingReason(details, role, rule.channel, {
        optedOut: options.optedOut ?? false,
        deliverableChannels: options.deliverableChannels,
      });
      candidates.push({
        reminder: {
          channel: rule.channel,
          recipient: role,
          before: rule.before,
          sendAt: (overdue ? now : sendAt).toUTC().toISO()!,
          state: reason ? 'skipped' : 'pending',
          messageId: null,
          reason,
          fallbackFrom: null,
        },
        overdueMs: overdue ? now.diff(sendAt).toMillis() : null,
      });
    }
  }

  skipSupersededOverdue(candidates);

  return candidates
    .map((candidate) => candidate.reminder)
    .sort((a, b) => a.sendAt.localeCompare(b.sendAt))
    .map((reminder, index) => ({ id: `r${options.firstSeq + index}`, ...reminder }));
}

function skipSupersededOverdue(candidates: Candidate[]): void {
  const overdue = candidates.filter((c) => c.reminder.state === 'pending' && c.overdueMs !== null);
  const keep = new Map<string, Candidate>();
  for (const candidate of overdue) {
    const key = `${candidate.reminder.recipient}/${candidate.reminder.channel}`;
    const kept = keep.get(key);
    if (!kept || candidate.overdueMs! < kept.overdueMs!) keep.set(key, candidate);
  }
  for (const candidate of overdue) {
    if (keep.get(`${candidate.reminder.recipient}/${candidate.reminder.channel}`) === candidate) continue;
    candidate.reminder.state = 'skipped';
    candidate.reminder.reason = 'past_due';
  }
}
