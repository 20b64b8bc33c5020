import type { PrismaClient } from '../db/client';
import { endUnsentMessage } from '../db/custom-messages';
import type { RecordCustomMessageEndInput } from './contracts';

/** The custom message workflow's record of an end no send wrote (cancelled, opted out, gave up). */
export function createCustomMessageActivities({ prisma }: { prisma: PrismaClient }) {
  async function recordCustomMessageEnd(input: RecordCustomMessageEndInput): Promise<void> {
    await endUnsentMessage(prisma, input.messageId, input);
  }
  return { recordCustomMessageEnd };
}
