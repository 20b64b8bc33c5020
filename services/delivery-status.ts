import type { Client } from '@temporalio/client';
import type { Prisma, PrismaClient } from '../db/client';
import { withStatusChange } from '../db/status-history';
import {
  decideStatus,
  fromSendGridEvent,
  fromTwilioCallback,
  type SendGridEvent,
  type StatusChange,
  type StatusReport,
} from '../domain/delivery-status';
import { isUuid } from '../domain/fields';
import { explainTwilioErrorCode } from '../gateways/twilio-errors';
import type { ProductMetrics } from '../lib/metrics';
import { deliverNow, OUTBOX_GRACE_MS, type OutboxMessage } from './reply-outbox';

/** Which message a report is about, as the provider names it. */
type MessageRef = { channel: 'sms' | 'email'; id: string | null; providerId: string | null };

/** What became of one report. */
export type ReportEffect =
  /** The message moved forward. */
  | 'recorded'
  /** A repeat, or older than what the message already says. */
  | 'unchanged'
  /** A status that says nothing about delivery (Twilio's `canceled`, SendGrid's `open`, …). */
  | 'ignored'
  /** No outbound message of ours has this id: another system's, or one whose row is gone. */
  | 'unknown';

export interface ReportsOutcome {
  effects: ReportEffect[];
  /** The provider's ids of the reports about messages we do not know, for the log. */
  unknown: string[];
  /** Why some delivery reports were left to the outbox (Temporal slow or down), or null. */
  deferredBecause: unknown;
}

/**
 * Records the providers' delivery status reports on the message log. Each report is applied
 * in its own transaction with the message's row locked, so reports that arrive together are
 * applied one after the other and the status only moves forward (domain/delivery-status.ts).
 * When a reminder's delivery succeeds or fails for good, the same transaction stores its
 * workflow as the row's signal target; the `deliveryReport` signal is then sent at once
 * within a short bound, and by the outbox (services/reply-outbox.ts) otherwise. A report about
 * a message we do not know changes nothing and is acknowledged, so the provider stops
 * retrying it.
 */
export class DeliveryStatusService {
  constructor(private readonly deps: { prisma: PrismaClient; temporal: Client; metrics?: ProductMetrics }) {}

  /** A Twilio status callback; the message is found by its MessageSid. */
  async recordTwilioCallback(fields: {
    MessageSid: string;
    MessageStatus: string;
    ErrorCode?: string;
  }): Promise<ReportsOutcome> {
    const report = fromTwilioCallback(fields, explainTwilioErrorCode);
    return this.recordAll([{ ref: { channel: 'sms', id: null, providerId: fields.MessageSid }, report }]);
  }

  /**
   * A batch of SendGrid events. The message is found by our id, which the email carries as
   * the custom arg `message_id`, else by SendGrid's message id up to its first '.' (the
   * X-Message-Id its send answered with, our provider id).
   */
  async recordSendGridEvents(events: SendGridEvent[]): Promise<ReportsOutcome> {
    return this.recordAll(
      events.map((event) => ({
        ref: {
          channel: 'email' as const,
          id: typeof event.message_id === 'string' && isUuid(event.message_id) ? event.message_id : null,
          providerId:
            typeof event.sg_message_id === 'string' && event.sg_message_id !== ''
              ? event.sg_message_id.split('.')[0]
              : null,
        },
        report: fromSendGridEvent(event),
      })),
    );
  }

  private async recordAll(reports: Array<{ ref: MessageRef; report: StatusReport | null }>): Promise<ReportsOutcome> {
    const effects: ReportEffect[] = [];
    const unknown: string[] = [];
    const toSignal: OutboxMessage[] = [];
    for (const { ref, report } of reports) {
      if (!report) {
        effects.push('ignored');
        continue;
      }
      const { effect, signal } = await this.record(ref, report);
      effects.push(effect);
      if (effect === 'unknown') unknown.push(ref.providerId ?? ref.id ?? '(none)');
      if (signal) toSignal.push(signal);
    }
    return { effects, unknown, deferredBecause: await deliverNow(this.deps, toSignal) };
  }

  private async record(
    ref: MessageRef,
    report: StatusReport,
  ): Promise<{ effect: ReportEffect; signal: OutboxMessage | null }> {
    const { settled, ...recorded } = await this.deps.prisma.$transaction(async (tx) => {
      const current = await lockMessage(tx, ref);
      if (!current) return { effect: 'unknown' as const, signal: null, settled: null };
      const decision = decideStatus(current.status, report.status);
      if (!decision.advances) return { effect: 'unchanged' as const, signal: null, settled: null };

      const [{ now }] = await tx.$queryRaw<[{ now: Date }]>`SELECT clock_timestamp() AS now`;
      const entry: StatusChange = {
        status: report.status,
        at: (report.at ?? now).toISOString(),
        errorCode: report.errorCode,
      };
      // Only a reminder's failure matters to its workflow (it may fall back to email); a
      // delivery, and other messages (replies, cancellation notices, custom messages), are for
      // the message log alone, which the view reads deliveries from.
      const target =
        decision.outcome === 'failed' && current.reminderId && current.workflowId ? current.workflowId : null;
      const updated = await tx.message.update({
        where: { id: current.id },
        data: {
          status: report.status,
          errorCode: report.errorCode,
          errorMessage: report.explanation,
          statusHistory: withStatusChange(current.statusHistory, entry),
          ...(target ? { signalTargets: [target], effectsDueAt: new Date(now.getTime() + OUTBOX_GRACE_MS) } : {}),
        },
      });
      return {
        effect: 'recorded' as const,
        signal: target ? updated : null,
        settled: decision.outcome && { outcome: decision.outcome, channel: current.channel, purpose: current.purpose },
      };
    });
    // decideStatus names an outcome once per message (the first report that settles it), and
    // only once the transaction committed is it the message's.
    if (settled) {
      const labels = { channel: settled.channel, purpose: settled.purpose ?? 'unknown' };
      if (settled.outcome === 'delivered') this.deps.metrics?.messageDelivered(labels);
      else this.deps.metrics?.messageFailed({ ...labels, reason: 'undelivered' });
    }
    return recorded;
  }
}

interface LockedMessage {
  id: string;
  channel: string;
  purpose: string | null;
  status: string;
  statusHistory: unknown;
  reminderId: string | null;
  workflowId: string | null;
}

/** The outbound message a report names, locked until the transaction ends; our id first, then the provider's. */
async function lockMessage(tx: Prisma.TransactionClient, ref: MessageRef): Promise<LockedMessage | null> {
  const outbound = { direction: 'outbound', channel: ref.channel };
  const select = { id: true } as const;
  const found =
    (ref.id === null ? null : await tx.message.findFirst({ where: { id: ref.id, ...outbound }, select })) ??
    (ref.providerId === null
      ? null
      : await tx.message.findFirst({ where: { providerId: ref.providerId, ...outbound }, select }));
  if (!found) return null;
  const [locked] = await tx.$queryRaw<LockedMessage[]>`
    SELECT m.id, m.channel, m.purpose, m.status, m.status_history AS "statusHistory", m.reminder_id AS "reminderId",
      a.workflow_id AS "workflowId"
    FROM messages m LEFT JOIN appointments a ON a.id = m.appointment_id
    WHERE m.id = ${found.id}::uuid
    FOR UPDATE OF m`;
  return locked ?? null;
}
