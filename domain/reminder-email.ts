import { html, type Markup } from '../lib/html';
import type { RecipientRole } from './appointment';
import { formatAppointmentTime, type MessageContext } from './reminder-text';

// The emails clients and practitioners receive: the same facts as the texts in
// reminder-text.ts (practice, local date and time, location), with a subject, a plain-text
// body and an HTML body that reads on a phone (one column, inline styles, nothing external).

export interface EmailContent {
  subject: string;
  text: string;
  html: string;
}

const FONT = 'font-family:Helvetica,Arial,sans-serif;font-size:16px;line-height:1.5;color:#1f2933';
const BUTTON =
  'display:inline-block;padding:12px 24px;background:#1a56db;color:#ffffff;font-weight:bold;' +
  'text-decoration:none;border-radius:6px';
const SMALL = 'font-size:13px;color:#616e7c';

/**
 * The reminder email. Only the client's carries the confirm link (`confirmUrl`, null when
 * there is none): a practitioner must never be able to confirm the client's appointment.
 */
export function reminderEmail(
  context: MessageContext,
  recipient: RecipientRole,
  confirmUrl: string | null,
): EmailContent {
  const when = formatAppointmentTime(context.startsAt, context.timeZone);
  const { practiceName, clientName, location } = context;
  if (recipient === 'practitioner') {
    const greeting = context.practitionerName ? `Hi ${context.practitionerName},` : 'Hello,';
    return {
      subject: oneLine(`Reminder: ${clientName} is booked ${when}`),
      text: lines([
        greeting,
        '',
        `${practiceName}: reminder, ${clientName} is booked ${when}.`,
        location && `Where: ${location}`,
      ]),
      html: page(
        `Reminder: ${clientName}`,
        html`<p>${greeting}</p>
          <p>${practiceName}: reminder, <strong>${clientName}</strong> is booked</p>
          ${facts(when, location)}`,
      ),
    };
  }
  const greeting = `Hi ${firstName(clientName)},`;
  return {
    subject: oneLine(`Reminder: your appointment at ${practiceName} on ${when}`),
    text: lines([
      greeting,
      '',
      `This is a reminder from ${practiceName}: your appointment is on ${when}.`,
      location && `Where: ${location}`,
      ...(confirmUrl ? ['', 'Please confirm that you are coming:', confirmUrl] : []),
      '',
      `If you cannot come, please contact ${practiceName}.`,
    ]),
    html: page(
      `Your appointment at ${practiceName}`,
      html`<p>${greeting}</p>
        <p>This is a reminder from <strong>${practiceName}</strong>: your appointment is on</p>
        ${facts(when, location)}
        ${
          confirmUrl &&
          html`<p style="margin:24px 0"><a href="${confirmUrl}" style="${BUTTON}">Confirm my appointment</a></p>
            <p style="${SMALL}">If the button does not work, open this link: ${confirmUrl}</p>`
        }
        <p>If you cannot come, please contact ${practiceName}.</p>`,
    ),
  };
}

export function cancellationEmail(context: MessageContext): EmailContent {
  const when = formatAppointmentTime(context.startsAt, context.timeZone);
  const { practiceName } = context;
  const greeting = `Hi ${firstName(context.clientName)},`;
  return {
    subject: oneLine(`Cancelled: your appointment at ${practiceName} on ${when}`),
    text: lines([
      greeting,
      '',
      `Your appointment at ${practiceName} on ${when} has been cancelled. Please contact us to book again.`,
    ]),
    html: page(
      `Appointment cancelled`,
      html`<p>${greeting}</p>
        <p>Your appointment at <strong>${practiceName}</strong> on</p>
        ${facts(when, null)}
        <p>has been <strong>cancelled</strong>. Please contact us to book again.</p>`,
    ),
  };
}

function facts(when: string, location: string | null): Markup {
  return html`<p style="margin:16px 0;font-size:20px;font-weight:bold">${when}</p>
    ${location && html`<p>Where: ${location}</p>`}`;
}

function page(title: string, body: Markup): string {
  return html`<!DOCTYPE html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title}</title>
      </head>
      <body style="margin:0;padding:0;background:#f5f7fa">
        <div style="max-width:480px;margin:0 auto;padding:24px 16px;background:#ffffff;${FONT}">${body}</div>
      </body>
    </html> `.html;
}

function firstName(name: string): string {
  return name.trim().split(/\s+/)[0];
}

/** A subject is one header line whatever the names contain. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function lines(parts: Array<string | null | undefined>): string {
  return `${parts.filter((part): part is string => typeof part === 'string').join('\n')}\n`;
}
