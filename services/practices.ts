import { z } from 'zod';
import type { PrismaClient } from '../db/client';
import { parseBody } from '../lib/parse';
import {
  isE164Phone,
  isMessagingServiceSid,
  isTimeZone,
  PHONE_MESSAGE,
  reminderRuleSchema,
  TIME_ZONE_MESSAGE,
} from '../lib/fields';
import type { ReminderRule } from '../domain/appointment';
import { ConflictError } from './errors';

/** What an appointment gets when its request names no reminders: a day before and two hours before, by SMS. */
export const DEFAULT_REMINDER_POLICY: ReminderRule[] = [
  { before: 'P1D', channel: 'sms' },
  { before: 'PT2H', channel: 'sms' },
];

const practiceFields = {
  name: z.string().trim().min(1, 'must not be empty').max(200),
  smsFrom: z
    .string()
    .refine(
      (value) => isE164Phone(value) || isMessagingServiceSid(value),
      'must be an E.164 number or a Twilio Messaging Service SID (MG…)',
    ),
  senderName: z
    .string()
    .regex(/^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$/, 'must be 1–11 letters, digits or spaces, with at least one letter'),
  emailFrom: z.email('must be an email address'),
  timeZone: z.string().refine(isTimeZone, TIME_ZONE_MESSAGE),
  helpPhone: z.string().refine(isE164Phone, PHONE_MESSAGE),
  reminderPolicy: z.array(reminderRuleSchema).min(1).max(10),
};

const createPracticeSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lower-case letters, digits and dashes (max 63)'),
  name: practiceFields.name,
  smsFrom: practiceFields.smsFrom,
  senderName: practiceFields.senderName.optional(),
  emailFrom: practiceFields.emailFrom.optional(),
  timeZone: practiceFields.timeZone.default('UTC'),
  helpPhone: practiceFields.helpPhone.optional(),
  reminderPolicy: practiceFields.reminderPolicy.default(DEFAULT_REMINDER_POLICY),
});

export type CreatePracticeInput = z.input<typeof createPracticeSchema>;

export async function createPractice(prisma: PrismaClient, input: CreatePracticeInput) {
  const data = parseBody(createPracticeSchema, input);
  if (await prisma.practice.findUnique({ where: { id: data.id } })) {
    throw new ConflictError(`A practice with id "${data.id}" already exists.`);
  }
  if (await prisma.practice.findUnique({ where: { smsFrom: data.smsFrom } })) {
    throw new ConflictError(`Another practice already sends from ${data.smsFrom}; inbound replies could not be routed.`);
  }
  return prisma.practice.create({ data });
}


export function reminderPolicyOf(practice: { reminderPolicy: unknown }): ReminderRule[] {
  const parsed = practiceFields.reminderPolicy.safeParse(practice.reminderPolicy);
  return parsed.success ? parsed.data : DEFAULT_REMINDER_POLICY;
}
