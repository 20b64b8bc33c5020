import { createHash } from 'node:crypto';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Prisma } from '../db/client';
import { isOptedOut } from '../db/opt-outs';
import { workflowIdFor, type AppointmentDetails, type AppointmentView } from '../domain/appointment';
import type { JournalEntry } from '../domain/appointment-journal';
import { composeAppointmentLog, type AppointmentLogEntry } from '../domain/appointment-log';
import { statusHistoryOf, withDeliveries } from '../domain/delivery-status';
import type { CreateAppointmentRequest, RescheduleAppointmentRequest } from '../domain/appointment-request';
import { normalizeStartsAt, STARTS_IN_PAST, startsInFuture } from '../domain/appointment-time';
import { quietHoursOf, reminderPolicyOf, remindersWithRecipients } from '../domain/practice';
import { planReminders } from '../domain/reminder-plan';
import type { QuietHours } from '../domain/quiet-hours';
import { ConflictError, NotFoundError, ValidationError } from '../lib/errors';
import { temporalUiWorkflowUrl } from '../lib/temporal-ui';
import {
  cancelUpdate,
  confirmUpdate,
  journalQuery,
  type ConfirmRequest,
  type RemindRequest,
  remindUpdate,
  rescheduleUpdate,
  stateQuery,
  UPDATE_REJECTION,
  type CancelRequest,
} from '../workflows/messages';
import { startingLifecycle } from '../workflows/starting-lifecycle';
import { ensureWorkflowStarted, type AppointmentRow, type WorkflowStartDeps } from './appointment-workflows';

interface Practice {
  id: string;
  name: string;
  timeZone: string;
  reminderPolicy: unknown;
  quietHoursStart: string | null;
  quietHoursEnd: string | null;
}

/**
 * The appointment operations behind the API. Each appointment is one workflow; the
 * `appointments` row exists so that ids are unique per practice, retries are recognised and
 * replies can be matched. It is written first, with what the workflow is started with, and
 * never removed: a create that stopped before its workflow started, or whose start Temporal
 * carried out without answering, is completed by the next use of the appointment or by the
 * worker's repair (services/appointment-workflows.ts).
 */
/** The view as the API answers it: with a link to its workflow in the Temporal UI, when the UI's address is configured. */
export type AppointmentViewWithLink = AppointmentView & { temporalUiUrl: string | null };

export class AppointmentService {
  constructor(private readonly deps: WorkflowStartDeps & { temporalUiUrl?: string | null }) {}

  async create(
    practice: Practice,
    request: CreateAppointmentRequest,
  ): Promise<{ created: boolean; view: AppointmentViewWithLink }> {
    const { prisma } = this.deps;
    const where = { practiceId_externalId: { practiceId: practice.id, externalId: request.appointmentId } };
    const requestHash = hashRequest(request);
    const details = toDetails(practice, request);
    const refusal = await this.refusal(practice, details);
    if (refusal) {
      // A retry answers with what it created, even when the request would no longer pass the
      // checks (the client texted STOP since, the start time has passed).
      const existing = await prisma.appointment.findUnique({ where });
      if (existing) return { created: false, view: await this.retried(existing, requestHash) };
      throw refusal;
    }
    // One round trip: the new row, or none when the appointment exists already (a retry, or
    // identical creates at once, of which one inserts).
    const [row] = await prisma.appointment.createManyAndReturn({
      data: {
        practiceId: practice.id,
        externalId: request.appointmentId,
        startsAt: new Date(details.startsAt),
        timeZone: details.timeZone,
        status: 'scheduled',
        workflowId: workflowIdFor(practice.id, request.appointmentId),
        clientPhone: details.client.phone ?? null,
        clientEmail: details.client.email ?? null,
        practitionerPhone: details.practitioner?.phone ?? null,
        requestHash,
        details: details as unknown as Prisma.InputJsonValue,
      },
      skipDuplicates: true,
    });
    if (!row) {
      return {
        created: false,
        view: await this.retried(await prisma.appointment.findUniqueOrThrow({ where }), requestHash),
      };
    }
    const [started] = await Promise.all([
      ensureWorkflowStarted(this.deps, row, practice),
      this.rememberContact(practice.id, details),
    ]);
    // The plan the workflow starts from, computed here from its input: waiting for the worker
    // to run the new workflow and answer a query would make every create as slow as the
    // busiest worker.
    if (!started) return { created: true, view: await this.viewOf(row) };
    const planned = startingLifecycle(started.input, () => new Date()).view(row.workflowId, started.runId);
    return { created: true, view: this.withLink(planned) };
  }

