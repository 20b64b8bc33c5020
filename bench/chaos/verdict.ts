import type { ReplyRecord } from './replies';
import { beforeMs, type CreatedAppointment } from './scenario';
import { percentile } from '../support/stats';

// The counting at the end of a chaos run, a pure function of what was observed: the
// messages the fake Twilio accepted, the product's message rows, every appointment's final
// view and workflow status, opt-out states, and the replies posted.
//
// Twilio has no idempotency key, so gateway messages are attributed to reminders like this:
// every appointment has a phone number of its own, so the `To` names the appointment; a
// message whose SID a message row recorded belongs to that row's reminder (the row's key is
// `<workflowId>/<reminderId>`). The other messages with a reminder's body (accepted, but
// their answer was lost, or the product never recorded them) cannot say which of the
// appointment's reminders they are, since those share one text: each is given, in arrival
// order, to a reminder of that body whose row was claimed before it arrived and that has
// no message yet; only what is left over counts as a copy. So "sent 2+ times" is a lower
// bound, never an overcount, and a message no claimed row explains is counted on its own.

/** A send that had passed its opt-out check when the STOP was recorded may still arrive this long after it. */
export const STOP_GRACE_MS = 10_000;
/** A START reaches the workflows within this long (plus what remains of a Temporal outage it came in). */
export const START_GRACE_MS = 10_000;
/** A run that kept every promise: what each count must be. */
export const ALL_ZERO: Readonly<Counts> = {
  remindersNeverSent: 0,
  remindersSentTwiceOrMore: 0,
  remindersSentAfterStart: 0,
  unexplainedGatewayMessages: 0,
  repliesWithoutEffect: 0,
  repliesNotAnswered: 0,
  appointmentsNotInExpectedState: 0,
};

/** Row timestamps come from PostgreSQL, message arrivals from this process: same machine, some slack. */
const CLOCK_SLACK_MS = 1_000;
const DETAIL_LIMIT = 50;

export interface GatewayMessage {
  sid: string;
  to: string;
  body: string;
  receivedAtMs: number;
}

export interface MessageRow {
  id: string;
  idempotencyKey: string | null;
  to: string;
  body: string;
  providerId: string | null;
  status: string;
  createdAtMs: number;
}

export interface FinalReminder {
  id: string;
  state: string;
  reason: string | null;
}

export interface FinalState {
  /** The appointment view from GET /v1/appointments/:id, or null when it could not be read. */
  status: string | null;
  reminders: FinalReminder[];
  /** Temporal's status of the workflow (COMPLETED, RUNNING, FAILED…), or null when unknown. */
  workflowStatus: string | null;
  error: string | null;
}

export interface Observations {
  reminders: string[];
  appointments: CreatedAppointment[];
  gatewayMessages: GatewayMessage[];
  messageRows: MessageRow[];
  finals: ReadonlyMap<string, FinalState>;
  optedOutAtEnd: ReadonlyMap<string, boolean>;
  replies: ReplyRecord[];
  temporalDowntimes: Array<{ fromMs: number; toMs: number }>;
}

export interface Counts {
  /** Reminders that should have reached the gateway and never did. */
  remindersNeverSent: number;
  /** Reminders that reached the gateway two or more times (lower bound, see above). */
  remindersSentTwiceOrMore: number;
  /** Reminder messages the gateway received at or after the appointment's start. */
  remindersSentAfterStart: number;
  /** Gateway messages that no claimed message row explains (wrong number or text). */
  unexplainedGatewayMessages: number;
  /** Replies whose effect is missing at the end (see replyWithoutEffect). */
  repliesWithoutEffect: number;
  /** Replies not answered 2xx within Twilio's 15 s: Twilio does not redeliver them. */
  repliesNotAnswered: number;
  /** Appointments whose workflow did not complete or whose status is not the expected one. */
  appointmentsNotInExpectedState: number;
}

