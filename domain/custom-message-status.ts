import type { ReminderReason } from './appointment';

// Where a custom message stands, and what staff read of it: what its workflow needs, apart from
// the request's validation (domain/custom-message.ts), which the workflow bundle must not carry.

/**
 * Where a custom message stands in its workflow. `scheduled` until its time comes; then
 * `sending`, and one of the ends: `sent` (the provider took it), `cancelled`, `skipped`
 * (opted out), `failed`, `too_late` (its appointment had started).
 */
export type CustomMessageStatus = 'scheduled' | 'sending' | 'sent' | 'cancelled' | 'skipped' | 'failed' | 'too_late';

/** Why a cancel is refused in this status, or null when it is accepted (a repeat cancel included). */
export function cancelRefusal(status: CustomMessageStatus): string | null {
  if (status === 'scheduled' || status === 'cancelled') return null;
  if (status === 'sending') return 'The message is being sent and can no longer be cancelled.';
  if (status === 'sent') return 'The message has already been sent.';
  return `The message has already ended (${status}); there is nothing to cancel.`;
}

/** What the message log says of a custom message that was not sent, for staff. */
export const NOT_SENT_WORDS = {
  opted_out: 'Not sent: the number opted out of texts (STOP).',
  gateway_unavailable: 'Not sent: the provider could not be reached in time.',
} as const satisfies Partial<Record<ReminderReason, string>>;
