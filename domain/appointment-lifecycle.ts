import { DateTime } from 'luxon';
import type {
  AppointmentDetails,
  AppointmentStatus,
  AppointmentView,
  Cancellation,
  Channel,
  Client,
  Confirmation,
  Reminder,
  ReminderReason,
} from './appointment';
import type { JournalEntry, JournalFacts } from './appointment-journal';
import { deriveStatus } from './appointment-status';
import type { QuietHours } from './quiet-hours';
import { STARTS_IN_PAST, startsInFuture } from './appointment-time';
import { DELIVERABLE_CHANNELS, blockingReason, planReminders } from './reminder-plan';

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

/** A client's text reply, as the inbound webhook hands it to the appointment. */
export interface Reply {
  intent: 'confirm' | 'opt_out' | 'opt_in';
  keyword: string;
  /** Message log id of the inbound SMS: a reply delivered twice is applied once. */
  messageId: string;
  /** When we received it; opt-out state follows the newest reply, whatever order they arrive in. */
  receivedAt: string;
  /** The number that sent it; an opt-out or opt-in only counts from the client's current number. */
  from?: string;
}

/** What the provider said became of a message the workflow sent, as the status webhooks report it. */
export interface DeliveryReport {
  /** Message log id of the outbound message (a reminder's `messageId`). */
  messageId: string;
  outcome: 'delivered' | 'failed';
  /** The provider's error code, for failures ("30003", "bounce"). */
  errorCode: string | null;
  /** What went wrong, worded for practice staff. */
  explanation: string | null;
  /** When the provider reported it. */
  at: string;
}

/** What became of a reply; anything but `applied` changed nothing. */
export type ReplyEffect = 'applied' | 'duplicate' | 'stale' | 'other_number' | 'closed';

/** Everything the lifecycle knows, to carry into a continued run of the workflow. */
export interface LifecycleSnapshot {
  details: AppointmentDetails;
  optedOut: boolean;
  reminders: Reminder[];
  nextSeq: number;
  planStart: number;
  confirmation: Confirmation | null;
  cancellation: Cancellation | null;
  appliedReplies: string[];
  optStateAt: string | null;
  /** Absent in runs carried before the journal existed. */
  journal?: JournalEntry[];
}

export interface LifecycleOptions {
  /** The run's clock (the workflow's deterministic one): journal entries are stamped with it. */
  clock?: () => Date;
  /** Channels this run may send on; runs started before email existed had SMS only. */
  channels?: readonly Channel[];
  /** The practice's quiet hours for this appointment; runs from before them have none. */
  quietHours?: QuietHours | null;
  /** Told each journal entry as it is recorded (not the ones carried over): the workflow counts them. */
  onRecord?: (entry: JournalEntry) => void;
}

/** How many journal entries a lifecycle keeps: far more than any real appointment's story. */
const JOURNAL_LIMIT = 500;

/** How many reply ids are remembered for de-duplication: redeliveries come within minutes, not hundreds of replies later. */
const REMEMBERED_REPLIES = 100;