export interface Verdict {
  counts: Counts;
  info: {
    reminders: number;
    remindersRequired: number;
    remindersExcusedPermanent: number;
    gatewayMessages: number;
    extraCopies: number;
    /** Reminders the product shows unsent (failed, skipped, pending) although the gateway has them. */
    shownUnsentButAtGateway: number;
    /** Reminder messages that arrived more than STOP_GRACE_MS after a C for that appointment. */
    sentAfterConfirmation: number;
    /** Replies refused while PostgreSQL was down; left out of every count. */
    repliesRefusedWhileDatabaseDown: number;
    replyLatencyMs: { p50: number | null; p95: number | null; max: number | null };
  };
  details: Record<keyof Counts, string[]>;
}

interface Slot {
  id: string;
  dueMs: number;
  row: MessageRow | null;
  copies: GatewayMessage[];
}

const answered = (reply: ReplyRecord): boolean => reply.status !== null && reply.status >= 200 && reply.status <= 299;

export function judge(observed: Observations): Verdict {
  // A reply refused while PostgreSQL was down was never recorded, as the contract allows
  // (2xx only once durably recorded): the client's text is lost at Twilio, not in the product.
  const lostWithDatabase = observed.replies.filter((r) => r.postgresDown && !answered(r));
  const obs = { ...observed, replies: observed.replies.filter((r) => !lostWithDatabase.includes(r)) };
  const rules = [...obs.reminders].sort((a, b) => beforeMs(b) - beforeMs(a));
  const details = {} as Record<keyof Counts, string[]>;
  const counts: Counts = { ...ALL_ZERO };
  const flag = (count: keyof Counts, detail: string): void => {
    counts[count]++;
    if (details[count].length < DETAIL_LIMIT) details[count].push(detail);
  };
  for (const key of Object.keys(counts) as Array<keyof Counts>) details[key] = [];

  const messagesTo = groupBy(obs.gatewayMessages, (m) => m.to);
  const rowsTo = groupBy(obs.messageRows, (r) => r.to);
  const repliesFrom = groupBy(obs.replies, (r) => r.phone);
  const known = new Set(obs.appointments.map((a) => a.phone));
  for (const [to, messages] of messagesTo) {
    if (!known.has(to)) for (const m of messages) flag('unexplainedGatewayMessages', `${m.sid} to unknown ${to}`);
  }

  let remindersRequired = 0;
  let remindersExcusedPermanent = 0;
  let extraCopies = 0;
  let shownUnsentButAtGateway = 0;
  let sentAfterConfirmation = 0;

  for (const a of obs.appointments) {
    const final = obs.finals.get(a.appointmentId) ?? null;
    const replies = (repliesFrom.get(a.phone) ?? []).sort((x, y) => x.sentAtMs - y.sentAtMs);
    const rows = rowsTo.get(a.phone) ?? [];
    const slots: Slot[] = rules.map((before, j) => {
      const id = `r${j + 1}`;
      return {
        id,
        dueMs: a.startsAtMs - beforeMs(before),
        row: rows.find((r) => r.idempotencyKey?.endsWith(`/${id}`)) ?? null,
        copies: [],
      };
    });
    const reminderBodies = new Set(slots.flatMap((s) => (s.row ? [s.row.body] : [])));
    const reminderMessages: GatewayMessage[] = [];
    for (const m of (messagesTo.get(a.phone) ?? []).sort((x, y) => x.receivedAtMs - y.receivedAtMs)) {
      if (reminderBodies.has(m.body)) reminderMessages.push(m);
      else if (!rows.some((r) => r.body === m.body && r.createdAtMs <= m.receivedAtMs + CLOCK_SLACK_MS))
        flag('unexplainedGatewayMessages', `${a.appointmentId}: ${m.sid} with a text no message row has`);
    }

    // Attribution: recorded SIDs first, then the unrecorded copies in arrival order.
    const unowned: GatewayMessage[] = [];
    for (const m of reminderMessages) {
      const owner = slots.find((s) => s.row?.providerId === m.sid);
      if (owner) owner.copies.push(m);
      else unowned.push(m);
    }
    for (const m of unowned) {
      const eligible = slots
        .filter((s) => s.row && s.row.body === m.body && s.row.createdAtMs <= m.receivedAtMs + CLOCK_SLACK_MS)
        .sort((x, y) => x.row!.createdAtMs - y.row!.createdAtMs);
      const target = eligible.find((s) => s.copies.length === 0) ?? eligible[eligible.length - 1];
      if (target) target.copies.push(m);
      else flag('unexplainedGatewayMessages', `${a.appointmentId}: ${m.sid} arrived before any row with its text`);
    }

    const confirms = replies.filter((r) => r.keyword === 'C');
    for (const slot of slots) {
      const finalReminder = final?.reminders.find((r) => r.id === slot.id) ?? null;
      if (slot.copies.length >= 2) {
        extraCopies += slot.copies.length - 1;
        flag(
          'remindersSentTwiceOrMore',
          `${a.appointmentId}/${slot.id}: ${slot.copies.length} copies (${slot.copies.map((m) => m.sid).join(', ')})`,
        );
      }
      for (const m of slot.copies) {
        if (m.receivedAtMs >= a.startsAtMs) {
          flag(
            'remindersSentAfterStart',
            `${a.appointmentId}/${slot.id}: ${m.sid} ${m.receivedAtMs - a.startsAtMs} ms after the start`,
          );
        }
        if (confirms.some((c) => m.receivedAtMs > c.sentAtMs + STOP_GRACE_MS)) sentAfterConfirmation++;
      }
      if (slot.copies.length > 0 && finalReminder && !['sent', 'delivered'].includes(finalReminder.state)) {
        shownUnsentButAtGateway++;
      }
      if (a.unusable !== null) {
        remindersExcusedPermanent++;
        continue;
      }
      if (!isRequired(slot, a, replies, finalReminder, obs.temporalDowntimes)) continue;
      remindersRequired++;
      if (slot.copies.length === 0) {
        const shown = finalReminder
          ? `${finalReminder.state}${finalReminder.reason ? ` (${finalReminder.reason})` : ''}`
          : 'unknown';
        flag('remindersNeverSent', `${a.appointmentId}/${slot.id}: due ${isoTime(slot.dueMs)}, product shows ${shown}`);
      }
    }

    for (const reply of replies) {
      if (!answered(reply)) {
        flag(
          'repliesNotAnswered',
          `${a.appointmentId} ${reply.keyword} at ${isoTime(reply.sentAtMs)}: ${reply.status ?? reply.error}` +
            (reply.temporalDown ? ' (Temporal down)' : ''),
        );
      }
      const missing = replyWithoutEffect(reply, replies, reminderMessages, final, obs, a.phone);
      if (missing)
        flag('repliesWithoutEffect', `${a.appointmentId} ${reply.keyword} at ${isoTime(reply.sentAtMs)}: ${missing}`);
    }

    const expected = expectedStatus(a, replies);
    const problem =
      final === null || final.status === null
        ? `no final view (${final?.error ?? 'not collected'})`
        : final.workflowStatus !== 'COMPLETED'
          ? `workflow ${final.workflowStatus ?? 'unknown'} after the start`
          : final.status !== expected
            ? `status ${final.status}, expected ${expected}`
            : null;
    if (problem) flag('appointmentsNotInExpectedState', `${a.appointmentId}: ${problem}`);
  }

  const latencies = obs.replies.map((r) => r.latencyMs).filter((l): l is number => l !== null);

  return {
    counts,
    info: {
      reminders: obs.appointments.length * rules.length,
      remindersRequired,
      remindersExcusedPermanent,
      gatewayMessages: obs.gatewayMessages.length,
      extraCopies,
      shownUnsentButAtGateway,
      sentAfterConfirmation,
      repliesRefusedWhileDatabaseDown: lostWithDatabase.length,
      replyLatencyMs: {
        p50: percentile(latencies, 0.5),
        p95: percentile(latencies, 0.95),
        max: percentile(latencies, 1),
      },
    },
    details,
  };
}

