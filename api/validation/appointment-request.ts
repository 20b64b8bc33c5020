import { DateTime } from 'luxon';
import { z } from 'zod';
import { isE164Phone, isTimeZone, PHONE_MESSAGE, reminderRuleSchema, TIME_ZONE_MESSAGE } from '../../lib/fields';

// Request bodies of the appointment routes. Objects are strict: an unknown field is a
// client bug we report (400) rather than silently drop.

const phone = z.string().refine(isE164Phone, PHONE_MESSAGE);
const email = z.email('must be an email address');
const timeZone = z.string().refine(isTimeZone, TIME_ZONE_MESSAGE);
const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

const startsAt = z
  .string()
  .refine(
    (value) => /(Z|[+-]\d{2}:?\d{2})$/.test(value) && DateTime.fromISO(value, { setZone: true }).isValid,
    'must be an ISO 8601 date-time with an offset, e.g. 2026-12-01T09:30:00+01:00',
  )
  .refine((value) => Date.parse(value) > Date.now(), 'is in the past; appointments must start in the future');


export const createAppointmentSchema = z.strictObject({
  appointmentId: text(128).regex(/^[A-Za-z0-9._:-]+$/, 'may contain only letters, digits and . _ : -'),
  startsAt,
  timeZone: timeZone.optional(),
  client: z
    .strictObject({
      name: text(200),
      phone: phone.optional(),
      email: email.optional(),
      smsConsent: z.boolean().default(false),
      emailConsent: z.boolean().default(false),
    })
    .refine((client) => client.phone !== undefined || client.email !== undefined, {
      message: 'needs a phone or an email',
    }),
  practitioner: z.strictObject({ name: text(200), phone: phone.optional(), email: email.optional() }).optional(),
  location: text(500).optional(),
  reminders: z.array(reminderRuleSchema).min(1, 'must list at least one reminder').max(10).optional(),
  recipients: z.enum(['client', 'practitioner', 'both'], 'must be "client", "practitioner" or "both"').default('client'),
  remindersEnabled: z.boolean().default(true),
});

export type CreateAppointmentRequest = z.infer<typeof createAppointmentSchema>;

export const rescheduleAppointmentSchema = z
  .strictObject({
    startsAt: startsAt.optional(),
    timeZone: timeZone.optional(),
    location: text(500).optional(),
    client: z
      .strictObject({
        name: text(200).optional(),
        phone: phone.optional(),
        email: email.optional(),
        smsConsent: z.boolean().optional(),
        emailConsent: z.boolean().optional(),
      })
      .optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { message: 'must change at least one field' });

export type RescheduleAppointmentRequest = z.infer<typeof rescheduleAppointmentSchema>;

export const cancelAppointmentSchema = z.strictObject({
  reason: text(500).optional(),
  notifyClient: z.boolean().default(false),
});

/** Staff confirmation takes no fields; the schema still refuses unexpected ones. */
export const confirmAppointmentSchema = z.strictObject({});
