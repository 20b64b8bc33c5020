import type { Channel } from '../domain/appointment';
import { confirmLinkUrl } from '../domain/confirm-token';
import { isE164Phone } from '../domain/fields';
import { countSegments, type SmsEncoding } from '../domain/segments';
import { smsSender } from '../domain/sender';
import { templatesOf, type StoredPractice } from '../domain/practice';
import { renderMessage, type MessageKind } from '../domain/templates';
import type { SendMessageInput } from './contracts';

// What a reminder, fallback or cancellation notice says and who it comes from, from the
// practice's settings (templates, locale, sender name) and the appointment as it is now.

/** The practice settings a message is composed from (a `practices` row has them all). */
export type ComposingPractice = Pick<
  StoredPractice,
  'id' | 'name' | 'smsFrom' | 'senderName' | 'emailFrom' | 'helpPhone' | 'locale' | 'templates'
>;

export interface ComposedMessage {
  to: string;
  /** Null: the practice has no email sender, so the email cannot go out. */
  from: string | null;
  body: string;
  subject: string | null;
  html: string | null;
  segments: number | null;
  encoding: SmsEncoding | null;
}

export function compose(
  channel: Channel,
  input: SendMessageInput,
  practice: ComposingPractice,
  links: { publicBaseUrl: string; signingSecret: string },
): ComposedMessage {
  // A custom message goes out as written.
  if (input.custom) {
    const sms = channel === 'sms' ? countSegments(input.custom.text) : null;
    return {
      to: input.to,
      from: sms ? practice.smsFrom : practice.emailFrom,
      body: input.custom.text,
      subject: sms ? null : input.custom.subject,
      html: null,
      segments: sms?.segments ?? null,
      encoding: sms?.encoding ?? null,
    };
  }
  const cancellation = input.purpose === 'cancellation';
  const kind: MessageKind = cancellation
    ? 'cancellation'
    : input.recipient === 'practitioner'
      ? 'reminder_practitioner'
      : 'reminder_client';
  const { appointment, appointmentId } = input;
  if (!appointment || appointmentId === null) throw new Error('A reminder or notice needs its appointment.');
  // Practitioners have no locale of their own: they read the practice's language.
  const locale = (input.recipient === 'client' ? appointment.clientLocale : null) ?? practice.locale;
  const sender = channel === 'sms' ? smsSender(practice, input.to) : null;
  // The client's reminder email carries a link that confirms the appointment; it expires at the start.
  const confirmUrl =
    channel === 'email' && kind === 'reminder_client'
      ? confirmLinkUrl({
          publicBaseUrl: links.publicBaseUrl,
          secret: links.signingSecret,
          practiceId: input.practiceId,
          appointmentId,
          startsAt: appointment.startsAt,
        })
      : null;
  const rendered = renderMessage({
    kind,
    channel,
    locale,
    templates: templatesOf(practice),
    practiceName: practice.name,
    helpPhone: practice.helpPhone,
    clientName: appointment.clientName,
    practitionerName: appointment.practitionerName,
    appointment: { startsAt: appointment.startsAt, timeZone: appointment.timeZone, location: appointment.location },
    confirmUrl,
    // An email can only be answered by text to the practice's number.
    replyNumber: sender ? sender.replyNumber : isE164Phone(practice.smsFrom) ? practice.smsFrom : null,
  });
  if (sender) {
    const { segments, encoding } = countSegments(rendered.body);
    return { to: input.to, from: sender.from, body: rendered.body, subject: null, html: null, segments, encoding };
  }
  return {
    to: input.to,
    from: practice.emailFrom,
    body: rendered.body,
    subject: rendered.subject,
    html: rendered.html,
    segments: null,
    encoding: null,
  };
}