/**
 * Whether a reminder had to reach the gateway: its number is usable, no C came before it
 * was due, the number was not opted out when it was due, and the product does not show it
 * skipped for a confirmation or opt-out that really happened (a reply that came after the
 * due time, while faults delayed the send, legitimately stops it).
 */
function isRequired(
  slot: Slot,
  a: CreatedAppointment,
  replies: ReplyRecord[],
  shown: FinalReminder | null,
  downtimes: Observations['temporalDowntimes'],
): boolean {
  const confirms = replies.filter((r) => r.keyword === 'C' && r.sentAtMs < a.startsAtMs);
  if (confirms.some((c) => c.sentAtMs <= slot.dueMs)) return false;
  if (shown?.state === 'skipped' && shown.reason === 'confirmed' && confirms.length > 0) return false;
  if (optedOutAt(replies, slot.dueMs, downtimes)) return false;
  if (shown?.state === 'skipped' && shown.reason === 'opted_out') {
    const stops = replies.filter((r) => r.keyword === 'STOP' && r.sentAtMs < a.startsAtMs);
    const undone = (stop: ReplyRecord): boolean =>
      replies.some(
        (r) => r.keyword === 'START' && r.sentAtMs > stop.sentAtMs && startEffectiveAt(r, downtimes) <= slot.dueMs,
      );
    if (stops.some((stop) => !undone(stop))) return false;
  }
  return true;
}

