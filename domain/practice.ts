import { z } from 'zod';
import type { Recipients, ReminderRule } from './appointment';
import {
  emailField,
  isE164Phone,
  isMessagingServiceSid,
  localeField,
  quietHoursSchema,
  phoneField,
  recipientsField,
  reminderRuleSchema,
  textField,
  timeZoneField,
} from './fields';
import { DEFAULT_QUIET_HOURS, type QuietHours } from './quiet-hours';
import { templatesSchema, type Templates } from './templates';

// A practice's settings: the rules they must satisfy when they are set (by staff through the
// API, by the operator through the CLI), and the strict reading of what is stored. Settings
// are checked when written, so a stored value that fails its rule is a bug to report, never a
// reason to fall back to a default.

/** Who answers STOP and START: `practice` (we do, with its texts) or `twilio` (Advanced Opt-Out; we stay silent). */
export type OptOutReplies = 'practice' | 'twilio';

/** A practice policy's rule always says who gets it. */
export type PolicyRule = ReminderRule & { recipients: Recipients };

/** What an appointment gets when its request names no reminders: a day before and two hours before, by SMS, to the client. */
export const DEFAULT_REMINDER_POLICY: PolicyRule[] = [
  { before: 'P1D', channel: 'sms', recipients: 'client' },
  { before: 'PT2H', channel: 'sms', recipients: 'client' },
];

const policyRuleSchema = reminderRuleSchema.extend({ recipients: recipientsField.default('client') });

const reminderPolicyField = z
  .array(policyRuleSchema)
  .min(1, 'must list at least one reminder')
  .max(10, 'must list at most 10 reminders');

/** Twilio's alphanumeric sender ID: up to 11 of these characters, not only digits. */
const senderNameField = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9 +\-_&]{1,11}$/, 'must be 1–11 letters, digits, spaces or - + _ &')
  .refine((value) => !/^\d+$/.test(value), 'must not be only digits');

/** Segments are counted in a 32-bit column; no practice needs a billion texts a month. */
const MAX_SMS_BUDGET = 1_000_000_000;

const smsMonthlyBudgetField = z
  .int('must be a whole number of SMS segments')
  .min(1, 'must be at least 1 segment')
  .max(MAX_SMS_BUDGET, `must be at most ${MAX_SMS_BUDGET} segments`);

const optOutRepliesField = z.enum(['practice', 'twilio'], 'must be "practice" or "twilio"');

const smsFromField = z
  .string()
  .refine(
    (value) => isE164Phone(value) || isMessagingServiceSid(value),
    'must be an E.164 number or a Twilio Messaging Service SID (MG…)',
  );

/** A change to the templates: each key set to a text, or to null to remove it (its built-in default applies again). */
export interface TemplatesChange {
  set: Templates;
  remove: string[];
}

/**
 * `templates` as it is written: keys not named keep their text. The texts set are checked by
 * the templates' own rules (domain/templates.ts), their faults named under `templates.<key>`.
 */
const templatesChangeField = z.record(z.string(), z.unknown()).transform((change, ctx): TemplatesChange => {
  const set = Object.fromEntries(Object.entries(change).filter(([, text]) => text !== null));
  const checked = templatesSchema.safeParse(set);
  if (!checked.success) {
    for (const issue of checked.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys)
          ctx.addIssue({ code: 'custom', path: [...issue.path, key], message: 'is not a known template' });
      } else ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
    }
    return z.NEVER;
  }
  return { set: checked.data, remove: Object.keys(change).filter((key) => change[key] === null) };
});

export function applyTemplatesChange(stored: Templates, change: TemplatesChange): Templates {
  const kept = Object.entries(stored).filter(([key]) => !change.remove.includes(key) && !(key in change.set));
  return { ...Object.fromEntries(kept), ...change.set };
}

/** Every setting staff may change; null clears an optional one (or turns quiet hours or the budget off). */
const settingsFields = {
  name: textField(200),
  senderName: senderNameField.nullable(),
  emailFrom: emailField.nullable(),
  helpPhone: phoneField.nullable(),
  timeZone: timeZoneField,
  locale: localeField,
  reminderPolicy: reminderPolicyField,
  quietHours: quietHoursSchema,
  templates: templatesChangeField,
  smsMonthlyBudget: smsMonthlyBudgetField.nullable(),
  optOutReplies: optOutRepliesField,
};

const settingsChange = z.strictObject(settingsFields).partial();

const changesSomething = [
  (change: object) => Object.values(change).some((value) => value !== undefined),
  { message: 'must change at least one setting' },
] as const;

export const SMS_FROM_IS_OPERATORS =
  "is the practice's Twilio sender, changed only by the operator (npm run cli -- practice update --sms-from)";

/** PATCH /v1/practice: staff change any setting but the sender number. */
export const practiceChangeSchema = settingsChange
  .extend({ smsFrom: z.never(SMS_FROM_IS_OPERATORS).optional() })
  .refine(...changesSomething);

/** `practice update` in the operator CLI: every setting, and the sender number. */
export const operatorPracticeChangeSchema = settingsChange
  .extend({ smsFrom: smsFromField.optional() })
  .refine(...changesSomething);

export const createPracticeSchema = settingsChange.extend({
  name: settingsFields.name,
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lower-case letters, digits and dashes (max 63)'),
  smsFrom: smsFromField,
});

export type CreatePracticeInput = z.input<typeof createPracticeSchema>;

