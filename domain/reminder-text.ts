import { DateTime } from 'luxon';
import type { RecipientRole } from './appointment';

// The texts clients and practitioners receive. One place, so the template issue can turn
// them into per-practice templates without touching the workflow or the activities.

export interface MessageContext {
  practiceName: string;
  clientName: string;
  practitionerName: string | null;
  startsAt: string;
  timeZone: string;
  location: string | null;
}

/** "Tue 1 Dec at 09:30" in the appointment's own time zone: how every message and page names the time. */
export function formatAppointmentTime(startsAt: string, timeZone: string): string {
  return DateTime.fromISO(startsAt, { zone: timeZone }).setLocale('en-GB').toFormat("ccc d LLL 'at' HH:mm");
}

export function reminderText(context: MessageContext, recipient: RecipientRole): string {
  const when = formatAppointmentTime(context.startsAt, context.timeZone);
  const where = context.location ? `, ${context.location}` : '';
  if (recipient === 'practitioner') {
    return `${context.practiceName}: reminder, ${context.clientName} is booked ${when}${where}.`;
  }
  const firstName = context.clientName.split(/\s+/)[0];
  return (
    `Hi ${firstName}, a reminder from ${context.practiceName}: your appointment is ${when}${where}. ` +
    'Reply C to confirm or STOP to opt out.'
  );
}

export function cancellationText(context: MessageContext): string {
  const when = formatAppointmentTime(context.startsAt, context.timeZone);
  return `${context.practiceName}: your appointment ${when} has been cancelled. Please contact us to book again.`;
}

export function helpText(practiceName: string, helpPhone: string | null): string {
  const call = helpPhone ? ` For help call ${helpPhone}.` : '';
  return `${practiceName} appointment reminders.${call} Reply C to confirm, STOP to opt out, START to opt back in.`;
}
