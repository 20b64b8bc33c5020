import { z } from 'zod';
import { emailField, isE164Phone } from './fields';

// Query parameters of the message log and contact routes. Each arrives as text (a repeated
// parameter as a list, which is refused: one value per filter). Unknown parameters are a
// malformed request (400), like unknown body fields.

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

const PHONE_MESSAGE = 'must be a valid phone number in E.164 format, e.g. +393471234567';

/** One value of a query parameter: a second occurrence of it is a client bug, not a second filter. */
const single = z.string('must be given once');

/**
 * A phone number to look up. People paste numbers with spaces or dashes ("+39 347-123 4567"),
 * and a `+` left unencoded in a query string arrives as a space: a leading space can be
 * nothing else, so it is read as the `+`. What remains must be E.164, as everywhere else.
 */
export function lookupPhone(value: string): string | null {
  const plus = /^\s/.test(value) && /^\s*\d/.test(value) ? '+' : '';
  const compact = plus + value.replace(/[\s().-]/g, '');
  return isE164Phone(compact) ? compact : null;
}

export const lookupPhoneField = single.transform((value, ctx) => {
  const phone = lookupPhone(value);
  if (phone === null) ctx.addIssue({ code: 'custom', message: PHONE_MESSAGE });
  return phone ?? value;
});

/** Statuses are named by the send and delivery paths; a filter only needs a well-formed name. */
const statusName = /^[a-z][a-z_-]{0,31}$/;

// The descriptions (`meta`) are what the OpenAPI document shows of each filter.
const messageFilters = {
  phone: lookupPhoneField
    .optional()
    .meta({ description: 'Messages to or from this number (E.164; spaces and dashes are ignored).' }),
  email: single.pipe(emailField).optional().meta({ description: 'Emails to or from this address.' }),
  direction: single
    .pipe(z.enum(['inbound', 'outbound'], 'must be "inbound" or "outbound"'))
    .optional()
    .meta({ description: '`inbound` or `outbound`.' }),
  channel: single
    .pipe(z.enum(['sms', 'email'], 'must be "sms" or "email"'))
    .optional()
    .meta({ description: '`sms` or `email`.' }),
  status: single
    .transform((value) => [...new Set(value.split(',').map((s) => s.trim()))].sort())
    .refine(
      (names) => names.every((name) => statusName.test(name)),
      'must be a status or a comma-separated list of them, e.g. delivered or failed,undelivered',
    )
    .optional()
    .meta({ description: 'A status, or several separated by commas, e.g. `failed,undelivered`.' }),
  needsReview: single
    .pipe(z.enum(['true', 'false'], 'must be "true" or "false"'))
    .transform((value) => value === 'true')
    .optional()
    .meta({ description: '`true`: only inbound texts staff should read.' }),
  cursor: single
    .min(1, 'must be a nextCursor from an earlier page')
    .optional()
    .meta({ description: 'The `nextCursor` of the previous page, with the same filters.' }),
  limit: single
    .regex(/^\d{1,4}$/, `must be a whole number from 1 to ${MAX_PAGE_SIZE}`)
    .transform(Number)
    .pipe(
      z
        .number()
        .min(1, `must be a whole number from 1 to ${MAX_PAGE_SIZE}`)
        .max(MAX_PAGE_SIZE, `must be a whole number from 1 to ${MAX_PAGE_SIZE}`),
    )
    .default(DEFAULT_PAGE_SIZE)
    .meta({ description: `Messages per page, 1 to ${MAX_PAGE_SIZE} (default ${DEFAULT_PAGE_SIZE}).` }),
};

/** `GET /v1/messages`. */
export const messageLogQuerySchema = z.strictObject({
  ...messageFilters,
  appointmentId: single
    .min(1, 'must not be empty')
    .max(128, 'must be at most 128 characters')
    .optional()
    .meta({ description: "Only this appointment's messages (the practice system's id)." }),
});

/** `GET /v1/appointments/:appointmentId/messages`: the same, within one appointment. */
export const appointmentMessagesQuerySchema = z.strictObject(messageFilters);

export type MessageLogQuery = z.infer<typeof messageLogQuerySchema>;

/** `GET /v1/contacts/:phone`: the number in the path, and no query parameters. */
export const contactPathSchema = z.strictObject({
  phone: lookupPhoneField.meta({ description: 'The number, E.164 (URL-encode the `+` as `%2B`).' }),
});
export const contactQuerySchema = z.strictObject({});
