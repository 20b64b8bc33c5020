import type { Channel, Confirmation, RecipientRole, ReminderReason, AppointmentStatus } from './appointment';

// The decisions an appointment's workflow takes, as structured facts: the half of the
// appointment log that only the workflow knows (planned, skipped, confirmed, opted out,
// rescheduled, cancelled, ended). What was transmitted (sent, delivered, failed, replies) is
// the message log's; domain/appointment-log.ts merges the two and words them for staff.
// It is workflow state, rebuilt by replaying the history, not a separate store.

/** Who caused an entry: the practice system through the API, staff, the client, or the workflow itself. */
export type JournalActor = 'practice' | 'staff' | 'client' | 'system';

interface Base {
  at: string;
  actor: JournalActor;
}

interface ReminderFacts {
  reminderId: string;
  channel: Channel;
  recipient: RecipientRole;
  sendAt: string;
}

export type JournalEntry = Base &
  (
    | { event: 'created'; startsAt: string; timeZone: string }
    | ({ event: 'reminder_planned' } & ReminderFacts)
    | ({ event: 'manual_reminder_requested' } & ReminderFacts)
    | ({ event: 'reminder_skipped'; reason?: ReminderReason } & ReminderFacts)
    /** Failures no message row shows (the gateway never answered in time). */
    | ({ event: 'reminder_failed'; reason: ReminderReason } & ReminderFacts)
    | { event: 'confirmed'; via: Confirmation['via'] }
    | { event: 'opted_out'; cause: 'reply' | 'gateway' | 'contact_change'; keyword?: string }
    | { event: 'opted_in'; keyword?: string }
    | { event: 'rescheduled'; from: string; startsAt: string; timeZone: string }
    | { event: 'contact_changed'; fields: string[] }
    | { event: 'cancelled'; note?: string }
    | { event: 'ended'; status: AppointmentStatus }
  );

/** An entry before it is stamped with its time. */
export type JournalFacts = JournalEntry extends infer E ? (E extends unknown ? Omit<E, 'at'> : never) : never;
