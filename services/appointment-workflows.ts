import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import type { PrismaClient } from '../db/client';
import { isTemporalUnavailable } from './temporal-errors';
import { isOptedOut } from '../db/opt-outs';
import type { AppointmentDetails } from '../domain/appointment';
import { quietHoursOf } from '../domain/practice';
import { DELIVERABLE_CHANNELS } from '../domain/reminder-plan';
import { appointmentWorkflowDetails, appointmentWorkflowSummary } from '../domain/workflow-summaries';
import type { appointmentWorkflow } from '../workflows/appointment';
import {
  APPOINTMENT_WORKFLOW_REVISION,
  APPOINTMENT_WORKFLOW_TYPE,
  type AppointmentWorkflowInput,
} from '../workflows/messages';
import { startingSearchAttributes } from '../workflows/search-attributes';

// An appointment is a row and a workflow, written in that order and not atomically: the row
// keeps what the workflow is started with (`details`) and whether its start was confirmed
// (`workflowStartedAt`). Until it is, any use of the row (a retried create, a read, a change)
// and the worker's periodic repair start the workflow, so a create that stopped half-way, or
// whose start Temporal carried out without the answer arriving, converges on one workflow.

export type AppointmentRow = NonNullable<Awaited<ReturnType<PrismaClient['appointment']['findUnique']>>>;

/** What a start needs of the practice: its quiet hours, and its name for the Temporal UI. */
type PracticeForStart = Parameters<typeof quietHoursOf>[0] & { name: string };

export interface WorkflowStartDeps {
  prisma: PrismaClient;
  temporal: Client;
  taskQueue: string;
}

/** A start is quick; a Temporal that has not answered by then gets a 503, not a hung request. */
export const START_DEADLINE_MS = 5_000;

/**
 * Starts the row's workflow unless its start is already confirmed, then confirms it. Safe to
 * repeat and to race: the workflow id is the appointment's, a running workflow with it is
 * adopted (USE_EXISTING), and a closed one is never started again (REJECT_DUPLICATE).
 */
export async function ensureWorkflowStarted(
  deps: WorkflowStartDeps,
  row: AppointmentRow,
  /** The row's practice when the caller has it at hand (a create); else it is read. */
  known?: PracticeForStart,
): Promise<StartedRun | null> {
  if (row.workflowStartedAt) return null;
  if (!row.details) {
    // Only rows from before `details` existed lack it, and the migration confirmed their starts.
    throw new Error(`Appointment row ${row.id} has neither a confirmed workflow start nor the details to start one.`);
  }
  const details = row.details as unknown as AppointmentDetails;
  // The practice's quiet hours as the workflow starts govern its plan, re-plans included.
  const practice =
    known ??
    (await deps.prisma.practice.findUniqueOrThrow({
      where: { id: row.practiceId },
      select: { id: true, name: true, quietHoursStart: true, quietHoursEnd: true },
    }));
  const input: AppointmentWorkflowInput = {
    practiceId: row.practiceId,
    appointmentId: row.externalId,
    details,
    // Read now, not at create: a STOP that came in between found no workflow to tell.
    optedOut: details.client.phone ? await isOptedOut(deps.prisma, row.practiceId, details.client.phone) : false,
    channels: [...DELIVERABLE_CHANNELS],
    quietHours: quietHoursOf(practice),
    revision: APPOINTMENT_WORKFLOW_REVISION,
  };
  const facts = {
    practiceId: row.practiceId,
    practiceName: practice.name,
    appointmentId: row.externalId,
    startsAt: details.startsAt,
    timeZone: details.timeZone,
    clientName: details.client.name,
  };
  let runId: string | null = null;
  try {
    const handle = await deps.temporal.withDeadline(Date.now() + START_DEADLINE_MS, () =>
      deps.temporal.workflow.start<typeof appointmentWorkflow>(APPOINTMENT_WORKFLOW_TYPE, {
        workflowId: row.workflowId,
        taskQueue: deps.taskQueue,
        args: [input],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        staticSummary: appointmentWorkflowSummary(facts),
        staticDetails: appointmentWorkflowDetails({ ...facts, reminders: details.reminders }),
        typedSearchAttributes: startingSearchAttributes(input),
      }),
    );
    runId = handle.firstExecutionRunId;
  } catch (err) {
    // Only a closed workflow with this id refuses the start: it ran, which is all we need to know.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  const startedAt = new Date();
  await deps.prisma.appointment.updateMany({
    where: { id: row.id, workflowStartedAt: null },
    data: { workflowStartedAt: startedAt },
  });
  row.workflowStartedAt = startedAt;
  return runId === null ? null : { input, runId };
}

/** The run a start began (or adopted: a run of this appointment already under way) and its input. */
export interface StartedRun {
  input: AppointmentWorkflowInput;
  runId: string;
}

export interface RepairOptions extends WorkflowStartDeps {
  /** Rows younger than this may belong to a create still under way; leave them to it. */
  olderThanMs: number;
  /** Rows handled per call, oldest first. */
  limit?: number;
}

export interface RepairResult {
  /** Workflow ids whose start is now confirmed (started now, or found already started). */
  repaired: string[];
  failed: { workflowId: string; error: unknown }[];
}

/**
 * Starts the workflows of rows whose start was never confirmed: a create that stopped between
 * the row and the start (process killed, Temporal down) and was never retried. The worker
 * runs it periodically. A row whose start is confirmed is never restarted, even when Temporal
 * no longer knows its workflow: that workflow ran, and its input may be out of date.
 */
export async function repairOrphanedAppointments(options: RepairOptions): Promise<RepairResult> {
  const { prisma, olderThanMs, limit = 50 } = options;
  const rows = await prisma.appointment.findMany({
    where: { workflowStartedAt: null, createdAt: { lte: new Date(Date.now() - olderThanMs) } },
    orderBy: { createdAt: 'asc' },
    take: limit,
  });
  return startEach(
    rows,
    (row) => row.workflowId,
    async (row) => {
      await ensureWorkflowStarted(options, row);
    },
  );
}

/** Starts each row's workflow in turn, collecting what started and what failed. */
export async function startEach<Row>(
  rows: Row[],
  workflowIdOf: (row: Row) => string,
  start: (row: Row) => Promise<void>,
): Promise<RepairResult> {
  const result: RepairResult = { repaired: [], failed: [] };
  for (const row of rows) {
    try {
      await start(row);
      result.repaired.push(workflowIdOf(row));
    } catch (error) {
      result.failed.push({ workflowId: workflowIdOf(row), error });
      // The other rows would wait for the same Temporal, each until the deadline: next pass.
      if (isTemporalUnavailable(error)) break;
    }
  }
  return result;
}
