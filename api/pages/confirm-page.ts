import { formatAppointmentTime } from '../../domain/date-format';
import { html, type Markup } from '../../lib/html';
import type { ConfirmLinkOutcome, LinkedAppointment } from '../../services/confirm-links';

// The pages a confirm link shows: plain server-rendered HTML that works without JavaScript
// and on a phone. Every value goes through the escaping `html` template.

export type ConfirmPage = ConfirmLinkOutcome | { kind: 'unavailable' } | { kind: 'error' };

const BUTTON =
  'display:block;width:100%;padding:14px;border:0;border-radius:8px;background:#1a56db;color:#ffffff;' +
  'font-size:18px;font-weight:bold;cursor:pointer';

export function renderConfirmPage(page: ConfirmPage): { status: number; html: string } {
  switch (page.kind) {
    case 'confirmable':
      return {
        status: 200,
        html: layout(
          'Confirm your appointment',
          html`<p>${page.practiceName}</p>
            <h1 style="font-size:22px;margin:8px 0 16px">Please confirm your appointment</h1>
            ${when(page)}
            <form method="post" style="margin:24px 0 0">
              <button type="submit" style="${BUTTON}">Confirm my appointment</button>
            </form>`,
        ),
      };
    case 'confirmed':
      return {
        status: 200,
        html: layout(
          'Appointment confirmed',
          html`<p>${page.practiceName}</p>
            <h1 style="font-size:22px;margin:8px 0 16px">Thank you, your appointment is confirmed</h1>
            ${when(page)}
            <p>See you then.</p>`,
        ),
      };
    case 'cancelled':
      return {
        status: 410,
        html: layout(
          'Appointment cancelled',
          html`<p>${page.practiceName}</p>
            <h1 style="font-size:22px;margin:8px 0 16px">This appointment has been cancelled</h1>
            ${when(page)}
            <p>It can no longer be confirmed. Please contact ${page.practiceName} to book again.</p>`,
        ),
      };
    case 'over':
      return {
        status: 410,
        html: layout(
          'Appointment already started',
          html`<p>${page.practiceName}</p>
            <h1 style="font-size:22px;margin:8px 0 16px">This appointment has already started</h1>
            ${when(page)}
            <p>It can no longer be confirmed.</p>`,
        ),
      };
    case 'expired':
      return {
        status: 410,
        html: layout(
          'Link expired',
          html`<h1 style="font-size:22px;margin:8px 0 16px">This link has expired</h1>
            <p>
              A confirm link works until the appointment starts. If you received a newer reminder, please use the link
              in it, or contact the practice.
            </p>`,
        ),
      };
    case 'invalid':
      return {
        status: 404,
        html: layout(
          'Link not valid',
          html`<h1 style="font-size:22px;margin:8px 0 16px">This link is not valid</h1>
            <p>
              Please check that you opened the whole link from your email. If it still does not work, please contact the
              practice.
            </p>`,
        ),
      };
    case 'unavailable':
      return {
        status: 503,
        html: layout(
          'Please try again',
          html`<h1 style="font-size:22px;margin:8px 0 16px">Please try again in a moment</h1>
            <p>We could not reach our booking system just now. Please try again in a few minutes.</p>`,
        ),
      };
    case 'error':
      return {
        status: 500,
        html: layout(
          'Something went wrong',
          html`<h1 style="font-size:22px;margin:8px 0 16px">Something went wrong</h1>
            <p>Something went wrong on our side. Please try again later, or contact the practice.</p>`,
        ),
      };
  }
}

function when(appointment: LinkedAppointment): Markup {
  if (!appointment.time) return html``;
  const { startsAt, timeZone } = appointment.time;
  return html`<p style="font-size:20px;font-weight:bold;margin:0">${formatAppointmentTime(startsAt, timeZone)}</p>`;
}

function layout(title: string, body: Markup): string {
  return html`<!DOCTYPE html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <title>${title}</title>
      </head>
      <body style="margin:0;padding:0;background:#f5f7fa">
        <main
          style="max-width:480px;margin:0 auto;padding:32px 20px;font-family:Helvetica,Arial,sans-serif;font-size:17px;line-height:1.5;color:#1f2933"
        >
          ${body}
        </main>
      </body>
    </html> `.html;
}