/** A practice's settings as the services use them: every one present, each valid. */
export interface PracticeSettings {
  id: string;
  name: string;
  /** The operator's; read-only for staff. */
  smsFrom: string;
  senderName: string | null;
  emailFrom: string | null;
  helpPhone: string | null;
  timeZone: string;
  locale: string;
  reminderPolicy: PolicyRule[];
  quietHours: QuietHours | null;
  templates: Templates;
  smsMonthlyBudget: number | null;
  optOutReplies: OptOutReplies;
}

/** What a new practice has for each setting its creator did not give. */
export const DEFAULT_SETTINGS = {
  senderName: null,
  emailFrom: null,
  helpPhone: null,
  timeZone: 'UTC',
  locale: 'en',
  reminderPolicy: DEFAULT_REMINDER_POLICY,
  quietHours: DEFAULT_QUIET_HOURS,
  templates: {},
  smsMonthlyBudget: null,
  optOutReplies: 'practice',
} satisfies Omit<PracticeSettings, 'id' | 'name' | 'smsFrom'>;

/** A practice row as the database holds it (db/ maps it; domain/ does not know Prisma). */
export interface StoredPractice {
  id: string;
  name: string;
  smsFrom: string;
  senderName: string | null;
  emailFrom: string | null;
  helpPhone: string | null;
  timeZone: string;
  locale: string;
  reminderPolicy: unknown;
  quietHoursStart: string | null;
  quietHoursEnd: string | null;
  templates: unknown;
  smsMonthlyBudget: number | null;
  optOutReplies: string;
}

/** A stored setting breaks the rule it was written under: a bug or a hand edit, reported rather than replaced. */
export class StoredSettingError extends Error {
  readonly name = 'StoredSettingError';
  constructor(
    readonly practiceId: string,
    readonly field: string,
    problem: string,
  ) {
    super(
      `Practice "${practiceId}" has an invalid stored ${field} (${problem}); settings are checked when they are ` +
        `written, so it was changed outside the API and CLI. Set it again with: npm run cli -- practice update --id ${practiceId}`,
    );
  }
}

function stored<S extends z.ZodType>(practiceId: string, field: string, schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const [issue] = parsed.error.issues;
  const at = issue.path.length > 0 ? `${issue.path.map(String).join('.')} ` : '';
  throw new StoredSettingError(practiceId, field, `${at}${issue.message}`);
}

export function reminderPolicyOf(practice: { id: string; reminderPolicy: unknown }): PolicyRule[] {
  return stored(practice.id, 'reminderPolicy', reminderPolicyField, practice.reminderPolicy);
}

/** Both columns null: quiet hours are off. */
export function quietHoursOf(practice: Pick<StoredPractice, 'id' | 'quietHoursStart' | 'quietHoursEnd'>) {
  const { quietHoursStart: start, quietHoursEnd: end } = practice;
  return stored(practice.id, 'quietHours', quietHoursSchema, start === null && end === null ? null : { start, end });
}

export function templatesOf(practice: Pick<StoredPractice, 'id' | 'templates'>): Templates {
  return stored(practice.id, 'templates', templatesSchema, practice.templates);
}

/** Every setting of a stored practice, each checked by the rule it was written under. */
export function settingsOf(practice: StoredPractice): PracticeSettings {
  const field = <S extends z.ZodType>(name: string, schema: S, value: unknown) =>
    stored(practice.id, name, schema, value);
  return {
    id: practice.id,
    name: practice.name,
    smsFrom: field('smsFrom', smsFromField, practice.smsFrom),
    senderName: field('senderName', senderNameField.nullable(), practice.senderName),
    emailFrom: field('emailFrom', emailField.nullable(), practice.emailFrom),
    helpPhone: field('helpPhone', phoneField.nullable(), practice.helpPhone),
    timeZone: field('timeZone', timeZoneField, practice.timeZone),
    locale: field('locale', localeField, practice.locale),
    reminderPolicy: reminderPolicyOf(practice),
    quietHours: quietHoursOf(practice),
    templates: templatesOf(practice),
    smsMonthlyBudget: field('smsMonthlyBudget', smsMonthlyBudgetField.nullable(), practice.smsMonthlyBudget),
    optOutReplies: field('optOutReplies', optOutRepliesField, practice.optOutReplies),
  };
}

/** The columns a set of settings is written to: quiet hours are two, both null when off. */
export function storedColumns<S extends Partial<Omit<PracticeSettings, 'id'>>>(settings: S) {
  const { quietHours, ...rest } = settings;
  if (quietHours === undefined) return rest;
  return { ...rest, quietHoursStart: quietHours?.start ?? null, quietHoursEnd: quietHours?.end ?? null };
}

/**
 * The reminders of a new appointment and who gets them. Recipients the request names apply
 * to every rule; otherwise each rule of the practice's policy keeps its own.
 */
export function remindersWithRecipients(
  rules: ReminderRule[],
  recipients: Recipients | undefined,
): { reminders: ReminderRule[]; recipients: Recipients } {
  if (recipients !== undefined) {
    return { reminders: rules.map(({ before, channel }) => ({ before, channel })), recipients };
  }
  const named = new Set(rules.map((rule) => rule.recipients ?? 'client'));
  // The appointment's own value is what a rule without recipients falls back to, and what
  // the view shows: the policy's when all its rules agree.
  return { reminders: rules, recipients: named.size === 1 ? [...named][0] : 'client' };
}
