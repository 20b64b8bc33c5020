import type { Prisma, PrismaClient } from '../db/client';
import type { RecordAppointmentInput, RecordFinalViewInput } from './contracts';

export function createAppointmentActivities({ prisma }: { prisma: PrismaClient }) {
  /**
   * Mirrors the workflow's view into the appointments table, which reply matching and
   * listings read. The workflow stays the source of truth; this only ever catches up.
   */
  async function recordAppointment(input: RecordAppointmentInput): Promise<void> {
    await prisma.appointment.updateMany({ where: { workflowId: input.workflowId }, data: projectionData(input) });
  }

  /** The view as the workflow ended, for when Temporal no longer keeps the closed workflow. */
  async function recordFinalView(input: RecordFinalViewInput): Promise<void> {
    await prisma.appointment.updateMany({
      where: { workflowId: input.workflowId },
      // The view is plain JSON data; Prisma's JSON type just cannot see that through an interface.
      data: {
        finalView: input.view as unknown as Prisma.InputJsonValue,
        ...(input.journal ? { finalJournal: input.journal as unknown as Prisma.InputJsonValue } : {}),
        ...(input.projection ? projectionData(input.projection) : {}),
      },
    });
  }

  return { recordAppointment, recordFinalView };
}

function projectionData(input: Omit<RecordAppointmentInput, 'workflowId'>) {
  return {
    status: input.status,
    startsAt: new Date(input.startsAt),
    timeZone: input.timeZone,
    clientPhone: input.clientPhone,
    clientEmail: input.clientEmail,
    // A workflow that does not say (recorded before confirmations were kept) leaves them as they are.
    ...(input.confirmation === undefined
      ? {}
      : {
          confirmedAt: input.confirmation ? new Date(input.confirmation.at) : null,
          confirmedVia: input.confirmation?.via ?? null,
        }),
  };
}
