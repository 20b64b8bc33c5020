import type { PrismaClient } from '../db/client';
import { createPracticeSchema, type CreatePracticeInput } from '../domain/practice';
import { ConflictError } from '../lib/errors';
import { parseBody } from '../lib/parse';

export type { CreatePracticeInput };

export async function createPractice(prisma: PrismaClient, input: CreatePracticeInput) {
  const data = parseBody(createPracticeSchema, input);
  if (await prisma.practice.findUnique({ where: { id: data.id } })) {
    throw new ConflictError(`A practice with id "${data.id}" already exists.`);
  }
  if (await prisma.practice.findUnique({ where: { smsFrom: data.smsFrom } })) {
    throw new ConflictError(
      `Another practice already sends from ${data.smsFrom}; inbound replies could not be routed.`,
    );
  }
  return prisma.practice.create({ data });
}
