import type { JournalEntry } from '../domain/appointment-journal';
import { AppointmentLifecycle } from '../domain/appointment-lifecycle';
import type { AppointmentWorkflowInput } from './messages';

/**
 * The lifecycle a run of the appointment workflow starts from, built from its input. The
 * workflow runs on it; a create answers with its view at once instead of asking the worker,
 * which has not run the new workflow yet (the same input and the same code give the same plan).
 */
export function startingLifecycle(
  input: AppointmentWorkflowInput,
  clock: () => Date,
  onRecord?: (entry: JournalEntry) => void,
): AppointmentLifecycle {
  return new AppointmentLifecycle(
    input.appointmentId,
    input.details,
    input.optedOut,
    clock(),
    input.carried?.lifecycle,
    {
      clock,
      channels: input.channels ?? ['sms'],
      quietHours: input.quietHours ?? null,
      ...(onRecord ? { onRecord } : {}),
    },
  );
}