/** Why a manual reminder cannot reach the client, worded for the staff member who asked. */
const REMIND_REFUSALS: Partial<Record<ReminderReason, string>> = {
  no_consent: 'they have not consented to it',
  no_contact: 'the appointment has no address for it',
  opted_out: 'their number is opted out (they texted STOP)',
  channel_unavailable: 'this channel is not available for this appointment',
};

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
  /**
   * What the reminder being sent would have become had it not been in flight (a cancel,
   * confirmation, opt-out or new time arrived meanwhile): the workflow stops the send and
   * settles it so, unless the gateway had already taken it.
   */
  private inFlightSettlement: { state: Reminder['state']; reason: ReminderReason } | null = null;
  private appliedReplies: string[] = [];
  /** receivedAt of the newest opt-out or opt-in reply applied. */
  private optStateAt: string | null = null;
  /** The decisions taken, in order, for the appointment log (what was sent comes from the message log). */
  private journal: JournalEntry[] = [];
  private readonly clock: () => Date;
  private readonly channels: readonly Channel[];
  private readonly quietHours: QuietHours | null;
  private readonly onRecord: (entry: JournalEntry) => void;
  version = 0;

  constructor(
    readonly appointmentId: string,
    private details: AppointmentDetails,
    private optedOut: boolean,
    now: Date,
    /** The state of the previous run, when the workflow continued as new. */
    carried?: LifecycleSnapshot,
    options: LifecycleOptions = {},
  ) {
    this.clock = options.clock ?? (() => now);
    this.channels = options.channels ?? DELIVERABLE_CHANNELS;
    this.quietHours = options.quietHours ?? null;
    this.onRecord = options.onRecord ?? (() => undefined);
    if (carried) {
      this.details = carried.details;
      this.optedOut = carried.optedOut;
      // Runs carried before email fallback existed have no fallbackFrom.
      this.reminders = carried.reminders.map((r) => ({ ...r, fallbackFrom: r.fallbackFrom ?? null }));
      this.nextSeq = carried.nextSeq;
      this.planStart = carried.planStart;
      this.confirmation = carried.confirmation;
      this.cancellation = carried.cancellation;
      this.appliedReplies = [...carried.appliedReplies];
      this.optStateAt = carried.optStateAt;
      this.journal = [...(carried.journal ?? [])];
      return;
    }
    this.reminders = planReminders(details, {
      now,
      firstSeq: 1,
      optedOut,
      deliverableChannels: this.channels,
      quietHours: this.quietHours,
    });
    this.nextSeq = this.reminders.length + 1;
    this.record({ event: 'created', actor: 'practice', startsAt: details.startsAt, timeZone: details.timeZone });
    this.recordPlan(this.reminders);
  }

  /** Only between sends: a send in flight belongs to the run that started it. */
  snapshot(): LifecycleSnapshot {
    if (this.inFlight) throw new Error(`Cannot carry the lifecycle over while ${this.inFlight} is being sent`);
    return {
      details: this.details,
      optedOut: this.optedOut,
      reminders: this.reminders.map((r) => ({ ...r })),
      nextSeq: this.nextSeq,
      planStart: this.planStart,
      confirmation: this.confirmation,
      cancellation: this.cancellation,
      appliedReplies: [...this.appliedReplies],
      optStateAt: this.optStateAt,
      journal: [...this.journal],
    };
  }

  /** What was decided and when, oldest first: the appointment log's half that the message log does not hold. */
  get decisions(): JournalEntry[] {
    return this.journal.map((entry) => ({ ...entry }));
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
  /**
   * How the client may be told of something that is not a reminder (the cancellation
   * notice): by text when the same consent, contact and opt-out rules allow it without the
   * reminder switch, else by email likewise; null when neither.
   */
  get noticeChannel(): Channel | null {
    const always = { ...this.details, remindersEnabled: true };
    for (const channel of ['sms', 'email'] as const) {
      if (blockingReason(always, 'client', channel, this.blockingContext()) === null) return channel;
    }
    return null;
  }

  private blockingContext() {
    return { optedOut: this.optedOut, deliverableChannels: this.channels };
  }

  /** What keeps a reminder from going out now; a manual one ignores the reminders switch (staff chose it). */
  private blockingReasonOf(reminder: Reminder): ReminderReason | null {
    const details = reminder.manual ? { ...this.details, remindersEnabled: true } : this.details;
    return blockingReason(details, reminder.recipient, reminder.channel, this.blockingContext());
  }

  /**
   * Throws the LifecycleError a manual reminder on `channel` would meet: the appointment is
   * over, or the client cannot get it (no consent, no address, opted out).
   */
  checkRemind(channel: Channel, now: Date): void {
    this.checkOpen();
    if (this.hasStarted(now)) {
      throw new LifecycleError(LIFECYCLE_REJECTION.closed, 'The appointment has already started.');
    }
    const reason = blockingReason(
      { ...this.details, remindersEnabled: true },
      'client',
      channel,
      this.blockingContext(),
    );
    if (reason) {
      throw new LifecycleError(
        LIFECYCLE_REJECTION.invalid,
        `the client cannot get a ${channel === 'sms' ? 'text' : 'email'} reminder: ${REMIND_REFUSALS[reason] ?? reason}`,
        'channel',
      );
    }
  }

  /** Staff asked for a reminder to the client now; it is sent like any other, once. */
  remindNow(channel: Channel, now: Date): Reminder {
    this.checkRemind(channel, now);
    const reminder: Reminder = {
      id: `r${this.nextSeq++}`,
      channel,
      recipient: 'client',
      before: 'PT0S',
      sendAt: now.toISOString(),
      state: 'pending',
      messageId: null,
      reason: null,
      fallbackFrom: null,
      manual: true,
    };
    this.reminders.push(reminder);
    this.record({ event: 'manual_reminder_requested', actor: 'staff', ...reminderFacts(reminder) }, now);
    this.version++;
    return reminder;
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
    const reason = this.blockingReasonOf(reminder);
    if (reason) {
      this.settle(reminder, 'skipped', reason);
      this.recordSkip(reminder);
      return null;
    }
    this.inFlight = id;
    this.version++;
    return reminder;
  }

  /** Whether something changed the reminder being sent into one that must not go out. */
  get inFlightSuperseded(): boolean {
    return this.inFlightSettlement !== null;
  }

  /**
   * After the workflow stopped a send: settles the reminder as the change that stopped it
   * says, or, when only the details changed, re-checks it against them. True when it may
   * still be sent (with the current details).
   */
  resumeInFlight(id: string): boolean {
    const settlement = this.inFlightSettlement;
    if (settlement) {
      this.endFlight();
      const stopped = this.find(id);
      this.settle(stopped, settlement.state, settlement.reason);
      this.recordSkip(stopped);
      return false;
    }
    const reminder = this.find(id);
    const reason = this.blockingReasonOf(reminder);
    if (!reason) return true;
    this.endFlight();
    this.settle(reminder, 'skipped', reason);
    this.recordSkip(reminder);
    return false;
  }

  markSent(id: string, messageId: string): void {
    const reminder = this.find(id);
    this.endFlight();
    reminder.messageId = messageId;
    this.settle(reminder, 'sent', null);
  }

  markFailed(id: string, reason: ReminderReason, messageId: string | null): void {
    const reminder = this.find(id);
    this.endFlight();
    reminder.messageId = messageId;
    this.settle(reminder, 'failed', reason);
    // A refusal is on the message's row; a gateway that never answered is on no row.
    if (reason === 'gateway_unavailable') {
      this.record({ event: 'reminder_failed', actor: 'system', ...reminderFacts(reminder), reason });
    }
  }

  markSkipped(id: string, reason: ReminderReason): void {
    this.endFlight();
    const reminder = this.find(id);
    this.settle(reminder, 'skipped', reason);
    this.recordSkip(reminder);
  }

  /**
   * What the provider later said of a sent reminder: delivered, or failed (then it may fall
   * back, see canFallBack). A report for a message no reminder carries now (a fallback
   * replaced it, or a report came twice) changes nothing. Returns the reminder it changed.
   */
  applyDelivery(report: DeliveryReport): Reminder | null {
    const reminder = this.reminders.find((r) => r.messageId === report.messageId);
    if (!reminder) return null;
    if (report.outcome === 'delivered' && reminder.state === 'sent') {
      this.settle(reminder, 'delivered', null);
      return reminder;
    }
    if (report.outcome === 'failed' && (reminder.state === 'sent' || reminder.state === 'delivered')) {
      this.settle(reminder, 'failed', 'undelivered');
      return reminder;
    }
    return null;
  }

  /**
   * Whether a client reminder whose SMS failed (refused when sent, reported undelivered, or
   * kept back by the practice's spent SMS budget) may go out by email instead: once per reminder, with the client's email and consent, and
   * only while the appointment is open and ahead.
   */
  canFallBack(id: string, now: Date): boolean {
    const reminder = this.find(id);
    const smsFailed =
      reminder.state === 'failed' || (reminder.state === 'skipped' && reminder.reason === 'credit_exhausted');
    return (
      smsFailed &&
      reminder.channel === 'sms' &&
      reminder.recipient === 'client' &&
      reminder.fallbackFrom === null &&
      !this.isClosed &&
      !this.confirmation &&
      !this.hasStarted(now) &&
      blockingReason(this.details, 'client', 'email', this.blockingContext()) === null
    );
  }

  /** The failed SMS reminder goes out by email now, under its own message (see canFallBack). */
  fallBack(id: string, now: Date): void {
    const reminder = this.find(id);
    reminder.fallbackFrom = reminder.channel;
    reminder.channel = 'email';
    reminder.sendAt = now.toISOString();
    reminder.messageId = null;
    this.settle(reminder, 'pending', null);
  }

  /**
   * Applies a client's reply once: a redelivered one (same message) changes nothing, an
   * opt-out or opt-in older than the last one applied is stale, and one from a number that
   * is no longer the client's does not touch their opt-out state.
   */
  applyReply(reply: Reply, now: Date): ReplyEffect {
    if (this.appliedReplies.includes(reply.messageId)) return 'duplicate';
    this.appliedReplies = [...this.appliedReplies, reply.messageId].slice(-REMEMBERED_REPLIES);
    if (reply.intent === 'confirm') {
      if (this.isClosed) return 'closed';
      this.confirm(new Date(reply.receivedAt), 'sms');
      return 'applied';
    }
    if (reply.from !== undefined && reply.from !== this.details.client.phone) return 'other_number';
    if (this.optStateAt !== null && reply.receivedAt < this.optStateAt) return 'stale';
    this.optStateAt = reply.receivedAt;
    if (reply.intent === 'opt_out') this.optOut('reply', reply.keyword);
    else this.optIn(now, reply.keyword);
    return 'applied';
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
    this.record({ event: 'confirmed', actor: via === 'staff' ? 'staff' : 'client', via }, at);
    this.settlePending((r) => r.recipient === 'client', 'skipped', 'confirmed');
  }

  cancel(at: Date, reason: string | null): void {
    if (this.cancellation) return;
    this.checkOpen();
    this.cancellation = { at: at.toISOString(), reason };
    this.record({ event: 'cancelled', actor: 'practice', ...(reason === null ? {} : { note: reason }) }, at);
    this.settlePending(() => true, 'cancelled', 'appointment_cancelled');
  }

  /**
   * `reply`: the client texted an opt-out keyword; `gateway`: a send found the number opted
   * out; `contact_change`: the client's new number was already opted out.
   */
  optOut(cause: 'reply' | 'gateway' | 'contact_change', keyword?: string): void {
    if (this.optedOut) return;
    this.optedOut = true;
    this.record({
      event: 'opted_out',
      actor: cause === 'reply' ? 'client' : 'system',
      cause,
      ...(keyword === undefined ? {} : { keyword }),
    });
    this.settlePending((r) => r.recipient === 'client' && r.channel === 'sms', 'skipped', 'opted_out');
  }

  /** Reminders of the current plan skipped only because of the opt-out, and still ahead, become pending again. */
  optIn(now: Date, keyword?: string): void {
    if (!this.optedOut) return;
    this.optedOut = false;
    this.record({
      event: 'opted_in',
      actor: keyword === undefined ? 'system' : 'client',
      ...(keyword === undefined ? {} : { keyword }),
    });
    if (this.inFlightSettlement?.reason === 'opted_out') this.inFlightSettlement = null;
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
      throw new LifecycleError(LIFECYCLE_REJECTION.invalid, STARTS_IN_PAST, 'startsAt');
    }
  }

  /**
   * A new time voids the confirmation and every pending reminder and plans afresh; a change
   * of contact details or consent keeps the plan, because each reminder re-checks them when due.
   */
  reschedule(change: RescheduleRequest, now: Date): void {
    this.checkReschedule(change, now);
    const previous = this.details;
    const previousStart = this.details.startsAt;
    this.details = {
      ...this.details,
      ...(change.startsAt !== undefined ? { startsAt: change.startsAt } : {}),
      ...(change.timeZone !== undefined ? { timeZone: change.timeZone } : {}),
      ...(change.location !== undefined ? { location: change.location } : {}),
      client: { ...this.details.client, ...change.client },
    };
    // Replies from the old number no longer say anything about the client's opt-out state.
    if (change.client?.phone !== undefined) this.optStateAt = null;
    const changedFields = contactFieldsChanged(previous, this.details);
    if (changedFields.length > 0) this.record({ event: 'contact_changed', actor: 'practice', fields: changedFields });
    if (change.clientPhoneOptedOut === true) this.optOut('contact_change');
    else if (change.clientPhoneOptedOut === false) this.optIn(now);
    const moved = DateTime.fromISO(this.details.startsAt).toMillis() !== DateTime.fromISO(previousStart).toMillis();
    if (moved) {
      this.confirmation = null;
      this.settlePending(() => true, 'cancelled', 'rescheduled');
      const plan = planReminders(this.details, {
        now,
        firstSeq: this.nextSeq,
        optedOut: this.optedOut,
        deliverableChannels: this.channels,
        quietHours: this.quietHours,
      });
      this.nextSeq += plan.length;
      this.planStart = this.reminders.length;
      this.reminders.push(...plan);
      this.record({
        event: 'rescheduled',
        actor: 'practice',
        from: previousStart,
        startsAt: this.details.startsAt,
        timeZone: this.details.timeZone,
      });
      this.recordPlan(plan);
    }
    this.version++;
  }

  /** The start time has come: nothing more will be sent. */
  end(): void {
    this.over = true;
    this.settlePending(() => true, 'skipped', 'past_due');
  }

  /** The workflow is about to finish: the last entry of the journal. */
  recordEnd(): void {
    this.record({ event: 'ended', actor: 'system', status: this.status });
  }

  view(workflowId: string, runId: string): AppointmentView {
    return {
      appointmentId: this.appointmentId,
      status: this.status,
      startsAt: this.details.startsAt,
      timeZone: this.details.timeZone,
      location: this.details.location ?? null,
      client: { ...this.details.client },
      practitioner: this.details.practitioner ? { ...this.details.practitioner } : null,
      recipients: this.details.recipients,
      remindersEnabled: this.details.remindersEnabled,
      confirmation: this.confirmation,
      cancellation: this.cancellation,
      reminders: this.reminders.map((r) => ({ ...r })),
      workflowId,
      runId,
    };
  }

  private get status(): AppointmentStatus {
    return this.statusWith(this.currentPlan());
  }

  /**
   * The status the appointment will have once this reminder is sent, as things stand: the
   * send records it with its message, so the move costs the workflow no activity of its own.
   */
  statusIfSent(reminderId: string): AppointmentStatus {
    return this.statusWith(this.currentPlan().map((r) => (r.id === reminderId ? { ...r, state: 'sent' } : r)));
  }

  private statusWith(reminders: Reminder[]): AppointmentStatus {
    return deriveStatus({
      cancellation: this.cancellation,
      confirmation: this.confirmation,
      optedOut: this.optedOut,
      over: this.over,
      reminders,
    });
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
      if (reminder.state !== 'pending' || !match(reminder)) continue;
      if (reminder.id === this.inFlight) {
        this.inFlightSettlement ??= { state, reason };
        continue;
      }
      reminder.state = state;
      reminder.reason = reason;
      if (state === 'skipped') this.recordSkip(reminder);
    }
    this.version++;
  }

  private record(entry: JournalFacts, at: Date = this.clock()): void {
    const stamped: JournalEntry = { at: at.toISOString(), ...entry };
    this.journal.push(stamped);
    this.onRecord(stamped);
    if (this.journal.length > JOURNAL_LIMIT) this.journal.splice(1, this.journal.length - JOURNAL_LIMIT);
  }

  private recordPlan(plan: Reminder[]): void {
    for (const reminder of plan) {
      if (reminder.state === 'pending')
        this.record({ event: 'reminder_planned', actor: 'system', ...reminderFacts(reminder) });
      else this.recordSkip(reminder);
    }
  }

  /** A skip the reader would not infer from a cancellation or a new time. */
  private recordSkip(reminder: Reminder): void {
    if (reminder.reason === 'appointment_cancelled' || reminder.reason === 'rescheduled') return;
    this.record({
      event: 'reminder_skipped',
      actor: 'system',
      ...reminderFacts(reminder),
      ...(reminder.reason === null ? {} : { reason: reminder.reason }),
    });
  }

  private endFlight(): void {
    this.inFlight = null;
    this.inFlightSettlement = null;
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

function reminderFacts(reminder: Reminder) {
  return {
    reminderId: reminder.id,
    channel: reminder.channel,
    recipient: reminder.recipient,
    sendAt: reminder.sendAt,
  };
}

/** Which of the client's contact details or consents a change touched (names only: no values in the log). */
function contactFieldsChanged(before: AppointmentDetails, after: AppointmentDetails): string[] {
  const fields = ['phone', 'email', 'smsConsent', 'emailConsent'] as const;
  const changed: string[] = fields.filter((f) => before.client[f] !== after.client[f]).map((f) => `client.${f}`);
  if (before.location !== after.location) changed.push('location');
  if (before.timeZone !== after.timeZone && before.startsAt === after.startsAt) changed.push('timeZone');
  return changed;
}
