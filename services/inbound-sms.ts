import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { PrismaClient } from '../db/client';
import { openAppointmentsOfPhone } from '../db/open-appointments';
import { recordOptIn, recordOptOut } from '../db/opt-outs';
import { parseReply, type ParsedReply } from '../domain/reply-keywords';
import { helpText } from '../domain/reminder-text';
import { countSegments } from '../domain/segments';
import { inboundReplySignal, type InboundReply } from '../workflows/messages';

export interface InboundSms {
  /** Twilio's MessageSid: a redelivered webhook carries the same one. */
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
}

/**
 * Turns an inbound SMS into its effects: the message log entry, opt-out bookkeeping and the
 * signals to the workflows concerned. Safe to run twice for the same message (Twilio
 * redelivers when we fail): the log entry is keyed by MessageSid and every effect is idempotent.
 */
export class InboundSmsService {
  constructor(private readonly deps: { prisma: PrismaClient; temporal: Client }) {}

  async receive(sms: InboundSms): Promise<InboundOutcome | null> {
    const { prisma } = this.deps;
    const practice = await prisma.practice.findFirst({
      where: { smsFrom: { in: [sms.to, ...(sms.messagingServiceSid ? [sms.messagingServiceSid] : [])] } },
    });
    if (!practice) return null;

    const reply = parseReply(sms.body);
    const receivedAt = new Date();
    const message = await this.logMessage(practice.id, sms, reply);
    await prisma.contact.upsert({
      where: { practiceId_phone: { practiceId: practice.id, phone: sms.from } },
      create: { practiceId: practice.id, phone: sms.from, lastInboundAt: receivedAt },
      update: { lastInboundAt: receivedAt },
    });

    const signal = (intent: InboundReply['intent']): InboundReply => ({
      intent,
      keyword: reply.keyword ?? '',
      messageId: message.id,
      receivedAt: message.createdAt.toISOString(),
    });

    switch (reply.intent) {
      case 'opt_out':
        await recordOptOut(prisma, practice.id, sms.from, reply.keyword!, message.createdAt);
        await this.signalAll(practice.id, sms.from, signal('opt_out'));
        return { reply: null };
      case 'opt_in':
        await recordOptIn(prisma, practice.id, sms.from, reply.keyword!, message.createdAt);
        await this.signalAll(practice.id, sms.from, signal('opt_in'));
        return { reply: null };
      case 'help':
        return { reply: helpText(practice.name, practice.helpPhone) };
      case 'confirm': {
        const appointment = message.appointmentId
          ? await prisma.appointment.findUnique({ where: { id: message.appointmentId } })
          : null;
        const delivered = appointment ? await this.signal(appointment.workflowId, signal('confirm')) : false;
        // A "C" that confirms nothing (no match, or the appointment is over) is for staff to look at.
        if (!delivered) await prisma.message.update({ where: { id: message.id }, data: { needsReview: true } });
        return { reply: null };
      }
      case 'other':
        return { reply: null };
    }
  }

  private async logMessage(practiceId: string, sms: InboundSms, reply: ParsedReply) {
    const { prisma } = this.deps;
    const known = await prisma.message.findUnique({ where: { providerId: sms.providerId } });
    if (known) return known;
    const appointmentId = await this.matchAppointment(practiceId, sms.from);
    const { segments, encoding } = countSegments(sms.body);
    const data = {
      practiceId,
      appointmentId,
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
      needsReview: reply.intent === 'other',
      mediaUrls: sms.mediaUrls,
    };
    try {
      return await prisma.message.create({ data });
    } catch (err) {
      // Two deliveries of the same webhook raced; the other one logged it.
      const raced = await prisma.message.findUnique({ where: { providerId: sms.providerId } });
      if (raced) return raced;
      throw err;
    }
  }

  /**
   * The appointment that most recently texted this number; else the next upcoming one booked
   * for it; else none.
   */
  private async matchAppointment(practiceId: string, phone: string): Promise<string | null> {
    const { prisma } = this.deps;
    const lastOutbound = await prisma.message.findFirst({
      where: { practiceId, direction: 'outbound', to: phone, appointmentId: { not: null } },
      orderBy: { createdAt: 'desc' },
    });
    if (lastOutbound) return lastOutbound.appointmentId;
    const [upcoming] = await openAppointmentsOfPhone(prisma, practiceId, phone, new Date());
    return upcoming?.id ?? null;
  }

  /** Every appointment of this number that may still send it something. */
  private async signalAll(practiceId: string, phone: string, reply: InboundReply): Promise<void> {
    const appointments = await openAppointmentsOfPhone(this.deps.prisma, practiceId, phone, new Date());
    for (const appointment of appointments) await this.signal(appointment.workflowId, reply);
  }

  /** False when the workflow has finished; other failures propagate so the webhook is redelivered. */
  private async signal(workflowId: string, reply: InboundReply): Promise<boolean> {
    try {
      await this.deps.temporal.workflow.getHandle(workflowId).signal(inboundReplySignal, reply);
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }
}
