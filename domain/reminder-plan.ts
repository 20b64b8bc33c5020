import { DateTime, Duration } from 'luxon';
import type { AppointmentDetails, Channel, RecipientRole, Recipients, Reminder, ReminderReason } from './appointment';
import { applyQuietHours, type QuietHours } from './quiet-hours';

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
  /** The practice's quiet hours; absent or null: none, as in runs planned before they existed. */
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

function recipientRoles(recipients: Recipients): RecipientRole[] {
  if (recipients === 'both') return ['client', 'practitioner'];
  return [recipients];
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
  /** The rule's own time (start minus `before`), in epoch milliseconds. */
  ruleAt: number;
  /** Quiet hours changed its sendAt. */
  moved: boolean;
}

/**
 * One reminder per (rule, recipient). A reminder whose time has already passed is sent
 * right away, but only the latest such one per recipient and channel: creating an
 * appointment two hours ahead should produce one text, not a burst of "1 day before" and
 * "2 hours before" at once. Quiet hours then move what is still pending (after that rule, so
 * it compares rule times, and so that the reminder sent "now" is not sent into the night),
 * and the same reasoning keeps one of the reminders they move onto the same minute.
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
    for (const role of recipientRoles(rule.recipients ?? details.recipients)) {
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
        ruleAt: sendAt.toMillis(),
        moved: false,
      });
    }
  }

  for (const group of groupsOf(candidates, (c) => (c.ruleAt < now.toMillis() ? channelOf(c) : null))) {
    keepLatestRule(group, 'past_due');
  }
  if (options.quietHours) {
    moveOutOfQuietHours(candidates, details.timeZone, start.toJSDate(), options.now, options.quietHours);
    for (const group of groupsOf(candidates, (c) => `${channelOf(c)}@${c.reminder.sendAt}`)) {
      if (group.some((c) => c.moved)) keepLatestRule(group, 'quiet_hours_passed');
    }
  }

  return candidates
    .map((candidate) => candidate.reminder)
    .sort((a, b) => a.sendAt.localeCompare(b.sendAt))
    .map((reminder, index) => ({ id: `r${options.firstSeq + index}`, ...reminder }));
}

/** A recipient's channel: where a burst of reminders would land. */
function channelOf(candidate: Candidate): string {
  return `${candidate.reminder.recipient}/${candidate.reminder.channel}`;
}

/** The pending candidates that share a key, in groups of more than one; a null key stands alone. */
function groupsOf(candidates: Candidate[], key: (candidate: Candidate) => string | null): Candidate[][] {
  const groups = new Map<string, Candidate[]>();
  for (const candidate of candidates) {
    const k = candidate.reminder.state === 'pending' ? key(candidate) : null;
    if (k !== null) groups.set(k, [...(groups.get(k) ?? []), candidate]);
  }
  return [...groups.values()].filter((group) => group.length > 1);
}

/** Only the latest rule stays pending (the first of equals); the others are skipped with `reason`. */
function keepLatestRule(group: Candidate[], reason: ReminderReason): void {
  const kept = group.reduce((latest, candidate) => (candidate.ruleAt > latest.ruleAt ? candidate : latest));
  for (const candidate of group) {
    if (candidate === kept) continue;
    candidate.reminder.state = 'skipped';
    candidate.reminder.reason = reason;
  }
}

/** The appointment's start is the deadline: a reminder quiet hours would push past it is skipped. */
function moveOutOfQuietHours(
  candidates: Candidate[],
  timeZone: string,
  deadline: Date,
  now: Date,
  quietHours: QuietHours,
): void {
  for (const candidate of candidates) {
    const { reminder } = candidate;
    if (reminder.state !== 'pending') continue;
    const decision = applyQuietHours(new Date(reminder.sendAt), { quietHours, timeZone, now, deadline });
    if ('skipped' in decision) {
      reminder.state = 'skipped';
      reminder.reason = decision.skipped;
    } else if (decision.sendAt.toISOString() !== reminder.sendAt) {
      reminder.sendAt = decision.sendAt.toISOString();
      candidate.moved = true;
    }
  }
}
