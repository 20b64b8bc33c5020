import type { Client } from '@temporalio/client';
import type { Prisma, PrismaClient } from '../db/client';
import { isUniqueViolation } from '../db/errors';
import { appointmentsOfSender, type OpenAppointment } from '../db/open-appointments';
import { isOptedOut, recordOptIn, recordOptOut } from '../db/opt-outs';
import type { AppointmentDetails, RecipientRole } from '../domain/appointment';
import { replyAnswerKind, replyNeedsReview, type OptOutReplies } from '../domain/reply-answer';
import { parseReply, type ParsedReply } from '../domain/reply-keywords';
import { countSegments } from '../domain/segments';
import { templatesOf } from '../domain/practice';
import type { BackgroundWork } from '../lib/background-work';
import type { Logger } from '../lib/logger';
import type { ProductMetrics } from '../lib/metrics';
import { renderMessage, type MessageKind } from '../domain/templates';
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
  /** Text to answer the sender with, or null for no answer. */
  reply: string | null;
  /**
   * Another practice that sends from `To` itself, passed over for the practice of the
   * messaging service the message came through: a configuration for the operator to fix.
   */
  passedOver: string | null;
  /** Why the answer could not be written (its template failed to render), or null: the reply and its effects are stored regardless. */
  unansweredBecause: unknown;
}

type Practice = Prisma.PracticeGetPayload<object>;

/** How a reply changed its number's opt-out, if it did. */
type OptChange = 'opted_out' | 'opted_in' | null;

/** The answer to a reply is logged under this key: a redelivered webhook finds it and answers the same. */
const answerKey = (messageSid: string) => `reply/${messageSid}`;

/**
 * Turns an inbound SMS into its effects: the message log entry, opt-out bookkeeping, the
 * signals to the workflows concerned, and the answer (logged as an outbound message). All of
 * it is recorded in one transaction, and the webhook answers once it is committed; the
 * signals are then delivered in the background, at once when Temporal answers quickly, and by
 * the reply outbox otherwise (services/reply-outbox.ts). Effects apply once per MessageSid: a
 * redelivered or replayed webhook only gets the stored answer again.
 */
export class InboundSmsService {
  constructor(
    private readonly deps: {
      prisma: PrismaClient;
      temporal: Client;
      background: BackgroundWork;
      log: Logger;
      metrics?: ProductMetrics;
    },
  ) {}

  async receive(sms: InboundSms): Promise<InboundOutcome | null> {
    const routed = await this.practiceOf(sms);
    if (!routed) return null;
    const { practice, passedOver } = routed;

    const recorded = await this.record(practice, sms, parseReply(sms.body));
    // Counted once committed, and only when the number's state changed (not a repeated STOP).
    if (recorded.optChange === 'opted_out') this.deps.metrics?.optedOut();
    if (recorded.optChange === 'opted_in') this.deps.metrics?.optedIn();
    if (recorded.outbox && recorded.outbox.signalTargets.length > 0) this.signalSoon(recorded.outbox, sms.providerId);
    return { reply: recorded.answer, passedOver, unansweredBecause: recorded.unansweredBecause };
  }