  /** Why the appointment cannot be made as asked (its start has passed, nothing could be sent), or null. */
  private async refusal(practice: Practice, details: AppointmentDetails): Promise<ValidationError | null> {
    const now = new Date();
    if (!startsInFuture(details.startsAt, now))
      return new ValidationError([{ path: 'startsAt', message: STARTS_IN_PAST }]);
    if (!details.remindersEnabled) return null;
    const optedOut = details.client.phone
      ? await isOptedOut(this.deps.prisma, practice.id, details.client.phone)
      : false;
    return unsendable(details, { now, optedOut, quietHours: quietHoursOf(practice) });
  }

  private async retried(row: AppointmentRow, requestHash: string): Promise<AppointmentViewWithLink> {
    if (row.requestHash !== requestHash) {
      throw new ConflictError(
        `Appointment "${row.externalId}" already exists with different details; use PATCH to change it.`,
      );
    }
    await ensureWorkflowStarted(this.deps, row);
    return this.viewOf(row);
  }

  /** The workflow's own answer; once Temporal has dropped a finished workflow, its final view. */
  async view(practiceId: string, appointmentId: string): Promise<AppointmentViewWithLink> {
    return this.viewOf(await this.row(practiceId, appointmentId));
  }

  private async viewOf(row: AppointmentRow): Promise<AppointmentViewWithLink> {
    try {
      return await this.present(await this.deps.temporal.workflow.getHandle(row.workflowId).query(stateQuery));
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      // Temporal no longer keeps the workflow: there is nothing to link to.
      if (row.finalView) return this.present(row.finalView as unknown as AppointmentView, false);
      // It ran (its start was confirmed) and ended without recording its view, and Temporal's
      // retention has removed it: starting it again from its first input would undo its changes.
      throw new ConflictError(
        `Appointment "${row.externalId}" has ended and its record is no longer kept; its last state is unknown.`,
      );
    }
  }

