import { isValidPhoneNumber, parsePhoneNumberWithError } from 'libphonenumber-js/max';
import { IANAZone } from 'luxon';
import { z } from 'zod';
import { parseBefore } from './reminder-plan';
import { hasOffset, STARTS_IN_PAST, startsInFuture } from './appointment-time';

// Field rules, each defined once and shared by every request that carries the field (the
// API's appointment bodies, the operator CLI's practice settings). libphonenumber's full
// metadata is used because "is this a real, dialable number" is exactly what it knows and we don't.

export function isE164Phone(value: string): boolean {
  if (!/^\+[1-9]\d{6,14}$/.test(value)) return false;
  try {
    return isValidPhoneNumber(value) && parsePhoneNumberWithError(value).number === value;
  } catch {
    return false;
  }
}

export function isTimeZone(value: string): boolean {
  return IANAZone.isValidZone(value);
}

/** A Twilio Messaging Service SID, accepted wherever a sender number is. */
/** Our row ids (messages, appointments) are UUIDs; a value that is none cannot name one. */
export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}

export function isMessagingServiceSid(value: string): boolean {
  return /^MG[0-9a-fA-F]{32}$/.test(value);
}

// Each field's `meta` is what the OpenAPI document (api/openapi/) says of it.

export const phoneField = z
  .string()
  .refine(isE164Phone, 'must be a valid phone number in E.164 format, e.g. +393471234567')
  .meta({ description: 'A phone number in E.164 format.', examples: ['+393471234567'] });

export const emailField = z.email('must be an email address');

export const timeZoneField = z
  .string()
  .refine(isTimeZone, 'must be an IANA time zone, e.g. Europe/Rome')
  .meta({ description: 'An IANA time zone.', examples: ['Europe/Rome'] });

/** Half of a UTF-16 surrogate pair: PostgreSQL cannot store it in text (nor a NUL). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function textField(max: number) {
  return z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine(
      (value) => !value.includes('\u0000') && !LONE_SURROGATE.test(value),
      'must not contain NUL characters or broken Unicode',
    );
}

/** A date-time with an explicit offset, so it names one instant. */
export const instantField = z
  .string()
  .refine(hasOffset, 'must be an ISO 8601 date-time with an offset, e.g. 2026-12-01T09:30:00+01:00')
  .meta({ description: 'An ISO 8601 date-time with an offset.', examples: ['2026-12-01T09:30:00+01:00'] });

/** An appointment's new start: an instant in the future. */
export const startsAtField = instantField.refine((value) => startsInFuture(value, new Date()), STARTS_IN_PAST);

export const recipientsField = z.enum(['client', 'practitioner', 'both'], 'must be "client", "practitioner" or "both"');

export const reminderRuleSchema = z.strictObject({
  before: z
    .string()
    .refine(
      (value) => parseBefore(value) !== null,
      'must be a positive ISO 8601 duration of at most one year, e.g. P1D or PT2H',
    )
    .meta({ description: 'How long before the start: an ISO 8601 duration of at most one year.', examples: ['P1D'] }),
  channel: z.enum(['sms', 'email'], 'must be "sms" or "email"'),
  recipients: recipientsField.optional(),
});

/** A BCP 47 tag we can format dates in; stored in its canonical form (`it-it` → `it-IT`). */
export const localeField = z
  .string()
  .max(35, 'must be a BCP 47 language tag, e.g. en or it-IT')
  .transform((value, ctx) => {
    const canonical = canonicalLocale(value);
    if (canonical === null) {
      ctx.addIssue({ code: 'custom', message: 'must be a BCP 47 language tag we support, e.g. en or it-IT' });
      return z.NEVER;
    }
    return canonical;
  })
  .meta({ description: 'A BCP 47 language tag: picks the language and date format of texts.', examples: ['it-IT'] });

function canonicalLocale(value: string): string | null {
  let canonical: string[];
  try {
    canonical = Intl.getCanonicalLocales(value);
  } catch {
    return null;
  }
  if (canonical.length !== 1) return null;
  return Intl.DateTimeFormat.supportedLocalesOf(canonical).length === 1 ? canonical[0] : null;
}

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day "HH:MM", e.g. 21:00');

/** A practice's setting: a window, or null for off. */
export const quietHoursSchema = z
  .strictObject({ start: hhmm, end: hhmm })
  .refine((q) => q.start !== q.end, 'start and end must differ')
  .nullable();
