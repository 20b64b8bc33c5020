import type { PrismaClient } from '../db/client';
import type { MessageGateway } from '../gateways/message-gateway';
import { createAppointmentActivities } from './appointments';
import { createSmsActivities } from './sms';

export interface ActivityDependencies {
  prisma: PrismaClient;
  sms: MessageGateway;
}

/** Production and tests wire activities the same way: only the injected dependencies differ. */
export function createActivities(dependencies: ActivityDependencies) {
  return {
    ...createSmsActivities(dependencies),
    ...createAppointmentActivities(dependencies),
  };
}

export type Activities = ReturnType<typeof createActivities>;
