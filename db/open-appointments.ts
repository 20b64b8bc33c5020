import { Prisma as PrismaValues } from '../generated/prisma/client';
import type { Prisma } from './client';

/** Whose number a reply came from, as far as one appointment is concerned. */
export type PhoneRole = 'client' | 'practitioner';

/**
 * The practice's appointments that may still send this number something, soonest first: not
 * started, not cancelled and not ended (an ended workflow has recorded its final view). Replies
 * are matched against them, and a client's opt-outs and opt-ins reach each of them.
 */
export function openAppointmentsOfPhone(
  db: Prisma.TransactionClient,
  practiceId: string,
  phone: string,
  now: Date,
  role: PhoneRole = 'client',
) {
  return db.appointment.findMany({
    where: {
      practiceId,
      ...(role === 'client' ? { clientPhone: phone } : { practitionerPhone: phone }),
      startsAt: { gt: now },
      status: { not: 'cancelled' },
      finalView: { equals: PrismaValues.DbNull },
    },
    orderBy: { startsAt: 'asc' },
  });
}

/** Outbound statuses of a text the number cannot have received: a reply is not an answer to it. */
const NEVER_RECEIVED = ['undelivered', 'failed'];

/**
 * Among the number's open appointments (soonest first): the one whose text most recently went
 * out to it, else the next upcoming one, else none. The practice's own answers to replies
 * (purpose `reply`) do not count: they follow what the client texted, they do not prompt it.
 */
export async function matchAppointment<A extends { id: string }>(
  db: Prisma.TransactionClient,
  practiceId: string,
  phone: string,
  open: A[],
): Promise<A | null> {
  if (open.length === 0) return null;
  const lastSent = await db.message.findFirst({
    where: {
      practiceId,
      direction: 'outbound',
      channel: 'sms',
      to: phone,
      appointmentId: { in: open.map((a) => a.id) },
      sentAt: { not: null },
      status: { notIn: NEVER_RECEIVED },
      OR: [{ purpose: null }, { purpose: { not: 'reply' } }],
    },
    orderBy: [{ sentAt: 'desc' }, { createdAt: 'desc' }],
    select: { appointmentId: true },
  });
  return open.find((a) => a.id === lastSent?.appointmentId) ?? open[0];
}
