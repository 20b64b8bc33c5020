import { DateTime } from 'luxon';
import type {
  AppointmentDetails,
  AppointmentView,
  Cancellation,
  Client,
  Confirmation,
  Reminder,
  ReminderReason,
} from './appointment';
import { deriveStatus } from './appointment-status';
import { startsInFuture } from './appointment-time';
import { blockingReason, planReminders } from './reminder-plan';

export interface RescheduleRequest {
  startsAt?: string;
  timeZone?: string;
  location?: string;
  client?: Partial<Client>;
  /**
   * Whether the client's new phone is opted out for the practice; set with a phone change,
   * which carries that number's opt-out state instead of the old number's.
   */
  clientPhoneOptedOut?: boolean;
}

/** Why a requested change is refused; the workflow's Updates fail with these types. */
export const LIFECYCLE_REJECTION = {
  closed: 'AppointmentClosed',
  invalid: 'InvalidChange',
} as const;

/** A rule broken by a requested change; the workflow turns it into a typed failure. */
export class LifecycleError extends Error {
  constructor(
    readonly type: (typeof LIFECYCLE_REJECTION)[keyof typeof LIFECYCLE_REJECTION],
    message: string,
    /** The request field at fault, when there is one. */
    readonly field: string | null = null,
  ) {
    super(message);
    this.name = 'LifecycleError';
  }
}

/**
 * Everything the appointment workflow decides, as plain deterministic code: the workflow
 * only feeds it the clock, messages and activity results, and acts on what it says. Every
 * mutation bumps `version`, which is what the workflow waits on.
 */
export class AppointmentLifecycle {
  private reminders: Reminder[];
  private nextSeq: number;
  /** Index of the first reminder planned for the current start time. */
  private planStart = 0;
  private confirmation: Confirmation | null = null;
  private cancellation: Cancellation | null = null;
  private over = false;
  private inFlight: string | null = null;
  version = 0;

  constructor(
    readonly appointmentId: string,
    private details: AppointmentDetails,
    private optedOut: boolean,
    now: Date,
  ) {
    this.reminders = planReminders(details, { now, firstSeq: 1, optedOut });
    this.nextSeq = this.reminders.length + 1;
  }

  get appointment(): AppointmentDetails {
    return this.details;
  }

  get isClosed(): boolean {
    return this.cancellation !== null || this.over;
  }

  get isCancelled(): boolean {
    return this.cancellation !== null;
  }

  get startsAtMs(): number {
    return DateTime.fromISO(this.details.startsAt).toMillis();
  }

  /**
   * Whether the client may get a text that is not a reminder (the cancellation notice): the
   * same consent, contact and opt-out rules, without the reminder switch.
   */
  get clientTextable(): boolean {
    return (
      blockingReason({ ...this.details, remindersEnabled: true }, 'client', 'sms', { optedOut: this.optedOut }) === null
    );
  }

  /** The earliest pending reminder: the next thing the workflow sleeps until. */
  nextDue(): Reminder | null {
    const pending = this.reminders.filter((r) => r.state === 'pending' && r.id !== this.inFlight);
    return pending.sort((a, b) => a.sendAt.localeCompare(b.sendAt))[0] ?? null;
  }

  /** Whether the appointment has started: from then on nothing may be sent. */
  hasStarted(now: Date): boolean {
    return !startsInFuture(this.details.startsAt, now);
  }

  /** Re-checks consent, contacts and opt-outs at send time; marks the reminder skipped if blocked. */
  beginSend(id: string): Reminder | null {
    const reminder = this.find(id);
    if (reminder.state !== 'pending') return null;
    const reason = blockingReason(this.details, reminder.recipient, reminder.channel, { optedOut: this.optedOut });
    if (reason) {
      this.settle(reminder, 'skipped', reason);
      return null;
    }
    this.inFlight = id;
    this.version++;
    return reminder;
  }

  markSent(id: string, messageId: string): void {
    const reminder = this.find(id);
    this.inFlight = null;
    reminder.messageId = messageId;
    this.settle(reminder, 'sent', null);
  }

  markFailed(id: string, reason: ReminderReason, messageId: string | null): void {
    const reminder = this.find(id);
    this.inFlight = null;
    reminder.messageId = messageId;
    this.settle(reminder, 'failed', reason);
  }

  markSkipped(id: string, reason: ReminderReason): void {
    this.inFlight = null;
    this.settle(this.find(id), 'skipped', reason);
  }

  /** Throws the LifecycleError a change would meet; Update validators call this before anything is recorded. */
  checkOpen(): void {
    if (this.cancellation) throw new LifecycleError(LIFECYCLE_REJECTION.closed, 'The appointment is cancelled.');
    if (this.over) throw new LifecycleError(LIFECYCLE_REJECTION.closed, 'The appointment has already started.');
  }

