import { z } from 'zod';
import {
  emailField,
  instantField,
  phoneField,
  reminderRuleSchema,
  startsAtField,
  textField,
  timeZoneField,
} from './fields';

// Request bodies of the appointment operations: the API validates them, the services take
// their types. Objects are strict: an unknown field is a client bug we report (400) rather
// than silently drop.

/**
 * A create request as the service takes it. Its start may have passed: a retry of a create
 * whose answer was lost still gets its appointment, and the service checks that a new one
 * starts in the future only once it knows the request is not a retry.
 */
export const createAppointmentSchema = z.strictObject({
  appointmentId: textField(128).regex(/^[A-Za-z0-9._:-]+$/, 'may contain only letters, digits and . _ : -'),
  startsAt: instantField,
  timeZone: timeZoneField.optional(),
  client: z
    .strictObject({
      name: textField(200),
      phone: phoneField.optional(),
      email: emailField.optional(),
      smsConsent: z.boolean().default(false),
      emailConsent: z.boolean().default(false),
    })
    .refine((client) => client.phone !== undefined || client.email !== undefined, {
      message: 'needs a phone or an email',
    }),
  practitioner: z
    .strictObject({ name: textField(200), phone: phoneField.optional(), email: emailField.optional() })
    .optional(),
  location: textField(500).optional(),
  reminders: z.array(reminderRuleSchema).min(1, 'must list at least one reminder').max(10).optional(),
  recipients: z.enum(['client', 'practitioner', 'both'], 'must be "client", "practitioner" or "both"').optional(),
  remindersEnabled: z.boolean().default(true),
});

export type CreateAppointmentRequest = z.infer<typeof createAppointmentSchema>;

/** A new appointment: the same, starting in the future; it names every bad field at once. */
export const newAppointmentSchema = createAppointmentSchema.extend({ startsAt: startsAtField });

export const rescheduleAppointmentSchema = z
  .strictObject({
    startsAt: startsAtField.optional(),
    timeZone: timeZoneField.optional(),
    location: textField(500).optional(),
    client: z
      .strictObject({
        name: textField(200).optional(),
        phone: phoneField.optional(),
        email: emailField.optional(),
        smsConsent: z.boolean().optional(),
        emailConsent: z.boolean().optional(),
      })
      .optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { message: 'must change at least one field' });

export type RescheduleAppointmentRequest = z.infer<typeof rescheduleAppointmentSchema>;

export const cancelAppointmentSchema = z.strictObject({
  reason: textField(500).optional(),
  notifyClient: z.boolean().default(false),
});

/** Staff confirmation takes no fields; the schema still refuses unexpected ones. */
export const confirmAppointmentSchema = z.strictObject({});
