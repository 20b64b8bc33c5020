import { isSuccess, type SteadyLoad } from './steady-load';
import type { TestSystem } from './system';

// What a steady load proves at its end, from the fake Twilio's records, the database and
// Temporal: each list names the appointments that broke a promise, so a failing test says which.

export interface LoadVerdict {
  creates: number;
  replies: number;
  /** Creates no replica answered with 2xx. */
  notCreated: string[];
  /** Answered 2xx, but no row with a confirmed workflow start, or no such workflow in Temporal. */
  withoutWorkflow: string[];
  /** Answered 2xx, yet its reminder never reached Twilio. */
  reminderNotSent: string[];
  /** Its reminder reached Twilio more than once (one reminder per appointment, one phone per appointment). */
  reminderSentTwice: string[];
  /** Replies no replica answered with 2xx. */
  replyNotAnswered: string[];
  /** Answered 2xx, yet the appointment is not confirmed. */
  replyNotApplied: string[];
  /** Connections that failed before an answer, by replica (each retried on another). */
  connectionErrors: string[];
}

export async function judgeSteadyLoad(
  load: SteadyLoad,
  deps: Pick<TestSystem, 'twilio' | 'prisma' | 'temporal' | 'api'>,
): Promise<LoadVerdict> {
  const creates = load.requests.filter((r) => r.kind === 'create');
  const replies = load.requests.filter((r) => r.kind === 'reply');
  const created = creates.filter((r) => isSuccess(r.status));
  const rows = await deps.prisma.appointment.findMany({
    where: { externalId: { in: created.map((r) => r.appointmentId) } },
  });
  const rowOf = new Map(rows.map((row) => [row.externalId, row]));

  const withoutWorkflow: string[] = [];
  for (const { appointmentId } of created) {
    const row = rowOf.get(appointmentId);
    const exists =
      row?.workflowStartedAt != null &&
      (await deps.temporal.workflow
        .getHandle(row.workflowId)
        .describe()
        .then(
          () => true,
          () => false,
        ));
    if (!exists) withoutWorkflow.push(appointmentId);
  }

  const sentTo = new Map<string, number>();
  for (const message of deps.twilio.messages) sentTo.set(message.to, (sentTo.get(message.to) ?? 0) + 1);
  const sends = (appointmentId: string) => sentTo.get(load.phones.get(appointmentId) ?? '') ?? 0;

  const replyNotApplied: string[] = [];
  for (const reply of replies.filter((r) => isSuccess(r.status))) {
    // The appointment's status as the API reports it.
    const { status } = (await deps.api('GET', `/v1/appointments/${reply.appointmentId}`)).body;
    if (status !== 'confirmed') replyNotApplied.push(`${reply.appointmentId} (${status ?? 'unknown'})`);
  }

  return {
    creates: creates.length,
    replies: replies.length,
    notCreated: creates
      .filter((r) => !isSuccess(r.status))
      .map((r) => `${r.appointmentId} (${r.status ?? 'no answer'})`),
    withoutWorkflow,
    reminderNotSent: created.filter((r) => sends(r.appointmentId) === 0).map((r) => r.appointmentId),
    reminderSentTwice: [...load.phones.keys()].filter((id) => sends(id) > 1).map((id) => `${id} (${sends(id)})`),
    replyNotAnswered: replies
      .filter((r) => !isSuccess(r.status))
      .map((r) => `${r.appointmentId} (${r.status ?? 'no answer'})`),
    replyNotApplied,
    connectionErrors: load.requests.flatMap((r) => r.connectionErrors),
  };
}

/** The verdict of a run that kept every promise (connection errors are checked on their own). */
export const KEPT_EVERY_PROMISE = {
  notCreated: [],
  withoutWorkflow: [],
  reminderNotSent: [],
  reminderSentTwice: [],
  replyNotAnswered: [],
  replyNotApplied: [],
};
