import type { PrismaClient } from '../db/client';
import type { SmsGateway } from '../gateways/sms';
import { createAppointmentActivities } from './appointments';
import { createSmsActivities } from './sms';

export interface ActivityDependencies {
  prisma: PrismaClient;
  sms: SmsGateway;
}

/** Production and tests wire activities the same way: only the injected dependencies differ. */
export function createActivities(dependencies: ActivityDependencies) {
  return {
    ...createSmsActivities(dependencies),
    ...createAppointmentActivities(dependencies),
  };
}

export type Activities = ReturnType<typeof createActivities>;
