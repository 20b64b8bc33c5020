import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure, CancelledFailure, Context, log } from '@temporalio/activity';
import type { Prisma, PrismaClient } from '../db/client';
import type { Channel, ReminderReason } from '../domain/appointment';
import { startsInFuture } from '../domain/appointment-time';
import { statusHistoryOf, type StatusChange } from '../domain/delivery-status';
import { GatewayError, type MessageGateway, type SentMessage } from '../gateways/message-gateway';
import { isUniqueViolation } from '../db/errors';
import { isOptedOut } from '../db/opt-outs';
import { chargeSms, refundSms } from '../db/sms-budget';
import { withStatusChange } from '../db/status-history';
import type { ProductMetrics } from '../lib/metrics';
import { compose as composeMessage, type ComposedMessage } from './compose-message';
import {
  FINAL_LOOK_MS,
  SEND_REJECTED,
  type SendMessageInput,
  type SendRejection,
  type SendResult,
  type SettleUnknownSendInput,
  type SettleUnknownSendResult,
} from './contracts';

// Exactly-once sends on top of at-least-once activities, one path for SMS and email. The
// message row, unique on the idempotency key, is claimed before the gateway is called, and
// its status says what the provider may hold:
// - a row with a provider id was sent: answer with it, never send again;
// - `pending`: no attempt can have reached the provider (none called it, or one was refused
//   in a way that proves it, after any earlier unknown outcome had been checked): send;
// - `sending` (an attempt died while calling the provider) or `retrying` (a timeout, a lost
//   connection or a 5xx: the provider may have queued it anyway): the outcome is unknown, so
//   ask the provider first and adopt its message if it has one.
// A provider message is adopted only if no other row owns it: two reminders of one
// appointment have the same text, so Twilio cannot tell them apart, but the rows can.
// SendGrid finds an email by our row id (custom args), so there the match is exact.

const PENDING = 'pending';
const SENDING = 'sending';
const RETRYING = 'retrying';
const FAILED = 'failed';
const TOO_LATE = 'too_late';
/** Never handed to the provider, for the reason in its error code (today only CREDIT_EXHAUSTED). */
const NOT_SENT = 'not_sent';
/** The practice's monthly SMS budget had no room for the message. */
const CREDIT_EXHAUSTED = 'CREDIT_EXHAUSTED';

/** Reminder reasons for the refusals staff can act on; other codes read as `rejected`. */
const REASON_BY_CODE: Record<string, ReminderReason> = {
  '21211': 'invalid_number',
  '21614': 'not_mobile',
  '21610': 'unsubscribed',
  EMAIL_ACTIVITY_UNAVAILABLE: 'outcome_unknown',
};

function reasonFor(code: string): ReminderReason {
  return REASON_BY_CODE[code] ?? 'rejected';
}

/** The practice has no email sender; set with `practice update --email-from`. */
const NO_EMAIL_SENDER = 'NO_EMAIL_SENDER';

/** How far before a claim the provider is searched, to absorb clock skew between us and it. */
const RECONCILE_SKEW_MS = 5 * 60_000;

/**
 * What an attempt keeps in hand beyond a whole gateway call when deciding whether it may
 * still send: the time between Temporal starting the attempt and this code running, and
 * the write that records the answer.
 */
export const SEND_RESERVE_MS = 5_000;

/**
 * The longest the record of a message the provider took waits for sends queued behind the
 * gateway's connection limit (part of SEND_RESERVE_MS). When a thousand reminders fall due at
 * one instant most of them wait there, and recording each answer first held back the calls
 * behind it (README, Performance). Bounded, so a saturated gateway cannot hold records back.
 */
export const RECORD_YIELD_MAX_MS = 1_000;

/**
 * The database time an attempt is sized for (about ten short queries and writes, with room
 * for a busy pool). Only sizing: the reserve check before a send is what enforces the order.
 */
