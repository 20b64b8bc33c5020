import { Duration } from 'luxon';
import { initials } from '../lib/mask';
import type { AppointmentView, Channel, RecipientRole, Reminder } from './appointment';
import { REASON_WORDS } from './appointment-log';
import type { CustomMessageStatus } from './custom-message-status';
import { formatAppointmentTime as when } from './date-format';

// What staff read in the Temporal UI: the one-line summary of each workflow (fixed at start),
// a summary on every timer and activity, and the current details (markdown, kept up to date
// by the workflow). Contact details never appear: the client is named by initials only.

export interface AppointmentSummaryFacts {
  practiceId: string;
  practiceName: string;
  appointmentId: string;
  startsAt: string;
  timeZone: string;
  clientName: string;
}

const CHANNEL_WORDS: Record<Channel, string> = { sms: 'SMS', email: 'email' };

const UNITS = ['years', 'months', 'weeks', 'days', 'hours', 'minutes', 'seconds'] as const;

/** "P1D" → "1 day", "PT1H30M" → "1 hour 30 minutes": the rule as a practice wrote it. */
export function describeBefore(before: string): string {
  const parts = Duration.fromISO(before).toObject();
  const words = UNITS.filter((unit) => (parts[unit] ?? 0) > 0).map((unit) => {
    const count = parts[unit]!;
    return `${count} ${count === 1 ? unit.slice(0, -1) : unit}`;
  });
  return words.length === 0 ? 'at once' : words.join(' ');
}

/** Markdown lines kept together (a hard break each): the UI shows the details in a small panel. */
function markdownLines(lines: string[]): string {
  return lines.join('  \n');
}

/** "Studio Bianchi · A-1001 · Tue 1 Dec at 09:30 (Europe/Rome) · client M. R." */
export function appointmentWorkflowSummary(facts: AppointmentSummaryFacts): string {
  return [
    facts.practiceName,
    facts.appointmentId,
    `${when(facts.startsAt, facts.timeZone)} (${facts.timeZone})`,
    `client ${initials(facts.clientName) || '?'}`,
  ].join(' · ');
}

/** What the appointment was booked with; the current details say what it is now. */
export function appointmentWorkflowDetails(
  facts: AppointmentSummaryFacts & { reminders: { before: string; channel: Channel }[] },
): string {
  const plan = facts.reminders.map((r) => `${CHANNEL_WORDS[r.channel]} ${describeBefore(r.before)} before`);
  return markdownLines([
    `**Practice:** ${facts.practiceName} (\`${facts.practiceId}\`)`,
    `**Appointment:** ${facts.appointmentId}, booked for ${when(facts.startsAt, facts.timeZone)} (${facts.timeZone})`,
    `**Client:** ${initials(facts.clientName) || '?'}`,
    `**Reminders booked:** ${plan.length > 0 ? plan.join(', ') : 'none'}`,
  ]);
}

/** "reminder r1: 1 day before, SMS to client"; "fallback r1: email to client"; "reminder r3: asked for by staff, …". */
export function reminderLabel(reminder: Reminder): string {
  const route = `${CHANNEL_WORDS[reminder.channel]} to ${reminder.recipient}`;
  if (reminder.fallbackFrom)
    return `fallback ${reminder.id}: ${route} (the ${CHANNEL_WORDS[reminder.fallbackFrom]} failed)`;
  if (reminder.manual) return `reminder ${reminder.id}: asked for by staff, ${route}`;
  return `reminder ${reminder.id}: ${describeBefore(reminder.before)} before, ${route}`;
}

/** The summary of the timer the workflow sleeps on: the reminder it waits for, or the start. */
export function waitSummary(due: Reminder | null, current: Pick<AppointmentView, 'startsAt' | 'timeZone'>): string {
  if (due) return `${reminderLabel(due)}, due ${when(due.sendAt, current.timeZone)}`;
  return `appointment starts ${when(current.startsAt, current.timeZone)}: no reminder left before it`;
}

export const ACTIVITY_SUMMARIES = {
  recordStatus: (status: string) => `recording status ${status}`,
  recordFinalView: (status: string) => `recording the final view (${status})`,
  settleUnknown: (label: string) => `asking the provider whether ${label} went out`,
  cancellationNotice: (channel: Channel) => `cancellation notice: ${CHANNEL_WORDS[channel]} to client`,
};

