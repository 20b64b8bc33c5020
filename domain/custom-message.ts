import { z } from 'zod';
import type { AppointmentDetails, Channel, RecipientRole } from './appointment';
import { emailField, instantField, isE164Phone, phoneField, textField } from './fields';
import { applyQuietHours, type QuietHours } from './quiet-hours';
import type { FieldError } from '../lib/errors';

// Custom messages: a text or email the practice writes itself, sent now or at `sendAt`,
// linked to an appointment or not. The rules here decide what is accepted and when it goes;
// the workflow (workflows/custom-message.ts) keeps the one decision that needs a clock and a
// lock: whether it can still be cancelled.

/** What Twilio accepts in one message body; longer bodies are refused (21617). */
export const SMS_BODY_MAX = 1600;
const EMAIL_BODY_MAX = 20_000;
/** A `sendAt` this far in the past is a clock a little behind ours, and means "now". */
export const SEND_AT_GRACE_MS = 60_000;
const SEND_AT_MAX_AHEAD_MS = 366 * 24 * 3_600_000;

const PHONE_MESSAGE = 'must be a valid phone number in E.164 format, e.g. +393471234567';
const EMAIL_MESSAGE = 'must be an email address';

/** Why `to` cannot be sent on `channel`, or null when it can. */
export function addressProblem(channel: Channel, to: string): string | null {
  if (channel === 'sms') return isE164Phone(to) ? null : `${PHONE_MESSAGE} for an SMS`;
  return emailField.safeParse(to).success ? null : `${EMAIL_MESSAGE} for an email`;
}

const sendAtField = instantField
  .refine((value) => Date.parse(value) >= Date.now() - SEND_AT_GRACE_MS, 'is in the past; leave it out to send now')
  .refine((value) => Date.parse(value) <= Date.now() + SEND_AT_MAX_AHEAD_MS, 'must be within a year from now');

/** `POST /v1/messages`. `subject` is for email only (default: "Message from <practice>"). */
export const customMessageSchema = z
  .strictObject({
    to: z
      .string('must be a phone number or an email address')
      .trim()
      .pipe(
        z.union([phoneField, emailField], {
          error: 'must be a phone number (E.164, e.g. +393471234567) or an email address',
        }),
      ),
    channel: z.enum(['sms', 'email'], 'must be "sms" or "email"'),
    body: textField(EMAIL_BODY_MAX),
    subject: textField(200).optional(),
    sendAt: sendAtField.optional(),
    appointmentId: textField(128).optional(),
  })
  .superRefine((request, ctx) => {
    const wrongAddress = addressProblem(request.channel, request.to);
    if (wrongAddress) ctx.addIssue({ code: 'custom', path: ['to'], message: wrongAddress });
    if (request.channel === 'sms' && request.body.length > SMS_BODY_MAX) {
      ctx.addIssue({
        code: 'custom',
        path: ['body'],
        message: `must be at most ${SMS_BODY_MAX} characters for an SMS`,
      });
    }
    if (request.channel === 'sms' && request.subject !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['subject'], message: 'is for emails only' });
    }
  });

export type CustomMessageRequest = z.infer<typeof customMessageSchema>;

/** `POST /v1/messages/:id/resend`: the same text again, to `to` when given (a new number). */
export const resendMessageSchema = z.strictObject({
  to: z.string('must be a phone number or an email address').trim().min(1, 'must not be empty').optional(),
});

export type ResendMessageRequest = z.infer<typeof resendMessageSchema>;

/** The subject of a custom email whose request named none. */
export function defaultSubject(practiceName: string): string {
  return `Message from ${practiceName}`;
}

/** The linked appointment's staff member when `to` is theirs; anyone else is the practice's client. */
export function recipientOf(details: AppointmentDetails | null, channel: Channel, to: string): RecipientRole {
  const practitioner = details?.practitioner;
  const theirs = channel === 'sms' ? practitioner?.phone : practitioner?.email?.toLowerCase();
  return theirs !== undefined && theirs === (channel === 'sms' ? to : to.toLowerCase()) ? 'practitioner' : 'client';
}

/**
 * Why the linked appointment's client may not get this message, or null. A client of an
 * appointment consented (or not) per channel when it was made; the practitioner is staff.
 * Opt-outs are not checked here: a START can come before the message is due, so the send
 * checks them when it goes.
 */
export function consentProblem(details: AppointmentDetails, recipient: RecipientRole, channel: Channel): string | null {
  if (recipient === 'practitioner') return null;
  if (channel === 'sms' && !details.client.smsConsent) return "the appointment's client has not consented to texts";
  if (channel === 'email' && !details.client.emailConsent) return "the appointment's client has not consented to email";
  return null;
}

export interface ScheduleOptions {
  /** The request's `sendAt`; absent: now, and quiet hours do not apply (staff chose to send it now). */
  sendAt: string | undefined;
  now: Date;
  quietHours: QuietHours | null;
  /** The linked appointment's zone, else the practice's. */
  timeZone: string;
  /** The linked appointment's start (nothing is sent once it has begun); null when unlinked. */
  deadline: Date | null;
}

/** When the message goes out, or the field error that refuses it. */
export function scheduleCustomMessage(options: ScheduleOptions): { scheduledFor: Date } | { refused: FieldError } {
  const { sendAt, now, deadline } = options;
  if (deadline && deadline <= now) {
    return { refused: { path: 'appointmentId', message: 'the appointment has already started' } };
  }
  let scheduledFor = now;
  if (sendAt !== undefined) {
    const decision = applyQuietHours(new Date(sendAt), {
      quietHours: options.quietHours,
      timeZone: options.timeZone,
      now,
      deadline,
    });
    if ('skipped' in decision) {
      return {
        refused: {
          path: 'sendAt',
          message: "falls in the practice's quiet hours and no time is left before the appointment",
        },
      };
    }
    scheduledFor = decision.sendAt;
  }
  if (deadline && scheduledFor >= deadline) {
    return { refused: { path: 'sendAt', message: 'is not before the appointment starts' } };
  }
  return { scheduledFor };
}
