import { randomUUID } from 'node:crypto';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { ApplicationFailure, WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import { endUnsentMessage } from '../db/custom-messages';
import { practiceMessage, type MessageRow } from '../db/practice-message';
import type { AppointmentDetails, Channel, RecipientRole } from '../domain/appointment';
import {
  addressProblem,
  consentProblem,
  defaultSubject,
  recipientOf,
  scheduleCustomMessage,
  type CustomMessageRequest,
  type ResendMessageRequest,
} from '../domain/custom-message';
import { quietHoursOf } from '../domain/practice';
import { countSegments } from '../domain/segments';
import { customMessageWorkflowSummary } from '../domain/workflow-summaries';
import { ConflictError, NotFoundError, ValidationError, type FieldError } from '../lib/errors';
import type { customMessageWorkflow } from '../workflows/custom-message';
import {
  cancelCustomMessageUpdate,
  CUSTOM_MESSAGE_WORKFLOW_TYPE,
  customMessageWorkflowId,
  NOT_CANCELLABLE,
  type CustomMessageWorkflowInput,
} from '../workflows/custom-message-messages';
import { AppointmentIdKey, PracticeIdKey } from '../workflows/search-attributes';
import { START_DEADLINE_MS, startEach, type RepairResult, type WorkflowStartDeps } from './appointment-workflows';
import { messageColumns, messageJson, type MessageJson } from './message-log';

// A custom message is a row and a workflow, written in that order like an appointment
// (services/appointment-workflows.ts): the row holds everything the workflow is started with,
// and its `workflowId` is set only once Temporal confirmed the start. Until then, a cancel of
// the message and the worker's periodic repair start it, so a request that stopped between
// the two still sends its message, once (the workflow id is the message's).

interface Practice {
  id: string;
  name: string;
  timeZone: string;
  emailFrom: string | null;
  smsFrom: string;
  quietHoursStart: string | null;
  quietHoursEnd: string | null;
}

/** A start is quick; a Temporal that has not answered by then gets a 503, and the repair starts it later. */

export class CustomMessageService {
  constructor(private readonly deps: WorkflowStartDeps) {}

  /** Accepts the message (422 naming each field it cannot be sent with) and starts its workflow. */
  async send(practice: Practice, request: CustomMessageRequest): Promise<MessageJson> {
    const { prisma } = this.deps;
    const linked =
      request.appointmentId === undefined ? null : await this.appointment(practice.id, request.appointmentId);
    const details = (linked?.details ?? null) as AppointmentDetails | null;
    const recipient = recipientOf(details, request.channel, request.to);
    const errors: FieldError[] = [];
    const noConsent = details ? consentProblem(details, recipient, request.channel) : null;
    if (noConsent) errors.push({ path: 'to', message: noConsent });
    if (request.channel === 'email' && !practice.emailFrom) {
      errors.push({
        path: 'channel',
        message: 'the practice has no email sender address (practice update --email-from)',
      });
    }
    const schedule = scheduleCustomMessage({
      sendAt: request.sendAt,
      now: new Date(),
      quietHours: quietHoursOf(practice),
      timeZone: linked?.timeZone ?? practice.timeZone,
      deadline: linked?.startsAt ?? null,
    });
    if ('refused' in schedule) errors.push(schedule.refused);
    if (errors.length > 0 || 'refused' in schedule) throw new ValidationError(errors);

    const sms = request.channel === 'sms' ? countSegments(request.body) : null;
    const id = randomUUID();
    const row = await prisma.message.create({
      data: {
        id,
        practiceId: practice.id,
        appointmentId: linked?.id ?? null,
        direction: 'outbound',
        channel: request.channel,
        purpose: 'custom',
        recipient,
        to: request.to,
        from: (sms ? practice.smsFrom : practice.emailFrom) ?? '',
        subject: sms ? null : (request.subject ?? defaultSubject(practice.name)),
        body: request.body,
        segments: sms?.segments ?? null,
        encoding: sms?.encoding ?? null,
        status: 'scheduled',
        scheduledFor: schedule.scheduledFor,
        // The send activity finds the row by it, as it finds a reminder's.
        idempotencyKey: customMessageWorkflowId(practice.id, id),
      },
    });
    await ensureCustomMessageStarted(this.deps, row, { practice, appointment: linked });
    return this.json(row.id);
  }

  /** Any message of the practice; another practice's is a 404. */
  async message(practiceId: string, messageId: string): Promise<MessageJson> {
    return this.json((await practiceMessage(this.deps.prisma, practiceId, messageId)).id);
  }

  /** Cancels a custom message that has not begun to go out; repeating it answers the same. */
  async cancel(practiceId: string, messageId: string): Promise<MessageJson> {
    const row = await practiceMessage(this.deps.prisma, practiceId, messageId);
    if (row.direction !== 'outbound' || row.purpose !== 'custom') {
      throw new ConflictError(
        'Only custom messages can be cancelled; a reminder follows its appointment (change or cancel the appointment).',
      );
    }
    if (row.status === 'cancelled') return this.json(row.id);
    await ensureCustomMessageStarted(this.deps, row);
    const handle = this.deps.temporal.workflow.getHandle<typeof customMessageWorkflow>(row.workflowId!);
    try {
      await handle.executeUpdate(cancelCustomMessageUpdate);
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
        if (err.cause.type === NOT_CANCELLABLE) throw new ConflictError(err.cause.message);
      }
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      // The workflow has ended (sent, refused, or cancelled by an earlier request): the row says how.
      const current = await this.deps.prisma.message.findUniqueOrThrow({ where: { id: row.id } });
      if (current.status === 'cancelled') return this.json(row.id);
      throw new ConflictError(`The message can no longer be cancelled: its status is "${current.status}".`);
    }
    // The workflow records it too; written here as well so this answer shows it.
    await endUnsentMessage(this.deps.prisma, row.id, { status: 'cancelled', errorCode: null, explanation: null });
    return this.json(row.id);
  }

  /** The same text again as a new message, now, to `to` when given (a client who changed numbers). */
  async resend(practice: Practice, messageId: string, request: ResendMessageRequest): Promise<MessageJson> {
    const original = await practiceMessage(this.deps.prisma, practice.id, messageId);
    if (original.direction !== 'outbound') {
      throw new ConflictError('Only messages the practice sent can be resent; this one was received.');
    }
    const channel = original.channel as Channel;
    const to = request.to ?? original.to;
    const wrongAddress = addressProblem(channel, to);
    if (wrongAddress) throw new ValidationError([{ path: 'to', message: wrongAddress }]);
    const appointment = original.appointmentId
      ? await this.deps.prisma.appointment.findUnique({ where: { id: original.appointmentId } })
      : null;
    return this.send(practice, {
      to,
      channel,
      body: original.body,
      ...(channel === 'email' && original.subject ? { subject: original.subject } : {}),
      ...(appointment ? { appointmentId: appointment.externalId } : {}),
    });
  }

  private async appointment(practiceId: string, appointmentId: string) {
    const row = await this.deps.prisma.appointment.findUnique({
      where: { practiceId_externalId: { practiceId, externalId: appointmentId } },
    });
    // Another practice's appointment is indistinguishable from a missing one.
    if (!row) throw new NotFoundError(`No appointment "${appointmentId}".`);
    return row;
  }

  private async json(messageId: string): Promise<MessageJson> {
    return messageJson(
      await this.deps.prisma.message.findUniqueOrThrow({ where: { id: messageId }, select: messageColumns }),
    );
  }
}

