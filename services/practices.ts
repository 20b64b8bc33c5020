import type { Prisma, PrismaClient } from '../db/client';
import { isUniqueViolation } from '../db/errors';
import { smsUsage } from '../db/sms-budget';
import type { SmsUsage } from '../domain/sms-budget';
import {
  applyTemplatesChange,
  createPracticeSchema,
  DEFAULT_SETTINGS,
  operatorPracticeChangeSchema,
  practiceChangeSchema,
  settingsOf,
  storedColumns,
  templatesOf,
  type CreatePracticeInput,
  type PracticeSettings,
} from '../domain/practice';
import { templateWarnings } from '../domain/templates';
import { ConflictError, NotFoundError } from '../lib/errors';
import { parseBody } from '../lib/parse';

export type { CreatePracticeInput };

/** What staff see of their practice: its settings and this month's SMS usage. */
export interface PracticeView extends PracticeSettings {
  smsUsage: SmsUsage;
}

/** A written change: the practice as it now is, and what its new templates deserve a warning about. */
export interface PracticeWritten {
  view: PracticeView;
  warnings: string[];
}

/**
 * Who is changing the settings: `staff` (the API, with the practice's key) change every
 * setting but the sender number, which is the operator's (the CLI).
 */
export type SettingsActor = 'staff' | 'operator';

/** Prisma's JSON input does not accept interfaces; the values are plain JSON by construction. */
function json(value: unknown): Prisma.InputJsonValue {
  return value as Prisma.InputJsonValue;
}

function senderTaken(smsFrom: string): ConflictError {
  return new ConflictError(`Another practice already sends from ${smsFrom}; inbound replies could not be routed.`);
}

export async function createPractice(prisma: PrismaClient, input: CreatePracticeInput): Promise<PracticeWritten> {
  const { templates, ...given } = parseBody(createPracticeSchema, input);
  if (await prisma.practice.findUnique({ where: { id: given.id } })) {
    throw new ConflictError(`A practice with id "${given.id}" already exists.`);
  }
  if (await prisma.practice.findUnique({ where: { smsFrom: given.smsFrom } })) throw senderTaken(given.smsFrom);
  const settings = {
    ...DEFAULT_SETTINGS,
    ...given,
    templates: templates ? applyTemplatesChange({}, templates) : DEFAULT_SETTINGS.templates,
  };
  const { reminderPolicy, ...columns } = storedColumns(settings);
  try {
    await prisma.practice.create({
      data: {
        ...columns,
        id: given.id,
        smsFrom: given.smsFrom,
        name: given.name,
        reminderPolicy: json(reminderPolicy),
      },
    });
  } catch (err) {
    // Another create with the same sender got past the check above at the same time.
    if (isUniqueViolation(err))
      throw new ConflictError(`A practice with id "${given.id}" or sender ${given.smsFrom} already exists.`);
    throw err;
  }
  return { view: await practiceView(prisma, given.id), warnings: templates ? templateWarnings(templates.set) : [] };
}

/** The practice's settings and its SMS usage in the current month of its time zone (no usage row yet: none used). */
export async function practiceView(prisma: PrismaClient, practiceId: string, now = new Date()): Promise<PracticeView> {
  const row = await prisma.practice.findUnique({ where: { id: practiceId } });
  if (!row) throw new NotFoundError(`No practice with id "${practiceId}".`);
  return { ...settingsOf(row), smsUsage: await smsUsage(prisma, practiceId, now) };
}

/**
 * A partial change: the settings named are replaced (the reminder policy as a whole),
 * `templates` keys are merged (null removes one), the rest is kept. All or nothing.
 */
export async function updatePractice(
  prisma: PrismaClient,
  practiceId: string,
  input: unknown,
  actor: SettingsActor,
): Promise<PracticeWritten> {
  const schema = actor === 'operator' ? operatorPracticeChangeSchema : practiceChangeSchema;
  const { templates, smsFrom, ...settings } = parseBody(schema, input);
  const { reminderPolicy, ...columns } = storedColumns(settings);
  try {
    await prisma.$transaction(async (tx) => {
      // Row lock: two template changes at once must not drop each other's keys.
      const locked = await tx.$queryRaw<unknown[]>`SELECT 1 FROM practices WHERE id = ${practiceId} FOR UPDATE`;
      if (locked.length === 0) throw new NotFoundError(`No practice with id "${practiceId}".`);
      const current = await tx.practice.findUniqueOrThrow({ where: { id: practiceId } });
      if (smsFrom !== undefined && smsFrom !== current.smsFrom) {
        if (await tx.practice.findUnique({ where: { smsFrom } })) throw senderTaken(smsFrom);
      }
      await tx.practice.update({
        where: { id: practiceId },
        data: {
          ...columns,
          ...(smsFrom !== undefined ? { smsFrom } : {}),
          ...(reminderPolicy !== undefined ? { reminderPolicy: json(reminderPolicy) } : {}),
          ...(templates ? { templates: json(applyTemplatesChange(templatesOf(current), templates)) } : {}),
        },
      });
    });
  } catch (err) {
    // Another practice took the sender between the check and the write.
    if (isUniqueViolation(err) && smsFrom !== undefined) throw senderTaken(smsFrom);
    throw err;
  }
  return { view: await practiceView(prisma, practiceId), warnings: templates ? templateWarnings(templates.set) : [] };
}
