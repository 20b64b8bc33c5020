import { createHash } from 'node:crypto';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import { ApplicationFailure, WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import type { PrismaClient } from '../db/client';
import { isOptedOut } from '../db/opt-outs';
import { workflowIdFor, type AppointmentDetails, type AppointmentView } from '../domain/appointment';
import type { CreateAppointmentRequest, RescheduleAppointmentRequest } from '../domain/appointment-request';
import { normalizeStartsAt } from '../domain/appointment-time';
import { reminderPolicyOf } from '../domain/practice';
import { planReminders } from '../domain/reminder-plan';
import { ConflictError, NotFoundError, ValidationError } from '../lib/errors';
import type { appointmentWorkflow } from '../workflows/appointment';
import {
  APPOINTMENT_WORKFLOW_TYPE,
  cancelUpdate,
  confirmUpdate,
  rescheduleUpdate,
  stateQuery,
  UPDATE_REJECTION,
  type AppointmentWorkflowInput,
  type CancelRequest,
} from '../workflows/messages';
import {
  AppointmentIdKey,
  AppointmentStartsAtKey,
  AppointmentStatusKey,
  PracticeIdKey,
} from '../workflows/search-attributes';

type AppointmentRow = NonNullable<Awaited<ReturnType<PrismaClient['appointment']['findUnique']>>>;

interface Practice {
  id: string;
  timeZone: string;
  reminderPolicy: unknown;
}

export interface AppointmentServiceDeps {
  prisma: PrismaClient;
  temporal: Client;
  taskQueue: string;
}

/**
 * The appointment operations behind the API. Each appointment is one workflow; the
 * `appointments` row exists so that ids are unique per practice, retries are recognised and
 * replies can be matched, and it is written before the workflow starts and removed if the
 * start fails, so a failed create leaves nothing behind.
 */
export class AppointmentService {
  constructor(private readonly deps: AppointmentServiceDeps) {}

  async create(
    practice: Practice,
    request: CreateAppointmentRequest,
  ): Promise<{ created: boolean; view: AppointmentView }> {
    const { prisma } = this.deps;
    const details = toDetails(practice, request);
    const now = new Date();
    const optedOut = details.client.phone ? await isOptedOut(prisma, practice.id, details.client.phone) : false;
    if (details.remindersEnabled) assertSendable(details, now, optedOut);

    const requestHash = hashRequest(request);
    const workflowId = workflowIdFor(practice.id, request.appointmentId);
    const input: AppointmentWorkflowInput = {
      practiceId: practice.id,
      appointmentId: request.appointmentId,
      details,
      optedOut,
    };

    const existing = await prisma.appointment.findUnique({
      where: { practiceId_externalId: { practiceId: practice.id, externalId: request.appointmentId } },
    });
    if (existing) {
      if (existing.requestHash !== requestHash) {
        throw new ConflictError(
          `Appointment "${request.appointmentId}" already exists with different details; use PATCH to change it.`,
        );
      }
      // A retry of a create whose response was lost, or whose process died before the start.
      await this.startWorkflow(input);
      return { created: false, view: await this.view(practice.id, request.appointmentId) };
    }

    const row = await prisma.appointment.create({
      data: {
        practiceId: practice.id,
        externalId: request.appointmentId,
        startsAt: new Date(details.startsAt),
        timeZone: details.timeZone,
        status: 'scheduled',
        workflowId,
        clientPhone: details.client.phone ?? null,
        clientEmail: details.client.email ?? null,
        requestHash,
      },
    });
    try {
      await this.startWorkflow(input);
    } catch (err) {
      await prisma.appointment.delete({ where: { id: row.id } });
      throw err;
    }
    await this.rememberContact(practice.id, details);
    return { created: true, view: await this.view(practice.id, request.appointmentId) };
  }

  /** The workflow's own answer; once Temporal has dropped a finished workflow, its final view. */
  async view(practiceId: string, appointmentId: string): Promise<AppointmentView> {
    return this.viewOf(await this.row(practiceId, appointmentId));
  }

  private async viewOf(row: AppointmentRow): Promise<AppointmentView> {
    try {
      return await this.deps.temporal.workflow.getHandle(row.workflowId).query(stateQuery);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError && row.finalView) return row.finalView as unknown as AppointmentView;
      throw err;
    }
  }

  async reschedule(
    practiceId: string,
    appointmentId: string,
    change: RescheduleAppointmentRequest,
  ): Promise<AppointmentView> {
    const row = await this.row(practiceId, appointmentId);
    const handle = this.deps.temporal.workflow.getHandle(row.workflowId);
    const current = await this.viewOf(row);
    const timeZone = change.timeZone ?? current.timeZone;
    const startsAt = change.startsAt ?? (change.timeZone ? current.startsAt : undefined);
    const newPhone = change.client?.phone;
    const clientPhoneOptedOut = newPhone ? await isOptedOut(this.deps.prisma, practiceId, newPhone) : undefined;
    return this.update(() =>
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
  async cancel(practiceId: string, appointmentId: string, request: CancelRequest): Promise<AppointmentView> {
    const row = await this.row(practiceId, appointmentId);
    const handle = this.deps.temporal.workflow.getHandle(row.workflowId);
    try {
      return await this.update(() => handle.executeUpdate(cancelUpdate, { args: [request] }));
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      const view = await this.viewOf(row);
      if (view.status === 'cancelled') return view;
      throw err;
    }
  }

  async confirm(practiceId: string, appointmentId: string): Promise<AppointmentView> {
    const row = await this.row(practiceId, appointmentId);
    return this.update(() => this.deps.temporal.workflow.getHandle(row.workflowId).executeUpdate(confirmUpdate));
  }

  private async startWorkflow(input: AppointmentWorkflowInput): Promise<void> {
    const workflowId = workflowIdFor(input.practiceId, input.appointmentId);
    try {
      await this.deps.temporal.workflow.start<typeof appointmentWorkflow>(APPOINTMENT_WORKFLOW_TYPE, {
        workflowId,
        taskQueue: this.deps.taskQueue,
        args: [input],
        // A running workflow for this appointment is the one we want; a finished one is never restarted.
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        typedSearchAttributes: [
          { key: PracticeIdKey, value: input.practiceId },
          { key: AppointmentIdKey, value: input.appointmentId },
          { key: AppointmentStatusKey, value: 'scheduled' },
          { key: AppointmentStartsAtKey, value: new Date(input.details.startsAt) },
        ],
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }

  private async row(practiceId: string, appointmentId: string): Promise<AppointmentRow> {
    const row = await this.deps.prisma.appointment.findUnique({
      where: { practiceId_externalId: { practiceId, externalId: appointmentId } },
    });
    // Another practice's appointment is indistinguishable from a missing one.
    if (!row) throw new NotFoundError(`No appointment "${appointmentId}".`);
    return row;
  }

  private async update(run: () => Promise<AppointmentView>): Promise<AppointmentView> {
    try {
      return await run();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        throw new ConflictError('The appointment is over: its start time has passed or it was cancelled.');
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
    reminders: request.reminders ?? reminderPolicyOf(practice),
    recipients: request.recipients,
    remindersEnabled: request.remindersEnabled,
  };
}

/** The plan the workflow will make must contain something it can actually send. */
function assertSendable(details: AppointmentDetails, now: Date, optedOut: boolean): void {
  const plan = planReminders(details, { now, firstSeq: 1, optedOut });
  if (plan.some((r) => r.state === 'pending')) return;
  const reasons = [...new Set(plan.map((r) => r.reason))].join(', ');
  throw new ValidationError([
    {
      path: 'reminders',
      message: `no reminder can be sent (${reasons}): check consents, contact details and channels (email reminders are not available yet)`,
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
