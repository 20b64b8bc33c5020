import type { AppointmentView } from '../domain/appointment';
import { confirmLinkStanding, verifyConfirmToken, type ConfirmLinkStanding } from '../domain/confirm-token';
import { ConflictError, NotFoundError } from '../lib/errors';
import type { AppointmentService } from './appointments';
import type { WorkflowStartDeps } from './appointment-workflows';

// The confirm link of an email reminder, as its visitor meets it. Showing the link only reads
// (mail scanners and link previews fetch every link); confirming is a separate, explicit step.

/** A person waits on the page: Temporal not answering by then is a "try again shortly" page. */
const TEMPORAL_DEADLINE_MS = 10_000;

export interface LinkedAppointment {
  practiceName: string;
  /** Null only for an appointment that ended so long ago that its time is no longer kept. */
  time: { startsAt: string; timeZone: string } | null;
}

/** What the page tells its visitor. `confirmed` also answers a repeated confirmation. */
export type ConfirmLinkOutcome =
  { kind: 'invalid' } | { kind: 'expired' } | ({ kind: ConfirmLinkStanding } & LinkedAppointment);

interface Target {
  practiceId: string;
  appointmentId: string;
  practiceName: string;
}

export class ConfirmLinkService {
  private readonly appointments: AppointmentService;

  constructor(
    private readonly deps: Pick<WorkflowStartDeps, 'prisma' | 'temporal'> & {
      appointments: AppointmentService;
      linkSigningSecret: string;
    },
  ) {
    this.appointments = deps.appointments;
  }

  /** Never changes anything. */
  async show(token: string, now = new Date()): Promise<ConfirmLinkOutcome> {
    const target = await this.target(token, now);
    if ('kind' in target) return target;
    return this.standing(target, now);
  }

  /** Confirms with `via: "email"`; an appointment already confirmed (by any means) is simply confirmed. */
  async confirm(token: string, now = new Date()): Promise<ConfirmLinkOutcome> {
    const target = await this.target(token, now);
    if ('kind' in target) return target;
    let view: AppointmentView;
    try {
      view = await this.withinDeadline(() =>
        this.appointments.confirm(target.practiceId, target.appointmentId, 'email'),
      );
    } catch (err) {
      // Cancelled or started: the workflow refuses; the page says which.
      if (!(err instanceof ConflictError)) throw err;
      const standing = await this.standing(target, now);
      if (standing.kind === 'invalid' || standing.kind === 'expired' || standing.kind === 'cancelled') return standing;
      return { ...standing, kind: 'over' };
    }
    return { kind: 'confirmed', ...facts(target, view) };
  }

  private async target(token: string, now: Date): Promise<Target | { kind: 'invalid' | 'expired' }> {
    const check = verifyConfirmToken(this.deps.linkSigningSecret, token, now);
    if (check.status !== 'ok') return { kind: check.status };
    const practice = await this.deps.prisma.practice.findUnique({
      where: { id: check.practiceId },
      select: { name: true },
    });
    // Only a link signed with our secret gets here, for an appointment that is no longer
    // known (another deployment sharing the secret): the same answer as a forged one.
    if (!practice) return { kind: 'invalid' };
    return { practiceId: check.practiceId, appointmentId: check.appointmentId, practiceName: practice.name };
  }

  private async standing(target: Target, now: Date): Promise<ConfirmLinkOutcome> {
    let view: AppointmentView;
    try {
      view = await this.withinDeadline(() => this.appointments.view(target.practiceId, target.appointmentId));
    } catch (err) {
      if (err instanceof NotFoundError) return { kind: 'invalid' };
      // Ended, and Temporal no longer keeps it nor left a final view: over either way.
      if (err instanceof ConflictError) return { kind: 'over', practiceName: target.practiceName, time: null };
      throw err;
    }
    return { kind: confirmLinkStanding(view, now), ...facts(target, view) };
  }

  private withinDeadline<T>(run: () => Promise<T>): Promise<T> {
    return this.deps.temporal.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, run);
  }
}

function facts(target: Target, view: AppointmentView): LinkedAppointment {
  return { practiceName: target.practiceName, time: { startsAt: view.startsAt, timeZone: view.timeZone } };
}