export const ATTEMPT_DATABASE_ALLOWANCE_MS = 10_000;

/** How often a running attempt heartbeats, well inside SMS_SEND_HEARTBEAT_TIMEOUT_MS. */
const HEARTBEAT_EVERY_MS = 5_000;

type MessageRow = Awaited<ReturnType<PrismaClient['message']['findUniqueOrThrow']>>;

export interface SendDependencies {
  prisma: PrismaClient;
  sms: MessageGateway;
  email: MessageGateway;
  /** Where providers and clients reach the API (status callbacks, confirm links), and the links' secret. */
  links: { publicBaseUrl: string; signingSecret: string };
  /** Counts each message sent or refused, once (the worker's; absent, nothing is counted). */
  metrics?: ProductMetrics;
}

export function createSendActivities({ prisma, sms, email, links, metrics }: SendDependencies) {
  const gateways: Record<Channel, MessageGateway> = { sms, email };

  /** A reminder, fallback or notice by SMS (to a phone number). */
  function sendSms(input: SendMessageInput): Promise<SendResult> {
    return send('sms', input);
  }

  /** The same by email (to an address), with a confirm link in client reminders. */
  function sendEmail(input: SendMessageInput): Promise<SendResult> {
    return send('email', input);
  }

  async function send(channel: Channel, input: SendMessageInput): Promise<SendResult> {
    const context = Context.current();
    // The attempt must be over before Temporal could start another: by its start-to-close,
    // and by its heartbeat timeout should no heartbeat after this first one get through.
    // Temporal started the attempt a moment before this line, so the deadline is a little
    // generous; SEND_RESERVE_MS covers that.
    const { startToCloseTimeoutMs, heartbeatTimeoutMs } = context.info;
    const deadline = Date.now() + Math.min(startToCloseTimeoutMs, heartbeatTimeoutMs || Infinity);
    // A live attempt that takes a while keeps saying so (the worker flushes heartbeats within
    // a second); a quick one, the usual, sends none: a heartbeat that reaches the server is a
    // billed action. None while it waits for its due instant, but one just before (waitUntilDue).
    const pacing = { waiting: false };
    const alive = setInterval(() => {
      if (!pacing.waiting) context.heartbeat();
    }, HEARTBEAT_EVERY_MS);
    try {
      return await attempt(gateways[channel], input, context, deadline, pacing);
    } finally {
      clearInterval(alive);
    }
  }

  /**
   * A send handed over ahead of its due instant waits for it here, with everything prepared,
   * so the gateway is called on time however many fall due at once. Shortly before the
   * instant it heartbeats once: the answer says whether the workflow stopped the send meanwhile
   * (a change, a cancellation), which the check after this wait then honours; and it asks
   * `stopsAtFinalLook` (true: the send is not made, and this answers false).
   */
  async function waitUntilDue(
    dueMs: number,
    context: Context,
    pacing: { waiting: boolean },
    stopsAtFinalLook: () => Promise<boolean>,
  ): Promise<boolean> {
    pacing.waiting = true;
    try {
      if (dueMs - FINAL_LOOK_MS > Date.now()) {
        await sleepUnlessCancelled(dueMs - FINAL_LOOK_MS - Date.now(), context);
        context.heartbeat('final look');
        if (await stopsAtFinalLook()) return false;
      }
      await sleepUnlessCancelled(dueMs - Date.now(), context);
      return true;
    } finally {
      pacing.waiting = false;
    }
  }

  async function attempt(
    gateway: MessageGateway,
    input: SendMessageInput,
    context: Context,
    deadline: number,
    pacing: { waiting: boolean },
  ): Promise<SendResult> {
    const channel = gateway.channel;
    const existing = await prisma.message.findUnique({ where: { idempotencyKey: input.idempotencyKey } });
    if (existing?.providerId) return { outcome: 'sent', messageId: existing.id, providerId: existing.providerId };
    if (existing?.status === FAILED)
      throw rejection(channel, existing.id, existing.errorCode ?? 'unknown', existing.errorMessage ?? '');
    if (existing?.status === TOO_LATE) return { outcome: 'too_late' };
    if (existing?.status === NOT_SENT && existing.errorCode === CREDIT_EXHAUSTED)
      return { outcome: 'credit_exhausted' };
    if (existing && (existing.status === SENDING || existing.status === RETRYING)) {
      context.heartbeat('reconciling');
      const adopted = await adoptOrRefuse(gateway, existing, input);
      if (adopted) return adopted;
    }
    // Opt-outs are replies to texts: they stop SMS, not email.
    if (channel === 'sms' && (await isOptedOut(prisma, input.practiceId, input.to))) return { outcome: 'opted_out' };

    // From here on the provider holds nothing of this row: what goes out is built from the
    // details as they are now, which a reschedule or a new number may have changed since
    // an earlier attempt.
    const content = await compose(channel, input);
    const row = existing ?? (await claim(channel, input, content));
    const from = content.from;
    if (from === null) {
      const explanation = 'The practice has no email sender address: set it with `practice update --email-from`.';
      await markRefused(row, NO_EMAIL_SENDER, explanation);
      throw rejection(channel, row.id, NO_EMAIL_SENDER, explanation);
    }
    // The activity's own clock, right before the gateway: a worker that was down across the
    // start, or retries that ran up to it, must not text about an appointment already begun.
    const startsAt = await startOf(input, row);
    if (startsAt !== null && !startsInFuture(startsAt, new Date())) {
      await refundSms(prisma, row.id, new Date());
      await markEnded(row, TOO_LATE, null, 'Not sent: the appointment had already started.');
      return { outcome: 'too_late' };
    }

    // Charged before the provider can have it, so concurrent sends cannot overspend; a retry
    // of a charged row is not charged again. Only sends the provider provably never took
    // give their charge back (below), so the month counts what Twilio may bill.
    if (channel === 'sms' && content.segments !== null) {
      const charge = await chargeSms(prisma, { messageId: row.id, segments: content.segments, at: new Date() });
      if (charge.outcome === 'exhausted') {
        const explanation = `Not sent: the practice's monthly SMS budget (${charge.budget} segments) is used up.`;
        await markEnded(row, NOT_SENT, CREDIT_EXHAUSTED, explanation);
        return { outcome: 'credit_exhausted' };
      }
    }

    await prisma.message.update({ where: { id: row.id }, data: { ...content, from, status: SENDING } });
    // Marked `sending` before the wait: at the instant only the gateway call remains. An attempt
    // that dies waiting leaves the row `sending`, so its retry asks the provider first. The
    // instant is waited for only if a whole gateway call still fits after it (it always does
    // when the workflow handed the send over early: domain/hand-over.ts); further ahead, the
    // workflow's clock is not this one (a worker whose clock lags the server's, or a test
    // server skipping time), and the send goes at once.
    const dueMs = input.notBefore ? Date.parse(input.notBefore) : 0;
    if (dueMs > Date.now() && dueMs + gateway.sendTimeoutMs + SEND_RESERVE_MS <= deadline) {
      // Its opt-out check is up to a lead behind it: a STOP that came meanwhile is looked for
      // again at the final look, spread ahead of the instant rather than on it.
      const optedOutSince = async () => channel === 'sms' && (await isOptedOut(prisma, input.practiceId, input.to));
      if (!(await waitUntilDue(dueMs, context, pacing, optedOutSince))) {
        await markPending(row.id);
        return { outcome: 'opted_out' };
      }
    }
    // Last look before the provider: the workflow may have cancelled this send (the reminder
    // is no longer wanted, or its details changed), and a create must end before Temporal
    // could start the next attempt, or the two could overlap.
    if (context.cancellationSignal.aborted) {
      await markPending(row.id);
      throw new CancelledFailure('The send was cancelled before the gateway was called.');
    }
    if (Date.now() + gateway.sendTimeoutMs + SEND_RESERVE_MS > deadline) {
      await markPending(row.id);
      throw ApplicationFailure.retryable(
        'Not sent: too little of this attempt was left to wait for the gateway; the next attempt will send it.',
        'SendAttemptOutOfTime',
      );
    }

    let sent: SentMessage;
    try {
      sent = await gateway.send({
        to: content.to,
        from,
        body: content.body,
        ...(content.subject === null ? {} : { subject: content.subject }),
        ...(content.html === null ? {} : { html: content.html }),
        reference: row.id,
        ...(channel === 'sms' ? { statusCallback: `${links.publicBaseUrl}/webhooks/twilio/status` } : {}),
      });
    } catch (err) {
      if (!(err instanceof GatewayError)) throw err;
      if (err.permanent) {
        // Twilio bills no message it refuses outright.
        await refundSms(prisma, row.id, new Date());
        await markRefused(row, err.code, err.explanation);
        throw rejection(channel, row.id, err.code, err.explanation);
      }
      // A send the provider may have taken keeps its charge (the retry finds it or sends it).
      if (!err.maybeAccepted) await refundSms(prisma, row.id, new Date());
      await prisma.message.update({
        where: { id: row.id },
        data: { status: err.maybeAccepted ? RETRYING : PENDING, errorCode: err.code, errorMessage: err.explanation },
      });
      throw ApplicationFailure.retryable(
        `${gateway.name} unavailable: ${err.explanation}`,
        channel === 'sms' ? 'SmsGatewayUnavailable' : 'EmailGatewayUnavailable',
      );
    }
    await yieldToQueuedSends(gateway);
    const recorded = await recordSent(row.id, sent, input);
    if (recorded) return recorded;
    // Another row's reconciliation adopted this very message between the provider's answer
    // and this write (it had seen it unowned). The row stays `sending`, so the next attempt
    // asks the provider again and sees that message owned.
    throw ApplicationFailure.retryable(
      `The provider's message ${sent.providerId} was adopted by another message row; the send will be checked again.`,
      'ProviderIdTaken',
    );
  }

  /**
   * The provider message an earlier attempt of this row sent, recorded on the row, or null.
   * Candidates are the provider's messages with the row's to/from/body since its claim
   * (minus skew) that no other row owns. With several, the oldest is taken: they are the
   * same text to the same number, so which row records which changes nothing the client
   * sees, and each row still ends with exactly one message of its own.
   */
  async function adoptProviderMessage(
    gateway: MessageGateway,
    row: MessageRow,
    /** The send asking, whose projection is written with the adoption; none when only settling. */
    input?: SendMessageInput,
  ): Promise<SendResult | null> {
    const candidates = await gateway.findSent({
      to: row.to,
      from: row.from,
      body: row.body,
      ...(row.subject === null ? {} : { subject: row.subject }),
      reference: row.id,
      sentAfter: new Date(row.createdAt.getTime() - RECONCILE_SKEW_MS),
    });
    if (candidates.length === 0) return null;
    const owned = await prisma.message.findMany({
      where: { providerId: { in: candidates.map((c) => c.providerId) } },
      select: { providerId: true },
    });
    const ownedIds = new Set(owned.map((m) => m.providerId));
    const unowned = candidates.filter((c) => !ownedIds.has(c.providerId));
    if (unowned.length > 1) {
      log.warn('Several unowned provider messages match this send; adopting the oldest', {
        messageId: row.id,
        candidates: unowned.map((c) => c.providerId),
      });
    }
    // A candidate can be taken by a concurrent reconciliation between the read above and
    // the write: then the next one is tried, so the loop ends with the candidates.
    for (const candidate of unowned) {
      const adopted = await recordSent(row.id, candidate, input);
      if (adopted) return adopted;
    }
    return null;
  }

  /**
   * Asks the provider about an attempt whose outcome is unknown. A provider that cannot be
   * asked (SendGrid without its Email Activity add-on) gets no second attempt: the row is
   * refused, since a message that may have gone out must never go out twice.
   */
  async function adoptOrRefuse(
    gateway: MessageGateway,
    row: MessageRow,
    input: SendMessageInput,
  ): Promise<SendResult | null> {
    try {
      return await adoptProviderMessage(gateway, row, input);
    } catch (err) {
      if (!(err instanceof GatewayError) || !err.permanent) throw err;
      await markRefused(row, err.code, err.explanation);
      throw rejection(gateway.channel, row.id, err.code, err.explanation);
    }
  }

  /**
   * The start the send must precede: the appointment's; for a custom message, its linked
   * appointment's as it is now (a reschedule may have moved it since); none when unlinked.
   */
  async function startOf(input: SendMessageInput, row: MessageRow): Promise<string | null> {
    if (!input.custom) return input.appointment?.startsAt ?? null;
    if (!row.appointmentId) return null;
    const linked = await prisma.appointment.findUnique({
      where: { id: row.appointmentId },
      select: { startsAt: true },
    });
    return linked?.startsAt.toISOString() ?? null;
  }

  /** The message as it goes out now (activities/compose-message.ts). */
  async function compose(channel: Channel, input: SendMessageInput): Promise<ComposedMessage> {
    const practice = await prisma.practice.findUniqueOrThrow({ where: { id: input.practiceId } });
    return composeMessage(channel, input, practice, links);
  }

  async function claim(channel: Channel, input: SendMessageInput, content: ComposedMessage) {
    const appointment = await prisma.appointment.findUnique({ where: { workflowId: input.workflowId } });
    return prisma.message.create({
      data: {
        ...content,
        from: content.from ?? '',
        practiceId: input.practiceId,
        appointmentId: appointment?.id ?? null,
        direction: 'outbound',
        channel,
        purpose: input.purpose,
        recipient: input.recipient,
        reminderId: input.reminderId ?? null,
        status: PENDING,
        idempotencyKey: input.idempotencyKey,
      },
    });
  }

  /** The attempt stopped before the provider: no charge is held while nothing is under way. */
  async function markPending(messageId: string): Promise<void> {
    await refundSms(prisma, messageId, new Date());
    await prisma.message.update({ where: { id: messageId }, data: { status: PENDING } });
  }

  /**
   * The provider refused the message for good (or it cannot be sent at all): the row says why.
   * A refused row is never attempted again, so this is where its failure is counted.
   */
  async function markRefused(row: MessageRow, code: string, explanation: string): Promise<void> {
    await markEnded(row, FAILED, code, explanation);
    metrics?.messageFailed({ channel: row.channel, purpose: row.purpose ?? 'unknown', reason: reasonFor(code) });
  }

  /** The row ends in `status` without going out (again): why, in its error and its history. */
  async function markEnded(row: MessageRow, status: string, code: string | null, explanation: string): Promise<void> {
    await prisma.message.update({
      where: { id: row.id },
      data: {
        status,
        errorCode: code,
        errorMessage: explanation,
        statusHistory: appended(row, { status, errorCode: code }),
      },
    });
  }

  /** Records the provider's message on the row; null when another row already owns it. */
  async function recordSent(
    messageId: string,
    sent: SentMessage,
    input?: Pick<SendMessageInput, 'workflowId' | 'statusOnSent'>,
  ): Promise<SendResult | null> {
    const row = await prisma.message.findUniqueOrThrow({ where: { id: messageId } });
    // A provider report can beat this write (SendGrid's events find the row by its id before
    // the provider id is on it): the status it set is newer than the send's answer, so it stays.
    const reported = statusHistoryOf(row.statusHistory).length > 0;
    // Only from the status the workflow last recorded: a retried attempt never moves it back.
    const projection = input?.statusOnSent
      ? [
          prisma.appointment.updateMany({
            where: { workflowId: input.workflowId, status: input.statusOnSent.from },
            data: { status: input.statusOnSent.to },
          }),
        ]
      : [];
    try {
      await prisma.$transaction([
        prisma.message.update({
          where: { id: messageId },
          data: {
            providerId: sent.providerId,
            sentAt: new Date(),
            ...(reported
              ? {}
              : {
                  status: sent.status,
                  errorCode: null,
                  errorMessage: null,
                  statusHistory: appended(row, { status: sent.status, errorCode: null }),
                }),
          },
        }),
        ...projection,
      ]);
    } catch (err) {
      // provider_id is the only unique column this write sets.
      if (isUniqueViolation(err)) return null;
      throw err;
    }
    // The row holds its provider message from now on, and every later attempt answers with
    // it: a send is counted here, once, whether this attempt sent it or adopted it.
    metrics?.messageSent({ channel: row.channel, purpose: row.purpose ?? 'unknown' });
    return { outcome: 'sent', messageId, providerId: sent.providerId };
  }

  /**
   * Asks the provider about a send that ended without an answer the workflow could use (it
   * ran out of time, or the workflow stopped it mid-attempt): the view should say `sent` if
   * the text went out. Never sends. An attempt that may still be inside its gateway call is
   * waited for (retryable), so its outcome is seen, not raced.
   */
  async function settleUnknownSend(input: SettleUnknownSendInput): Promise<SettleUnknownSendResult> {
    const row = await prisma.message.findUnique({ where: { idempotencyKey: input.idempotencyKey } });
    if (row?.providerId) return { outcome: 'sent', messageId: row.id, providerId: row.providerId };
    if (!row || (row.status !== SENDING && row.status !== RETRYING)) return { outcome: 'not_sent' };
    const gateway = gateways[row.channel as Channel];
    if (Date.now() - row.updatedAt.getTime() < gateway.sendTimeoutMs + SEND_RESERVE_MS) {
      throw ApplicationFailure.retryable(
        'A send attempt may still be waiting for the gateway; asking again shortly.',
        'SendAttemptMayBeRunning',
      );
    }
    try {
      const adopted = await adoptProviderMessage(gateway, row);
      return adopted?.outcome === 'sent' ? adopted : { outcome: 'not_sent' };
    } catch (err) {
      // A provider that cannot be asked leaves the outcome unknown: the send stays unsent in the view.
      if (err instanceof GatewayError && err.permanent) return { outcome: 'not_sent' };
      throw err;
    }
  }

  return { sendSms, sendEmail, settleUnknownSend };
}

