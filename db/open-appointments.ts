import type { Prisma } from './client';

/**
 * The practice's appointments booked for this client phone that may still send it
 * something (not started, not cancelled), soonest first. Replies are matched against them
 * and opt-outs and opt-ins reach each of them.
 */
export function openAppointmentsOfPhone(db: Prisma.TransactionClient, practiceId: string, phone: string, now: Date) {
  return db.appointment.findMany({
    where: { practiceId, clientPhone: phone, startsAt: { gt: now }, status: { not: 'cancelled' } },
    orderBy: { startsAt: 'asc' },
  });
}