/**
 * Starts the row's workflow unless its start is confirmed (`workflowId` set), then confirms
 * it. Safe to repeat and to race: a running workflow with the id is adopted (USE_EXISTING),
 * and a closed one is never started again (REJECT_DUPLICATE).
 */
export async function ensureCustomMessageStarted(
  deps: WorkflowStartDeps,
  row: MessageRow,
  /** The row's practice and appointment when the caller has them at hand (a send); else they are read. */
  known?: {
    practice: { name: string; timeZone: string };
    appointment: { externalId: string; startsAt: Date } | null;
  },
): Promise<void> {
  if (row.workflowId) return;
  const workflowId = customMessageWorkflowId(row.practiceId, row.id);
  const { practice, appointment } = known ?? {
    practice: await deps.prisma.practice.findUniqueOrThrow({
      where: { id: row.practiceId },
      select: { name: true, timeZone: true },
    }),
    appointment: row.appointmentId
      ? await deps.prisma.appointment.findUnique({ where: { id: row.appointmentId } })
      : null,
  };
  const input: CustomMessageWorkflowInput = {
    practiceId: row.practiceId,
    messageId: row.id,
    channel: row.channel as Channel,
    to: row.to,
    recipient: (row.recipient ?? 'client') as RecipientRole,
    text: row.body,
    subject: row.subject,
    scheduledFor: (row.scheduledFor ?? row.createdAt).toISOString(),
    appointment: appointment
      ? { appointmentId: appointment.externalId, startsAt: appointment.startsAt.toISOString() }
      : null,
    timeZone: practice.timeZone,
  };
  try {
    await deps.temporal.withDeadline(Date.now() + START_DEADLINE_MS, () =>
      deps.temporal.workflow.start<typeof customMessageWorkflow>(CUSTOM_MESSAGE_WORKFLOW_TYPE, {
        workflowId,
        taskQueue: deps.taskQueue,
        args: [input],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        staticSummary: customMessageWorkflowSummary({
          practiceId: row.practiceId,
          practiceName: practice.name,
          channel: input.channel,
          recipient: input.recipient,
          scheduledFor: input.scheduledFor,
          timeZone: practice.timeZone,
          appointmentId: appointment?.externalId ?? null,
        }),
        typedSearchAttributes: [
          { key: PracticeIdKey, value: row.practiceId },
          ...(appointment ? [{ key: AppointmentIdKey, value: appointment.externalId }] : []),
        ],
      }),
    );
  } catch (err) {
    // Only a closed workflow with this id refuses the start: it ran.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  await deps.prisma.message.updateMany({ where: { id: row.id, workflowId: null }, data: { workflowId } });
  row.workflowId = workflowId;
}

/**
 * Starts the workflows of custom messages whose start was never confirmed (the request
 * stopped between the row and the start, or Temporal was down). The worker runs it
 * periodically, next to the appointments' repair.
 */
export async function repairUnstartedCustomMessages(
  options: WorkflowStartDeps & { olderThanMs: number; limit?: number },
): Promise<RepairResult> {
  const { prisma, olderThanMs, limit = 50 } = options;
  const rows = await prisma.message.findMany({
    where: {
      direction: 'outbound',
      purpose: 'custom',
      workflowId: null,
      createdAt: { lte: new Date(Date.now() - olderThanMs) },
    },
    orderBy: { createdAt: 'asc' },
    take: limit,
  });
  return startEach(
    rows,
    (row) => customMessageWorkflowId(row.practiceId, row.id),
    (row) => ensureCustomMessageStarted(options, row),
  );
}