  confirm(at: Date, via: Confirmation['via']): void {
    this.checkOpen();
    if (this.confirmation) return;
    this.confirmation = { at: at.toISOString(), via };
    this.settlePending((r) => r.recipient === 'client', 'skipped', 'confirmed');
  }

  cancel(at: Date, reason: string | null): void {
    if (this.cancellation) return;
    this.checkOpen();
    this.cancellation = { at: at.toISOString(), reason };
    this.settlePending(() => true, 'cancelled', 'appointment_cancelled');
  }

  optOut(): void {
    if (this.optedOut) return;
    this.optedOut = true;
    this.settlePending((r) => r.recipient === 'client' && r.channel === 'sms', 'skipped', 'opted_out');
  }

  /** Reminders of the current plan skipped only because of the opt-out, and still ahead, become pending again. */
  optIn(now: Date): void {
    if (!this.optedOut) return;
    this.optedOut = false;
    const nowIso = now.toISOString();
    // Only the current plan: reminders a reschedule replaced were planned for another start.
    for (const reminder of this.currentPlan()) {
      if (
        reminder.state === 'skipped' &&
        reminder.reason === 'opted_out' &&
        reminder.sendAt > nowIso &&
        !this.confirmation
      ) {
        reminder.state = 'pending';
        reminder.reason = null;
      }
    }
    this.version++;
  }

  /** Validates a change without applying it, so an Update can be rejected before it is recorded. */
  checkReschedule(change: RescheduleRequest, now: Date): void {
    this.checkOpen();
    if (change.startsAt && !startsInFuture(change.startsAt, now)) {
      throw new LifecycleError(
        LIFECYCLE_REJECTION.invalid,
        'is in the past; appointments must start in the future',
        'startsAt',
      );
    }
  }

  /**
   * A new time voids the confirmation and every pending reminder and plans afresh; a change
   * of contact details or consent keeps the plan, because each reminder re-checks them when due.
   */
  reschedule(change: RescheduleRequest, now: Date): void {
    this.checkReschedule(change, now);
    const previousStart = this.details.startsAt;
    this.details = {
      ...this.details,
      ...(change.startsAt !== undefined ? { startsAt: change.startsAt } : {}),
      ...(change.timeZone !== undefined ? { timeZone: change.timeZone } : {}),
      ...(change.location !== undefined ? { location: change.location } : {}),
      client: { ...this.details.client, ...change.client },
    };
    if (change.clientPhoneOptedOut === true) this.optOut();
    else if (change.clientPhoneOptedOut === false) this.optIn(now);
    const moved = DateTime.fromISO(this.details.startsAt).toMillis() !== DateTime.fromISO(previousStart).toMillis();
    if (moved) {
      this.confirmation = null;
      this.settlePending(() => true, 'cancelled', 'rescheduled');
      const plan = planReminders(this.details, { now, firstSeq: this.nextSeq, optedOut: this.optedOut });
      this.nextSeq += plan.length;
      this.planStart = this.reminders.length;
      this.reminders.push(...plan);
    }
    this.version++;
  }

  /** The start time has come: nothing more will be sent. */
  end(): void {
    this.over = true;
    this.settlePending(() => true, 'skipped', 'past_due');
  }

  view(workflowId: string, runId: string): AppointmentView {
    return {
      appointmentId: this.appointmentId,
      status: deriveStatus({
        cancellation: this.cancellation,
        confirmation: this.confirmation,
        optedOut: this.optedOut,
        over: this.over,
        reminders: this.currentPlan(),
      }),
      startsAt: this.details.startsAt,
      timeZone: this.details.timeZone,
      location: this.details.location ?? null,
      confirmation: this.confirmation,
      cancellation: this.cancellation,
      reminders: this.reminders.map((r) => ({ ...r })),
      workflowId,
      runId,
    };
  }

  /** Reminders for an earlier start time stay visible in the view but no longer count for the status. */
  private currentPlan(): Reminder[] {
    return this.reminders.slice(this.planStart);
  }

  private settlePending(
    match: (reminder: Reminder) => boolean,
    state: Reminder['state'],
    reason: ReminderReason,
  ): void {
    for (const reminder of this.reminders) {
      if (reminder.state === 'pending' && reminder.id !== this.inFlight && match(reminder)) {
        reminder.state = state;
        reminder.reason = reason;
      }
    }
    this.version++;
  }

  private settle(reminder: Reminder, state: Reminder['state'], reason: ReminderReason | null): void {
    reminder.state = state;
    reminder.reason = reason;
    this.version++;
  }

  private find(id: string): Reminder {
    const reminder = this.reminders.find((r) => r.id === id);
    if (!reminder) throw new Error(`Unknown reminder ${id}`);
    return reminder;
  }
}
