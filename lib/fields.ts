import { isValidPhoneNumber, parsePhoneNumberWithError } from 'libphonenumber-js/max';
import { Duration, IANAZone } from 'luxon';
import { z } from 'zod';

// Field rules shared by the API and the operator CLI. libphonenumber's full metadata is used
// because "is this a real, dialable number" is exactly what it knows and we don't.

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
export function isMessagingServiceSid(value: string): boolean {
  return /^MG[0-9a-fA-F]{32}$/.test(value);
}

export const PHONE_MESSAGE = 'must be a valid phone number in E.164 format, e.g. +393471234567';
export const TIME_ZONE_MESSAGE = 'must be an IANA time zone, e.g. Europe/Rome';

export const reminderRuleSchema = z.strictObject({
  before: z.string().refine((value) => {
    const duration = Duration.fromISO(value);
    return duration.isValid && duration.toMillis() > 0;
  }, 'must be a positive ISO 8601 duration, e.g. P1D or PT2H'),
  channel: z.enum(['sms', 'email'], 'must be "sms" or "email"'),
});
