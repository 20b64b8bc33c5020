import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { PrismaClient } from '../db/client';
import { deliveryOutcome, statusHistoryOf } from '../domain/delivery-status';
import { parseReply } from '../domain/reply-keywords';
import type { Logger } from '../lib/logger';
import { runPeriodically } from '../lib/periodic';
import { isTemporalUnavailable } from './temporal-errors';
import {
  deliveryReportSignal,
  inboundReplySignal,
  type DeliveryReport,
  type InboundReply,
} from '../workflows/messages';

// The reply outbox, which also carries delivery reports. A message's row in `messages` is
// stored in the same transaction as the list of workflows its signal must reach
// (`signal_targets`) and the time the outbox should look at it (`effects_due_at`): an inbound
// reply with its effects (services/inbound-sms.ts), an outbound reminder once its delivery
// succeeded or failed for good (services/delivery-status.ts). The webhook delivers the signals
// at once, within a short bound, and answers the provider whether or not Temporal took them;
// whatever is left is delivered by `drainReplyOutbox`, which every worker runs
// (`startReplyOutbox`). A target leaves the list only when its workflow took the signal or no
// longer exists, so an answered webhook always has its effect. The signal is built from the
// row, so a drain sends what the webhook would have. A signal may reach a workflow twice (the
// webhook and a drain that took over after a crash); the workflow ignores a reply or a
// delivery report whose messageId it has seen.

export interface OutboxDependencies {
  prisma: PrismaClient;
  temporal: Client;
}

/** A message as the outbox needs it: an inbound reply or an outbound message's delivery outcome. */
export interface OutboxMessage {
  id: string;
  direction: string;
  /** The number that sent a reply: an opt-out only changes the workflow's client while it is theirs. */
  from: string;
  body: string;
  createdAt: Date;
  signalTargets: string[];
  /** Outbound: where its delivery ended, with the provider's code, the explanation and the history of its statuses. */
  status: string;
  errorCode: string | null;
  errorMessage: string | null;
  statusHistory: unknown;
}

/** How long a webhook tries to deliver a message's signals itself before leaving them to the outbox. */
export const INLINE_DELIVERY_MS = 2_000;

/**
 * How long after storing a message's signals the outbox first looks at it: the webhook's own attempt has
 * ended by then (or its process died), so the two rarely signal the same workflow.
 */
export const OUTBOX_GRACE_MS = 10_000;

export interface DeliveryResult {
  /** Workflow ids still to be signalled. */
  remaining: string[];
  /** Why the first of them failed. */
  error: unknown;
  /** Temporal did not answer in time or could not be reached: trying more workflows now is pointless. */
  unreachable: boolean;
}

/**
 * Signals every remaining target of a message, each within `perSignalMs` and all of them
 * before `until` (epoch ms). A workflow that refuses the signal does not stop the others; only
 * an unreachable Temporal ends the attempt early. A target is crossed off in the database as
 * soon as its workflow took the signal or is found finished; a "C" whose workflow is
 * finished confirms nothing and is flagged for staff.
 */
