import { withStatusChange } from './status-history';
import type { Prisma } from './client';

// The end of a custom message that never reached a provider (cancelled, skipped for an
// opt-out, failed without an answer), written by the workflow's activity and, for a cancel,
// by the API right away so its answer shows it. Either may come first; both write the same.

/** Statuses in which no provider holds the message (and none of our ends is written yet). */
const UNSENT = ['scheduled', 'pending', 'sending', 'retrying'];

export interface UnsentEnd {
  status: 'cancelled' | 'skipped' | 'failed';
  errorCode: string | null;
  explanation: string | null;
}

/** Records the end once; a row that was sent, or already ended, is left as it is. */
export async function endUnsentMessage(db: Prisma.TransactionClient, messageId: string, end: UnsentEnd): Promise<void> {
  const row = await db.message.findUnique({ where: { id: messageId } });
  if (!row || row.providerId || !UNSENT.includes(row.status)) return;
  // Conditional on the status read: a send or another end that got there first wins.
  await db.message.updateMany({
    where: { id: messageId, status: row.status, providerId: null },
    data: {
      status: end.status,
      errorCode: end.errorCode,
      errorMessage: end.explanation,
      statusHistory: withStatusChange(row.statusHistory, {
        status: end.status,
        at: new Date().toISOString(),
        errorCode: end.errorCode,
      }),
    },
  });
}