  /**
   * Delivers the reply's signals after the webhook has answered: the outbox row is committed,
   * so the effects cannot be lost, and the answer does not wait for Temporal (a signal and the
   * workflow task behind it are most of a reply's time under load). Whatever is not delivered
   * now is left to the outbox.
   */
  private signalSoon(message: OutboxMessage, messageSid: string): void {
    this.deps.background.start('delivering the signals of an inbound SMS', async () => {
      const deferredBecause = await deliverNow(this.deps, [message]);
      if (deferredBecause) {
        this.deps.log.warn(
          { err: deferredBecause, messageSid },
          'inbound SMS stored; its effects are left to the reply outbox',
        );
      }
    });
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
   * Stores the message with its effects and its answer. For a MessageSid stored before, stores
   * nothing and returns the answer given then. Replies from one number are recorded one at a
   * time (a transaction-scoped lock on practice and number) and dated by the database's clock
   * once the lock is held, so their receive times are in the order their effects were applied,
   * whichever API instance took them.
   */
  private async record(
    practice: Practice,
    sms: InboundSms,
    reply: ParsedReply,
  ): Promise<{
    outbox: OutboxMessage | null;
    answer: string | null;
    unansweredBecause: unknown;
    optChange: OptChange;
  }> {
    const practiceId = practice.id;
    try {
      return await this.deps.prisma.$transaction(async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`${practiceId}\n${sms.from}`}::text, 0))`;
        // A statement of its own, after the lock: its snapshot then sees a redelivery of this
        // message that another request committed while this one waited.
        const [{ now, earlierPracticeId, earlierFrom }] = await tx.$queryRaw<
          [{ now: Date; earlierPracticeId: string | null; earlierFrom: string | null }]
        >`
          SELECT clock_timestamp() AS now, m.practice_id AS "earlierPracticeId", m."from" AS "earlierFrom"
          FROM (SELECT 1) AS one LEFT JOIN messages m ON m.provider_id = ${sms.providerId}`;
        if (earlierPracticeId !== null) {
          // The same request again: its answer, never another number's (a replay with another From).
          const sameSender = earlierPracticeId === practiceId && earlierFrom === sms.from;
          const answered = sameSender
            ? await tx.message.findUnique({ where: { idempotencyKey: answerKey(sms.providerId) } })
            : null;
          return { outbox: null, answer: answered?.body ?? null, unansweredBecause: null, optChange: null };
        }

        const { sender, open, matched } = await appointmentsOfSender(tx, practiceId, sms.from, now);

        // Only a client's keywords reach workflows; a practitioner's STOP is about their own number.
        const signalTargets =
          sender !== 'client'
            ? []
            : reply.intent === 'opt_out' || reply.intent === 'opt_in'
              ? open.map((a) => a.workflowId)
              : reply.intent === 'confirm' && matched
                ? [matched.workflowId]
                : [];
        const situation = { intent: reply.intent, sender, matched: matched !== null };
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
            // For an inbound message, who sent it: the matched appointment's client or practitioner.
            recipient: sender,
            needsReview: replyNeedsReview(situation),
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
        let optChange: OptChange = null;
        if (reply.intent === 'opt_out' && (await recordOptOut(tx, practiceId, sms.from, reply.keyword!, now)))
          optChange = 'opted_out';
        if (reply.intent === 'opt_in' && (await recordOptIn(tx, practiceId, sms.from, reply.keyword!, now)))
          optChange = 'opted_in';

        const kind = replyAnswerKind({
          ...situation,
          optOutReplies: practice.optOutReplies as OptOutReplies,
          optedOut: await isOptedOut(tx, practiceId, sms.from),
        });
        if (!kind) return { outbox: message, answer: null, unansweredBecause: null, optChange };
        let answer: string;
        try {
          answer = this.answerText(practice, kind, sender === 'client' ? matched : null);
        } catch (err) {
          // A template that cannot be rendered must not cost the reply its effects (a STOP above all).
          return { outbox: message, answer: null, unansweredBecause: err, optChange };
        }
        await this.logAnswer(tx, { practiceId, sms, now, answer, appointmentId: matched?.id ?? null, sender });
        return { outbox: message, answer, unansweredBecause: null, optChange };
      });
    } catch (err) {
      // The same MessageSid under another practice (not Twilio's doing): it was stored once, and
      // its answer is not this sender's to see.
      if (isUniqueViolation(err)) return { outbox: null, answer: null, unansweredBecause: null, optChange: null };
      throw err;
    }
  }

  /**
   * The answer in the language of the appointment's client (else the practice's). Only the
   * acknowledgement names an appointment: the client's, the one the "C" confirmed.
   */
  private answerText(practice: Practice, kind: MessageKind, clientAppointment: OpenAppointment | null): string {
    const details = clientAppointment?.details as AppointmentDetails | null | undefined;
    return renderMessage({
      kind,
      channel: 'sms',
      locale: details?.client?.locale ?? practice.locale,
      templates: templatesOf(practice),
      practiceName: practice.name,
      helpPhone: practice.helpPhone,
      clientName: details?.client?.name ?? null,
      practitionerName: details?.practitioner?.name ?? null,
      appointment:
        kind === 'confirmation_ack' && clientAppointment
          ? {
              startsAt: clientAppointment.startsAt.toISOString(),
              timeZone: clientAppointment.timeZone,
              location: details?.location ?? null,
            }
          : null,
      confirmUrl: null,
    }).body;
  }

  /**
   * The answer in the message log, with the reply it answers. Twilio sends an answer given in
   * the webhook's TwiML itself and tells us no MessageSid for it, so the row is `sent` as of
   * now and never hears of its delivery; it is dated just after the reply so every log lists
   * it second.
   */
  private async logAnswer(
    tx: Prisma.TransactionClient,
    answer: {
      practiceId: string;
      sms: InboundSms;
      now: Date;
      answer: string;
      appointmentId: string | null;
      sender: RecipientRole | null;
    },
  ): Promise<void> {
    const at = new Date(answer.now.getTime() + 1);
    const { segments, encoding } = countSegments(answer.answer);
    await tx.message.create({
      data: {
        practiceId: answer.practiceId,
        appointmentId: answer.appointmentId,
        direction: 'outbound',
        channel: 'sms',
        to: answer.sms.from,
        from: answer.sms.to,
        body: answer.answer,
        segments,
        encoding,
        status: 'sent',
        statusHistory: [{ status: 'sent', at: at.toISOString(), errorCode: null }],
        idempotencyKey: answerKey(answer.sms.providerId),
        purpose: 'reply',
        recipient: answer.sender ?? 'client',
        createdAt: at,
        sentAt: at,
      },
    });
  }
}