async function deliverSignals(
  { prisma, temporal }: OutboxDependencies,
  message: OutboxMessage,
  bounds: { perSignalMs: number; until: number },
): Promise<DeliveryResult> {
  const signal = signalOf(message);
  const remaining: string[] = [];
  let error: unknown = null;
  for (const [index, workflowId] of message.signalTargets.entries()) {
    const deadline = Math.min(bounds.until, Date.now() + bounds.perSignalMs);
    let finished = false;
    try {
      if (!signal) throw new Error(`message ${message.id} has signal targets but nothing to signal them`);
      if (deadline <= Date.now()) throw new Error('no time left to signal in this attempt');
      const handle = temporal.workflow.getHandle(workflowId);
      await temporal.connection.withDeadline(deadline, () =>
        signal.kind === 'reply'
          ? handle.signal(inboundReplySignal, signal.reply)
          : handle.signal(deliveryReportSignal, signal.report),
      );
    } catch (err) {
      // Not found is final only for a workflow that ran: one whose start is not confirmed yet
      // is started by the repair, and tried again then.
      finished = err instanceof WorkflowNotFoundError && !(await startPending(prisma, workflowId));
      if (!finished) {
        error ??= err;
        if (isTemporalUnavailable(err)) {
          return { remaining: [...remaining, ...message.signalTargets.slice(index)], error, unreachable: true };
        }
        remaining.push(workflowId);
        continue;
      }
    }
    const flag = finished && signal?.kind === 'reply' && signal.reply.intent === 'confirm';
    await prisma.$executeRaw`
      UPDATE messages SET
        signal_targets = array_remove(signal_targets, ${workflowId}::text),
        needs_review = needs_review OR ${flag}::boolean,
        effects_due_at = CASE WHEN array_remove(signal_targets, ${workflowId}::text) = '{}' THEN NULL ELSE effects_due_at END,
        updated_at = clock_timestamp()
      WHERE id = ${message.id}::uuid`;
  }
  return { remaining, error, unreachable: false };
}

/** Whether the appointment behind this workflow id exists but its workflow was never confirmed started. */
async function startPending(prisma: PrismaClient, workflowId: string): Promise<boolean> {
  const row = await prisma.appointment.findUnique({ where: { workflowId }, select: { workflowStartedAt: true } });
  return row !== null && row.workflowStartedAt === null;
}

type OutboxSignal = { kind: 'reply'; reply: InboundReply } | { kind: 'deliveryReport'; report: DeliveryReport };

/** The signal a stored message carries, or null when it carries none (which is a bug where it has targets). */
function signalOf(message: OutboxMessage): OutboxSignal | null {
  if (message.direction === 'outbound') {
    const report = deliveryReportOf(message);
    return report && { kind: 'deliveryReport', report };
  }
  const { intent, keyword } = parseReply(message.body);
  if (intent !== 'confirm' && intent !== 'opt_out' && intent !== 'opt_in') return null;
  // Its time is when we received it, so the workflow can order replies.
  return {
    kind: 'reply',
    reply: {
      intent,
      keyword: keyword ?? '',
      messageId: message.id,
      receivedAt: message.createdAt.toISOString(),
      from: message.from,
    },
  };
}

/**
 * An outbound message's delivery outcome, from the status that first reached it in its history:
 * its time and code stay those of the delivery or failure even after a later `read` or spam
 * report. A failure is final, so the row's explanation is still the failure's.
 */
function deliveryReportOf(message: OutboxMessage): DeliveryReport | null {
  const outcome = deliveryOutcome(message.status);
  const reached = statusHistoryOf(message.statusHistory).find((entry) => deliveryOutcome(entry.status) === outcome);
  if (!outcome || !reached) return null;
  return {
    messageId: message.id,
    outcome,
    errorCode: reached.errorCode,
    explanation: outcome === 'failed' ? message.errorMessage : null,
    at: reached.at,
  };
}

/**
 * What a webhook does once it has stored messages with signal targets: delivers their signals
 * at once, all within INLINE_DELIVERY_MS, and leaves whatever is left to the outbox. Never
 * throws: everything is already stored. Returns why something was left, or null.
 */
export async function deliverNow(deps: OutboxDependencies, messages: OutboxMessage[]): Promise<unknown> {
  const until = Date.now() + INLINE_DELIVERY_MS;
  let deferredBecause: unknown = null;
  for (const message of messages) {
    try {
      const { remaining, error, unreachable } = await deliverSignals(deps, message, {
        perSignalMs: INLINE_DELIVERY_MS,
        until,
      });
      if (remaining.length > 0) deferredBecause ??= error;
      if (unreachable) break;
    } catch (err) {
      // The database, after the messages were stored: the outbox takes it from here.
      deferredBecause ??= err;
    }
  }
  return deferredBecause;
}

