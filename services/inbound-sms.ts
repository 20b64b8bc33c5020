import type { Client } from '@temporalio/client';
import type { Prisma, PrismaClient } from '../db/client';
import { isUniqueViolation } from '../db/errors';
import { openAppointmentsOfPhone } from '../db/open-appointments';
import { recordOptIn, recordOptOut } from '../db/opt-outs';
import { parseReply, type ParsedReply } from '../domain/reply-keywords';
import { countSegments } from '../domain/segments';
import { renderMessage, storedTemplates } from '../domain/templates';
import { deliverNow, OUTBOX_GRACE_MS, type OutboxMessage } from './reply-outbox';

export interface InboundSms {
  /** Twilio's MessageSid: a redelivered or replayed webhook carries the same one. */
  providerId: string;
  from: string;
  to: string;
  messagingServiceSid: string | null;
  body: string;
  mediaUrls: string[];
}

export interface InboundOutcome {
  /** Text to answer the sender with (HELP), or null for no reply. */
  reply: string | null;
  /**
   * Another practice that sends from `To` itself, passed over for the practice of the
   * messaging service the message came through: a configuration for the operator to fix.
   */
  passedOver: string | null;
  /** Why some of the reply's signals were left to the reply outbox (Temporal slow or down), or null. */
  deferredBecause: unknown;
}

/**
 * Turns an inbound SMS into its effects: the message log entry, opt-out bookkeeping and the
 * signals to the workflows concerned. All of it is recorded in one transaction before the
 * webhook answers; the signals are then delivered at once when Temporal answers quickly, and
 * by the reply outbox otherwise (services/reply-outbox.ts). Effects apply once per
 * MessageSid: a redelivered or replayed webhook only gets its answer again.
 */
export class InboundSmsService {
  constructor(private readonly deps: { prisma: PrismaClient; temporal: Client }) {}

  async receive(sms: InboundSms): Promise<InboundOutcome | null> {
    const routed = await this.practiceOf(sms);
    if (!routed) return null;
    const { practice, passedOver } = routed;

    const reply = parseReply(sms.body);
    const recorded = await this.record(practice.id, sms, reply);
    // Whatever is not delivered now is in the outbox; the sender gets its answer either way.
    const deferredBecause =
      recorded && recorded.signalTargets.length > 0 ? await deliverNow(this.deps, [recorded]) : null;
    return {
      reply: reply.intent === 'help' ? helpAnswer(practice) : null,
      passedOver,
      deferredBecause,
    };
  }

  /**
   * The practice whose sender is `To`, or the messaging service the message came through.
   * When both name a practice, the service's wins: Twilio names the service only because `To`
   * is one of the numbers in its pool, and the practice sending through the service texts
   * its clients from any of them, so their replies come back to those numbers.
   */
  private async practiceOf(sms: InboundSms) {
    const senders = sms.messagingServiceSid ? [sms.to, sms.messagingServiceSid] : [sms.to];
    const candidates = await this.deps.prisma.practice.findMany({ where: { smsFrom: { in: senders } } });
    const byService = candidates.find((p) => p.smsFrom === sms.messagingServiceSid);
    const byNumber = candidates.find((p) => p.smsFrom === sms.to);
    const practice = byService ?? byNumber;
    if (!practice) return null;
    return { practice, passedOver: byService && byNumber ? byNumber.id : null };
  }

  /**
   * Stores the message with its effects, or returns null when this MessageSid was stored
   * before. Replies from one number are recorded one at a time (a transaction-scoped lock on
   * practice and number) and dated by the database's clock once the lock is held, so their
   * receive times are in the order their effects were applied, whichever API instance took them.
   */
  private async record(practiceId: string, sms: InboundSms, reply: ParsedReply): Promise<OutboxMessage | null> {
    try {
      return await this.deps.prisma.$transaction(async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`${practiceId}\n${sms.from}`}::text, 0))`;
        if (await tx.message.findUnique({ where: { providerId: sms.providerId } })) return null;
        const [{ now }] = await tx.$queryRaw<[{ now: Date }]>`SELECT clock_timestamp() AS now`;

        const open = await openAppointmentsOfPhone(tx, practiceId, sms.from, now);
        const matched = await this.matchAppointment(tx, practiceId, sms.from, open);
        const signalTargets =
          reply.intent === 'opt_out' || reply.intent === 'opt_in'
            ? open.map((a) => a.workflowId)
            : reply.intent === 'confirm' && matched
              ? [matched.workflowId]
              : [];
        const { segments, encoding } = countSegments(sms.body);
        const message = await tx.message.create({
          data: {
            practiceId,
            appointmentId: matched?.id ?? null,
            direction: 'inbound',
            channel: 'sms',
            to: sms.to,
            from: sms.from,
            body: sms.body,
            segments,
            encoding,
            status: 'received',
            providerId: sms.providerId,
            keyword: reply.keyword,
            // Free text is for staff, and so is a "C" that has nothing to confirm.
            needsReview: reply.intent === 'other' || (reply.intent === 'confirm' && !matched),
            mediaUrls: sms.mediaUrls,
            createdAt: now,
            signalTargets,
            effectsDueAt: signalTargets.length > 0 ? new Date(now.getTime() + OUTBOX_GRACE_MS) : null,
          },
        });
        await tx.contact.upsert({
          where: { practiceId_phone: { practiceId, phone: sms.from } },
          create: { practiceId, phone: sms.from, lastInboundAt: now },
          update: { lastInboundAt: now },
        });
        if (reply.intent === 'opt_out') await recordOptOut(tx, practiceId, sms.from, reply.keyword!, now);
        if (reply.intent === 'opt_in') await recordOptIn(tx, practiceId, sms.from, reply.keyword!, now);
        return message;
      });
    } catch (err) {
      // The same MessageSid under another practice or number (not Twilio's doing): it was stored once.
      if (isUniqueViolation(err)) return null;
      throw err;
    }
  }

  /**
   * Among the number's open appointments: the one that most recently texted it; else the
   * next upcoming one; else none.
   */
  private async matchAppointment(
    tx: Prisma.TransactionClient,
    practiceId: string,
    phone: string,
    open: Awaited<ReturnType<typeof openAppointmentsOfPhone>>,
  ) {
    if (open.length === 0) return null;
    const lastOutbound = await tx.message.findFirst({
      where: { practiceId, direction: 'outbound', to: phone, appointmentId: { in: open.map((a) => a.id) } },
      orderBy: { createdAt: 'desc' },
    });
    return open.find((a) => a.id === lastOutbound?.appointmentId) ?? open[0];
  }
}

/** The HELP answer: the practice's name and help phone, in its language. */
function helpAnswer(practice: { name: string; helpPhone: string | null; locale: string; templates: unknown }): string {
  return renderMessage({
    kind: 'help',
    channel: 'sms',
    locale: practice.locale,
    templates: storedTemplates(practice.templates),
    practiceName: practice.name,
    helpPhone: practice.helpPhone,
    clientName: null,
    practitionerName: null,
    appointment: null,
    confirmUrl: null,
  }).body;
}
