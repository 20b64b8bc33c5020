import { createAppointmentActivities } from './appointments';
import { createCustomMessageActivities } from './custom-messages';
import { createSendActivities, type SendDependencies } from './send-message';

export type ActivityDependencies = SendDependencies;

/** Production and tests wire activities the same way: only the injected dependencies differ. */
export function createActivities(dependencies: ActivityDependencies) {
  return {
    ...createSendActivities(dependencies),
    ...createAppointmentActivities(dependencies),
    ...createCustomMessageActivities(dependencies),
  };
}

export type Activities = ReturnType<typeof createActivities>;