/** Where the appointment stands, in markdown, for the current details. */
export function appointmentCurrentDetails(current: AppointmentView, ended: boolean): string {
  const { timeZone } = current;
  const lines = [
    `**Status:** \`${current.status}\`${ended ? ' (ended)' : ''}, starts ${when(current.startsAt, timeZone)} (${timeZone})`,
  ];
  const pending = current.reminders
    .filter((r) => r.state === 'pending')
    .sort((a, b) => a.sendAt.localeCompare(b.sendAt))[0];
  if (!ended) {
    lines.push(
      `**Next:** ${pending ? `${reminderLabel(pending)}, at ${when(pending.sendAt, timeZone)}` : 'none before the start'}`,
    );
  }
  const settled = current.reminders.filter((r) => r.state !== 'pending' && r.state !== 'cancelled');
  const last = settled.sort((a, b) => a.sendAt.localeCompare(b.sendAt)).at(-1);
  if (last) lines.push(`**Last outcome:** ${reminderLabel(last)}: ${outcome(last)}`);
  if (current.confirmation) {
    lines.push(
      `**Confirmed:** by ${CONFIRMED_BY[current.confirmation.via]}, ${when(current.confirmation.at, timeZone)}`,
    );
  }
  if (current.cancellation) {
    const reason = current.cancellation.reason ? `: ${current.cancellation.reason}` : '';
    lines.push(`**Cancelled:** ${when(current.cancellation.at, timeZone)}${reason}`);
  }
  const reminders = current.reminders.map(
    (r) => `${r.id} ${CHANNEL_WORDS[r.channel]} to ${r.recipient}: ${r.state}${r.reason ? ` (${r.reason})` : ''}`,
  );
  if (reminders.length > 0) lines.push(`**Reminders:** ${reminders.join(' · ')}`);
  return markdownLines(lines);
}

const CONFIRMED_BY: Record<NonNullable<AppointmentView['confirmation']>['via'], string> = {
  sms: 'the client (text reply)',
  email: "the client (the email's confirm link)",
  staff: 'staff',
};

function outcome(reminder: Reminder): string {
  return reminder.reason ? `${reminder.state}, ${REASON_WORDS[reminder.reason]}` : reminder.state;
}

export interface CustomMessageSummaryFacts {
  practiceId: string;
  practiceName: string;
  channel: Channel;
  recipient: RecipientRole;
  scheduledFor: string;
  timeZone: string;
  appointmentId: string | null;
}

function customLabel(facts: Pick<CustomMessageSummaryFacts, 'channel' | 'recipient'>): string {
  return `custom ${CHANNEL_WORDS[facts.channel]} to ${facts.recipient}`;
}

/** "Studio Bianchi · custom SMS to client · due Tue 1 Dec at 09:30 (Europe/Rome) · appointment A-1001" */
export function customMessageWorkflowSummary(facts: CustomMessageSummaryFacts): string {
  return [
    facts.practiceName,
    customLabel(facts),
    `due ${when(facts.scheduledFor, facts.timeZone)} (${facts.timeZone})`,
    ...(facts.appointmentId ? [`appointment ${facts.appointmentId}`] : []),
  ].join(' · ');
}

export const CUSTOM_MESSAGE_SUMMARIES = {
  wait: (facts: Pick<CustomMessageSummaryFacts, 'channel' | 'recipient' | 'scheduledFor' | 'timeZone'>) =>
    `${customLabel(facts)}, due ${when(facts.scheduledFor, facts.timeZone)}`,
  send: customLabel,
  settleUnknown: (facts: Pick<CustomMessageSummaryFacts, 'channel' | 'recipient'>) =>
    `asking the provider whether the ${customLabel(facts)} went out`,
  recordEnd: (status: string) => `recording the end (${status})`,
};

/** Where the custom message stands, in markdown. */
export function customMessageCurrentDetails(
  facts: Pick<CustomMessageSummaryFacts, 'channel' | 'recipient' | 'scheduledFor' | 'timeZone'>,
  status: CustomMessageStatus,
  reason: Reminder['reason'],
): string {
  return markdownLines([
    `**Status:** \`${status}\`${reason ? `, ${REASON_WORDS[reason]}` : ''}`,
    `**Message:** ${customLabel(facts)}, due ${when(facts.scheduledFor, facts.timeZone)} (${facts.timeZone})`,
  ]);
}