export interface DrainOptions extends OutboxDependencies {
  log: Logger;
  /** Messages taken per round. */
  batchSize?: number;
  /** How long a taken message stays invisible to other workers; after it, a crashed worker's messages are taken over. */
  leaseMs?: number;
  /** When a message with undelivered signals is tried again. */
  retryDelayMs?: number;
  /** The bound of one signal call. */
  perSignalMs?: number;
}

export interface DrainResult {
  /** Messages taken in this round. */
  taken: number;
  /** Of those, messages whose signals are not all delivered yet (retried after `retryDelayMs`). */
  stillPending: number;
}

/**
 * One round of the outbox: takes up to `batchSize` messages that are due and delivers their
 * signals, oldest first. Safe to run in several processes at once: a message is taken
 * with `FOR UPDATE SKIP LOCKED` and leased (its due time moves `leaseMs` ahead), so two
 * workers never work on the same message unless a lease ran out.
 */
export async function drainReplyOutbox(options: DrainOptions): Promise<DrainResult> {
  const { prisma, log, batchSize = 50, leaseMs = 60_000, retryDelayMs = 5_000, perSignalMs = 5_000 } = options;
  const taken = await prisma.$queryRaw<OutboxMessage[]>`
    UPDATE messages SET effects_due_at = clock_timestamp() + make_interval(secs => ${leaseMs / 1000}::float8)
    WHERE id IN (
      SELECT id FROM messages WHERE effects_due_at <= clock_timestamp()
      ORDER BY effects_due_at LIMIT ${batchSize}::int FOR UPDATE SKIP LOCKED)
    RETURNING id, direction, "from", body, created_at AS "createdAt", signal_targets AS "signalTargets",
      status, error_code AS "errorCode", error_message AS "errorMessage", status_history AS "statusHistory"`;
  taken.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  const retryLater = (ids: string[]) => prisma.$executeRaw`
    UPDATE messages SET effects_due_at = clock_timestamp() + make_interval(secs => ${retryDelayMs / 1000}::float8)
    WHERE id = ANY(${ids}::uuid[]) AND cardinality(signal_targets) > 0`;
  let stillPending = 0;
  for (const [index, message] of taken.entries()) {
    const { remaining, error, unreachable } = await deliverSignals(options, message, {
      perSignalMs,
      until: Number.POSITIVE_INFINITY,
    });
    if (remaining.length === 0) continue;
    if (unreachable) {
      // Every other message of this round would wait out the same deadline: leave them for the next one.
      const untried = taken.slice(index).map((m) => m.id);
      await retryLater(untried);
      log.warn(
        { messages: untried.length, workflowIds: remaining, err: error },
        'Temporal is unreachable; the reply outbox tries again later',
      );
      return { taken: taken.length, stillPending: stillPending + untried.length };
    }
    stillPending += 1;
    await retryLater([message.id]);
    log.warn(
      { messageId: message.id, workflowIds: remaining, err: error },
      'signals of a message not yet delivered to every workflow; the outbox retries it',
    );
  }
  return { taken: taken.length, stillPending };
}

/**
 * Runs the outbox in this process until the returned function is called; that function
 * resolves once the round in progress has ended. `worker.ts` starts it next to the worker:
 * `const stopOutbox = startReplyOutbox({ prisma, temporal: new Client({ connection, namespace }), log })`,
 * and `await stopOutbox()` after `worker.run()` returns. A failed round (database down) is
 * logged and the next one runs as usual.
 */
export function startReplyOutbox(options: DrainOptions & { intervalMs?: number }): () => Promise<void> {
  const { intervalMs = 1_000, batchSize = 50, log } = options;
  return runPeriodically(async () => {
    try {
      // A full batch means more may be due: go on at once.
      return (await drainReplyOutbox({ ...options, batchSize })).taken === batchSize ? 0 : intervalMs;
    } catch (err) {
      log.error({ err }, 'reply outbox round failed; trying again');
      return intervalMs;
    }
  });
}