  /**
   * The appointment log: the workflow's journal (or, once Temporal no longer keeps the
   * workflow, the journal it recorded as it ended) merged with the message log.
   */
  async log(practiceId: string, appointmentId: string): Promise<AppointmentLogEntry[]> {
    const row = await this.row(practiceId, appointmentId);
    let journal: JournalEntry[];
    try {
      journal = await this.deps.temporal.workflow.getHandle(row.workflowId).query(journalQuery);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      journal = (row.finalJournal as unknown as JournalEntry[] | null) ?? [];
    }
    const messages = await this.deps.prisma.message.findMany({
      where: { appointmentId: row.id },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
    const logged = messages.map((m) => ({
      ...m,
      statusHistory: statusHistoryOf(m.statusHistory),
    }));
    return composeAppointmentLog(journal, logged, row.timeZone);
  }

  async reschedule(
    practiceId: string,
    appointmentId: string,
    change: RescheduleAppointmentRequest,
  ): Promise<AppointmentViewWithLink> {
    const row = await this.row(practiceId, appointmentId);
    const handle = this.deps.temporal.workflow.getHandle(row.workflowId);
    const current = await this.viewOf(row);
    const timeZone = change.timeZone ?? current.timeZone;
    const startsAt = change.startsAt ?? (change.timeZone ? current.startsAt : undefined);
    const newPhone = change.client?.phone;
    const clientPhoneOptedOut = newPhone ? await isOptedOut(this.deps.prisma, practiceId, newPhone) : undefined;
    return this.update(row, () =>
      handle.executeUpdate(rescheduleUpdate, {
        args: [
          {
            ...(startsAt ? { startsAt: normalizeStartsAt(startsAt, timeZone) } : {}),
            ...(change.timeZone ? { timeZone } : {}),
            ...(change.location !== undefined ? { location: change.location } : {}),
            ...(change.client ? { client: change.client } : {}),
            ...(clientPhoneOptedOut !== undefined ? { clientPhoneOptedOut } : {}),
          },
        ],
      }),
    );
  }

  /** Idempotent: cancelling a cancelled appointment answers with its view. */
  async cancel(practiceId: string, appointmentId: string, request: CancelRequest): Promise<AppointmentViewWithLink> {
    const row = await this.row(practiceId, appointmentId);
    const handle = this.deps.temporal.workflow.getHandle(row.workflowId);
    try {
      return await this.update(row, () => handle.executeUpdate(cancelUpdate, { args: [request] }));
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      const view = await this.viewOf(row);
      if (view.status === 'cancelled') return view;
      throw err;
    }
  }

  async confirm(
    practiceId: string,
    appointmentId: string,
    via: ConfirmRequest['via'] = 'staff',
  ): Promise<AppointmentViewWithLink> {
    const row = await this.row(practiceId, appointmentId);
    return this.update(row, () =>
      this.deps.temporal.workflow.getHandle(row.workflowId).executeUpdate(confirmUpdate, { args: [{ via }] }),
    );
  }

  /** Staff send a reminder now (ignoring the reminders switch, never consent or opt-outs); the view shows it pending. */
  async remind(practiceId: string, appointmentId: string, request: RemindRequest): Promise<AppointmentViewWithLink> {
    const row = await this.row(practiceId, appointmentId);
    return this.update(row, () =>
      this.deps.temporal.workflow.getHandle(row.workflowId).executeUpdate(remindUpdate, { args: [request] }),
    );
  }

  /** The appointment's row, its workflow started if a create stopped before starting it. */
  private async row(practiceId: string, appointmentId: string): Promise<AppointmentRow> {
    const row = await this.deps.prisma.appointment.findUnique({
      where: { practiceId_externalId: { practiceId, externalId: appointmentId } },
    });
    // Another practice's appointment is indistinguishable from a missing one.
    if (!row) throw new NotFoundError(`No appointment "${appointmentId}".`);
    await ensureWorkflowStarted(this.deps, row);
    return row;
  }

  private withLink(view: AppointmentView): AppointmentViewWithLink {
    const { temporalUiUrl: ui, temporal } = this.deps;
    return {
      ...view,
      temporalUiUrl: ui ? temporalUiWorkflowUrl(ui, temporal.options.namespace, view.workflowId) : null,
    };
  }

  /** The view as the API answers it: deliveries from the message log (the workflow hears only of failures), and its link. */
  private async present(view: AppointmentView, link = true): Promise<AppointmentViewWithLink> {
    const sent = view.reminders.flatMap((r) => (r.state === 'sent' && r.messageId ? [r.messageId] : []));
    const messages =
      sent.length === 0
        ? []
        : await this.deps.prisma.message.findMany({ where: { id: { in: sent } }, select: { id: true, status: true } });
    const shown = withDeliveries(view, new Map(messages.map((m) => [m.id, m.status])));
    return link ? this.withLink(shown) : { ...shown, temporalUiUrl: null };
  }

  private async update(row: AppointmentRow, run: () => Promise<AppointmentView>): Promise<AppointmentViewWithLink> {
    try {
      return await this.present(await run());
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        // The workflow has ended and Temporal no longer keeps it; its final view says why.
        const ended = (row.finalView as { status?: string } | null)?.status;
        throw new ConflictError(
          ended === 'cancelled' ? 'The appointment is cancelled.' : 'The appointment has already started.',
        );
      }
      if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
        if (err.cause.type === UPDATE_REJECTION.closed) throw new ConflictError(err.cause.message);
        if (err.cause.type === UPDATE_REJECTION.invalid) {
          const field = err.cause.details?.[0];
          throw new ValidationError([{ path: typeof field === 'string' ? field : '', message: err.cause.message }]);
        }
      }
      throw err;
    }
  }

  private async rememberContact(practiceId: string, details: AppointmentDetails): Promise<void> {
    const { client } = details;
    if (!client.phone) return;
    const data = {
      name: client.name,
      email: client.email ?? null,
      smsConsent: client.smsConsent,
      emailConsent: client.emailConsent,
    };
    await this.deps.prisma.contact.upsert({
      where: { practiceId_phone: { practiceId, phone: client.phone } },
      create: { practiceId, phone: client.phone, ...data },
      update: data,
    });
  }
}

function toDetails(practice: Practice, request: CreateAppointmentRequest): AppointmentDetails {
  const timeZone = request.timeZone ?? practice.timeZone;
  return {
    startsAt: normalizeStartsAt(request.startsAt, timeZone),
    timeZone,
    ...(request.location ? { location: request.location } : {}),
    client: request.client,
    ...(request.practitioner ? { practitioner: request.practitioner } : {}),
    ...remindersWithRecipients(request.reminders ?? reminderPolicyOf(practice), request.recipients),
    remindersEnabled: request.remindersEnabled,
  };
}

/** The plan the workflow will make must contain something it can actually send. */
function unsendable(
  details: AppointmentDetails,
  options: { now: Date; optedOut: boolean; quietHours: QuietHours | null },
): ValidationError | null {
  const plan = planReminders(details, { ...options, firstSeq: 1 });
  if (plan.some((r) => r.state === 'pending')) return null;
  const reasons = [...new Set(plan.map((r) => r.reason))].join(', ');
  return new ValidationError([
    {
      path: 'reminders',
      message: `no reminder can be sent (${reasons}): check consents and contact details`,
    },
  ]);
}

/** Key order and white space do not make a different request. */
function hashRequest(request: CreateAppointmentRequest): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
