import type { AppointmentStatus, Cancellation, Confirmation, Reminder } from './appointment';

export interface StatusFacts {
  cancellation: Cancellation | null;
  confirmation: Confirmation | null;
  optedOut: boolean;
  /** The start time has passed. */
  over: boolean;
  reminders: Reminder[];
}

/**
 * The status is derived, never stored separately in the workflow, so it cannot drift from
 * the facts. Precedence: an explicit outcome (cancelled, confirmed, opted out) beats a
 * delivery outcome, which beats the passage of time.
 */
export function deriveStatus(facts: StatusFacts): AppointmentStatus {
  if (facts.cancellation) return 'cancelled';
  if (facts.confirmation) return 'confirmed';
  if (facts.optedOut) return 'opted_out';
  const toClient = facts.reminders.filter((r) => r.recipient === 'client');
  const reached = toClient.some((r) => r.state === 'sent' || r.state === 'delivered');
  const waiting = toClient.some((r) => r.state === 'pending');
  if (!reached && !waiting && toClient.some((r) => r.state === 'failed')) return 'failed';
  if (facts.over) return 'unconfirmed';
  return reached ? 'awaiting_confirmation' : 'scheduled';
}
