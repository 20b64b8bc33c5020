import { Duration } from 'luxon';
import type { PermanentCode } from './gateway-faults';
import type { ChaosParams } from './params';
import type { Random } from './random';

// What a chaos run will do, decided up front from the parameters and the seed: the
// appointments (one phone number each, so every gateway message belongs to one
// appointment), the replies their clients send, and when each fault strikes.

export type ReplyKeyword = 'C' | 'STOP' | 'START';
export type FaultKind = 'worker_kill' | 'temporal_restart' | 'postgres_restart';

export interface PlannedAppointment {
  appointmentId: string;
  phone: string;
  /** Twilio refuses this number for good (the code it answers), or null. */
  unusable: PermanentCode | null;
  plannedStartMs: number;
}

export interface CreatedAppointment extends PlannedAppointment {
  createdAtMs: number;
  startsAtMs: number;
}

export interface PlannedReply {
  atMs: number;
  appointmentId: string;
  phone: string;
  keyword: ReplyKeyword;
}

export interface PlannedFault {
  atMs: number;
  kind: FaultKind;
}

export const beforeMs = (before: string): number => Duration.fromISO(before).toMillis();

/** Creation keeps at least this much time between "now" and the first reminder. */
export const MIN_TIME_TO_FIRST_REMINDER_MS = 20_000;

/** Start times spread evenly so that first reminders fall due over the window, `leadMs` from t0. */
export function planAppointments(params: ChaosParams, t0: number, random: Random): PlannedAppointment[] {
  const longest = Math.max(...params.reminders.map(beforeMs));
  const unusableCount = Math.round(params.appointments * params.permanentErrorRate);
  const unusable = new Set(random.shuffle([...Array(params.appointments).keys()]).slice(0, unusableCount));
  return Array.from({ length: params.appointments }, (_, i) => ({
    appointmentId: `CH-${String(i + 1).padStart(5, '0')}`,
    // Italian mobile numbers, one per appointment: +39 347 2000000 onwards.
    phone: `+39347${2_000_000 + i}`,
    unusable: unusable.has(i) ? random.pick<PermanentCode>([21211, 21614]) : null,
    plannedStartMs: t0 + params.leadMs + Math.round((i / params.appointments) * params.windowMs) + longest,
  }));
}

/** The start an appointment gets when created at `nowMs`: as planned, or later if creation fell behind. */
export function startFor(planned: PlannedAppointment, params: ChaosParams, nowMs: number): number {
  const longest = Math.max(...params.reminders.map(beforeMs));
  return Math.max(planned.plannedStartMs, nowMs + longest + MIN_TIME_TO_FIRST_REMINDER_MS);
}

/** Faults of each kind take turns, spread evenly between the first and the last reminder due. */
export function planFaults(params: ChaosParams, firstDueMs: number, lastDueMs: number): PlannedFault[] {
  const remaining: Record<FaultKind, number> = {
    worker_kill: params.workerKills,
    temporal_restart: params.temporalRestarts,
    postgres_restart: params.postgresRestarts,
  };
  const kinds: FaultKind[] = [];
  while (Object.values(remaining).some((n) => n > 0)) {
    for (const kind of Object.keys(remaining) as FaultKind[]) {
      if (remaining[kind] > 0) {
        kinds.push(kind);
        remaining[kind]--;
      }
    }
  }
  const span = lastDueMs - firstDueMs;
  return kinds.map((kind, j) => ({ kind, atMs: firstDueMs + Math.round(((j + 1) / (kinds.length + 1)) * span) }));
}

/**
 * The replies sent at planned times, and the appointments kept aside for the replies sent
 * while Temporal is down (chosen when it goes down). Each client sends one script: "C"; or
 * "STOP"; or "STOP" then "START" early enough that the last reminder is due after it. The
 * times keep clear of the edges where no outcome could be demanded (a STOP in the very
 * second a reminder goes out, a C as the appointment starts).
 */
export function planReplies(
  params: ChaosParams,
  appointments: CreatedAppointment[],
  nowMs: number,
  random: Random,
): { planned: PlannedReply[]; reserve: CreatedAppointment[] } {
  const longest = Math.max(...params.reminders.map(beforeMs));
  const shortest = Math.min(...params.reminders.map(beforeMs));
  const candidates = random.shuffle(appointments.filter((a) => a.unusable === null));
  const scheduled = Math.max(0, params.replies - params.repliesWhileTemporalDown);
  const pairs = Math.round(scheduled * 0.1);
  const stops = Math.round(scheduled * 0.3);
  const confirms = Math.max(0, scheduled - 2 * pairs - stops);
  const planned: PlannedReply[] = [];
  const used = new Set<CreatedAppointment>();
  const reply = (a: CreatedAppointment, keyword: ReplyKeyword, atMs: number): void => {
    planned.push({ atMs: Math.round(atMs), appointmentId: a.appointmentId, phone: a.phone, keyword });
  };
  // Replies come from now on (not in a burst for appointments created a while ago): each
  // script goes to the next client whose window for it is still open.
  const earliest = (a: CreatedAppointment): number => Math.max(a.createdAtMs, nowMs) + 2_000;
  const script = (count: number, latest: (a: CreatedAppointment) => number, write: (a: CreatedAppointment) => void) => {
    for (let i = 0; i < count; i++) {
      const a = candidates.find((c) => !used.has(c) && latest(c) > earliest(c) + 1_000);
      if (!a) return;
      used.add(a);
      write(a);
    }
  };
  const confirmBy = (a: CreatedAppointment): number => a.startsAtMs - 20_000;
  const stopBy = (a: CreatedAppointment): number => a.startsAtMs - shortest - 5_000;
  // The START comes early enough that the last reminder falls due after it has taken effect.
  const stopBeforeStartBy = (a: CreatedAppointment): number =>
    Math.min(a.startsAtMs - longest + 10_000, a.startsAtMs - shortest - 25_000);
  script(confirms, confirmBy, (a) => reply(a, 'C', random.between(earliest(a), confirmBy(a))));
  script(stops, stopBy, (a) => reply(a, 'STOP', random.between(earliest(a), stopBy(a))));
  script(pairs, stopBeforeStartBy, (a) => {
    const stopAt = random.between(earliest(a), stopBeforeStartBy(a));
    reply(a, 'STOP', stopAt);
    reply(a, 'START', random.between(stopAt + 3_000, a.startsAtMs - shortest - 20_000));
  });
  return { planned: planned.sort((x, y) => x.atMs - y.atMs), reserve: candidates.filter((c) => !used.has(c)) };
}