/** The row's status history with one more change, stamped now. */
function appended(row: MessageRow, change: Omit<StatusChange, 'at'>): Prisma.InputJsonValue {
  return withStatusChange(row.statusHistory, { ...change, at: new Date().toISOString() });
}

function rejection(channel: Channel, messageId: string, code: string, explanation: string): ApplicationFailure {
  const details: SendRejection = { code, reason: reasonFor(code), explanation, messageId };
  return ApplicationFailure.create({
    type: SEND_REJECTED[channel],
    message: explanation,
    nonRetryable: true,
    details: [details],
  });
}

/** Resolves once no send waits for a connection of `gateway`, or after RECORD_YIELD_MAX_MS. */
async function yieldToQueuedSends(gateway: MessageGateway): Promise<void> {
  const enough = new AbortController();
  try {
    await Promise.race([gateway.untilNoCallWaits(), sleep(RECORD_YIELD_MAX_MS, undefined, { signal: enough.signal })]);
  } finally {
    enough.abort();
  }
}

/** Resolves after `ms`, or at once when the activity is cancelled (the caller checks for that). */
function sleepUnlessCancelled(ms: number, context: Context): Promise<void> {
  if (ms <= 0 || context.cancellationSignal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      context.cancellationSignal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    context.cancellationSignal.addEventListener('abort', done);
  });
}
