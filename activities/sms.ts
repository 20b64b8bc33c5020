import { ApplicationFailure } from '@temporalio/activity';
import type { PrismaClient } from '../db/client';
import type { ReminderReason } from '../domain/appointment';
import { startsInFuture } from '../domain/appointment-time';
import { cancellationText, reminderText } from '../domain/reminder-text';
import { countSegments } from '../domain/segments';
import { SmsGatewayError, type SentSms, type SmsGateway } from '../gateways/sms';
import { isOptedOut } from '../db/opt-outs';
import { SMS_REJECTED, type SendSmsInput, type SendSmsResult, type SmsRejection } from './contracts';

// Exactly-once SMS on top of at-least-once activities. The message row, unique on the
// idempotency key, is claimed before the gateway is called:
// - a row with a provider id was sent: answer with it, never send again;
// - a row still `sending` means an attempt died after claiming, perhaps after the provider
//   accepted the message: ask the provider before sending, so a crash cannot double it;
// - a row `retrying` failed in a way we saw (5xx, network): sending again is safe.

const SENDING = 'sending';
const RETRYING = 'retrying';
const FAILED = 'failed';
const TOO_LATE = 'too_late';

/** Reminder reasons for the refusals staff can act on; other codes read as `rejected`. */
const REASON_BY_CODE: Record<string, ReminderReason> = {
  '21211': 'invalid_number',
  '21614': 'not_mobile',
  '21610': 'unsubscribed',
};

/** How far before a claim the provider is searched, to absorb clock skew between us and it. */
const RECONCILE_SKEW_MS = 5 * 60_000;

export function createSmsActivities({ prisma, sms }: { prisma: PrismaClient; sms: SmsGateway }) {
  async function sendSms(input: SendSmsInput): Promise<SendSmsResult> {
    const existing = await prisma.message.findUnique({ where: { idempotencyKey: input.idempotencyKey } });
    if (existing?.providerId) return { outcome: 'sent', messageId: existing.id, providerId: existing.providerId };
    if (existing?.status === FAILED)
      throw rejection(existing.id, existing.errorCode ?? 'unknown', existing.errorMessage ?? '');
    if (existing?.status === TOO_LATE) return { outcome: 'too_late' };
    if (await isOptedOut(prisma, input.practiceId, input.to)) return { outcome: 'opted_out' };

    const row = existing ?? (await claim(input));
    if (row.status === SENDING && existing) {
      const found = await sms.findSent({
        to: row.to,
        from: row.from,
        body: row.body,
        sentAfter: new Date(row.updatedAt.getTime() - RECONCILE_SKEW_MS),
      });
      if (found) return recordSent(row.id, found);
    }
    // The activity's own clock, right before the gateway: a worker that was down across the
    // start, or retries that ran up to it, must not text about an appointment already begun.
    if (!startsInFuture(input.appointment.startsAt, new Date())) {
      await prisma.message.update({
        where: { id: row.id },
        data: { status: TOO_LATE, errorCode: null, errorMessage: 'Not sent: the appointment had already started.' },
      });
      return { outcome: 'too_late' };
    }
    await prisma.message.update({ where: { id: row.id }, data: { status: SENDING } });

    let sent: SentSms;
    try {
      sent = await sms.send({ to: row.to, from: row.from, body: row.body });
    } catch (err) {
      if (!(err instanceof SmsGatewayError)) throw err;
      await prisma.message.update({
        where: { id: row.id },
        data: { status: err.permanent ? FAILED : RETRYING, errorCode: err.code, errorMessage: err.explanation },
      });
      if (err.permanent) throw rejection(row.id, err.code, err.explanation);
      throw ApplicationFailure.retryable(`SMS gateway unavailable: ${err.explanation}`, 'SmsGatewayUnavailable');
    }
    return recordSent(row.id, sent);
  }

  async function claim(input: SendSmsInput) {
    const practice = await prisma.practice.findUniqueOrThrow({ where: { id: input.practiceId } });
    const appointment = await prisma.appointment.findUnique({ where: { workflowId: input.workflowId } });
    const context = { ...input.appointment, practiceName: practice.name };
    const body = input.purpose === 'cancellation' ? cancellationText(context) : reminderText(context, input.recipient);
    const { segments, encoding } = countSegments(body);
    return prisma.message.create({
      data: {
        practiceId: input.practiceId,
        appointmentId: appointment?.id ?? null,
        direction: 'outbound',
        channel: 'sms',
        to: input.to,
        from: practice.smsFrom,
        body,
        segments,
        encoding,
        status: SENDING,
        idempotencyKey: input.idempotencyKey,
      },
    });
  }

  async function recordSent(messageId: string, sent: SentSms): Promise<SendSmsResult> {
    await prisma.message.update({
      where: { id: messageId },
      data: {
        status: sent.status,
        providerId: sent.providerId,
        sentAt: new Date(),
        errorCode: null,
        errorMessage: null,
      },
    });
    return { outcome: 'sent', messageId, providerId: sent.providerId };
  }

  return { sendSms };
}

function rejection(messageId: string, code: string, explanation: string): ApplicationFailure {
  const details: SmsRejection = { code, reason: REASON_BY_CODE[code] ?? 'rejected', explanation, messageId };
  return ApplicationFailure.create({
    type: SMS_REJECTED,
    message: explanation,
    nonRetryable: true,
    details: [details],
  });
}
