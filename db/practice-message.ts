import { isUuid } from '../domain/fields';
import { NotFoundError } from '../lib/errors';
import type { PrismaClient } from './client';

export type MessageRow = NonNullable<Awaited<ReturnType<PrismaClient['message']['findUnique']>>>;

/** A message of the practice, by its id; another practice's, or an id that is no message id, is a 404. */
export async function practiceMessage(
  prisma: PrismaClient,
  practiceId: string,
  messageId: string,
): Promise<MessageRow> {
  const row = isUuid(messageId) ? await prisma.message.findFirst({ where: { id: messageId, practiceId } }) : null;
  if (!row) throw new NotFoundError(`No message "${messageId}".`);
  return row;
}
