import { z } from 'zod';
import type { ReminderRule } from './appointment';
import {
  emailField,
  isE164Phone,
  isMessagingServiceSid,
  phoneField,
  reminderRuleSchema,
  textField,
  timeZoneField,
} from './fields';

// A practice's settings and the rules they must satisfy when they are set.

/** What an appointment gets when its request names no reminders: a day before and two hours before, by SMS. */
export const DEFAULT_REMINDER_POLICY: ReminderRule[] = [
  { before: 'P1D', channel: 'sms' },
  { before: 'PT2H', channel: 'sms' },
];

const reminderPolicyField = z.array(reminderRuleSchema).min(1).max(10);

export const createPracticeSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lower-case letters, digits and dashes (max 63)'),
  name: textField(200),
  smsFrom: z
    .string()
    .refine(
      (value) => isE164Phone(value) || isMessagingServiceSid(value),
      'must be an E.164 number or a Twilio Messaging Service SID (MG…)',
    ),
  senderName: z
    .string()
    .regex(/^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$/, 'must be 1–11 letters, digits or spaces, with at least one letter')
    .optional(),
  emailFrom: emailField.optional(),
  timeZone: timeZoneField.default('UTC'),
  helpPhone: phoneField.optional(),
  reminderPolicy: reminderPolicyField.default(DEFAULT_REMINDER_POLICY),
});

export type CreatePracticeInput = z.input<typeof createPracticeSchema>;

export function reminderPolicyOf(practice: { reminderPolicy: unknown }): ReminderRule[] {
  const parsed = reminderPolicyField.safeParse(practice.reminderPolicy);
  return parsed.success ? parsed.data : DEFAULT_REMINDER_POLICY;
}