function startEffectiveAt(reply: ReplyRecord, downtimes: Observations['temporalDowntimes']): number {
  const outage = downtimes.find((d) => reply.sentAtMs >= d.fromMs && reply.sentAtMs < d.toMs);
  return reply.sentAtMs + START_GRACE_MS + (outage ? outage.toMs - reply.sentAtMs : 0);
}

function optedOutAt(replies: ReplyRecord[], atMs: number, downtimes: Observations['temporalDowntimes']): boolean {
  const changes = replies
    .filter((r) => r.keyword !== 'C')
    .map((r) => ({ at: r.keyword === 'STOP' ? r.sentAtMs : startEffectiveAt(r, downtimes), out: r.keyword === 'STOP' }))
    .filter((c) => c.at <= atMs)
    .sort((x, y) => x.at - y.at);
  return changes.length > 0 && changes[changes.length - 1].out;
}

/** What the appointment must show once it has started, given its number and its client's replies. */
function expectedStatus(a: CreatedAppointment, replies: ReplyRecord[]): string {
  if (a.unusable !== null) return 'failed';
  if (replies.some((r) => r.keyword === 'C')) return 'confirmed';
  const lastOpt = replies.filter((r) => r.keyword !== 'C').pop();
  return lastOpt?.keyword === 'STOP' ? 'opted_out' : 'unconfirmed';
}

/**
 * Why a reply shows no effect, or null: a C whose appointment is not confirmed; a STOP whose
 * number still got reminders after it (until a later START), or that is still in force but
 * the number is not opted out; a START in force while the number is still opted out.
 */
function replyWithoutEffect(
  reply: ReplyRecord,
  replies: ReplyRecord[],
  reminderMessages: GatewayMessage[],
  final: FinalState | null,
  obs: Observations,
  phone: string,
): string | null {
  const laterOpt = replies.find((r) => r.keyword !== 'C' && r.sentAtMs > reply.sentAtMs);
  const optedOut = obs.optedOutAtEnd.get(phone);
  switch (reply.keyword) {
    case 'C':
      return final?.status === 'confirmed' ? null : `appointment ${final?.status ?? 'unknown'}, not confirmed`;
    case 'STOP': {
      const until = laterOpt ? laterOpt.sentAtMs : Infinity;
      const after = reminderMessages.filter(
        (m) => m.receivedAtMs > reply.sentAtMs + STOP_GRACE_MS && m.receivedAtMs < until,
      );
      if (after.length > 0) return `${after.length} reminder(s) sent after it (${after[0].sid} first)`;
      if (laterOpt) return null;
      if (optedOut !== true) return 'the number is not opted out at the end';
      if (final?.status !== 'opted_out' && final?.status !== 'confirmed')
        return `appointment ${final?.status ?? 'unknown'}`;
      return null;
    }
    case 'START':
      if (laterOpt) return null;
      if (optedOut !== false) return 'the number is still opted out at the end';
      return final?.status === 'opted_out' ? 'the appointment is still opted_out' : null;
  }
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

function isoTime(ms: number): string {
  return new Date(ms).toISOString().slice(11, 23);
}
