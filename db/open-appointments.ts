import type { Prisma } from './client';

/** Whose number a reply came from, as far as one appointment is concerned. */
export type PhoneRole = 'client' | 'practitioner';

/** An open appointment as a reply needs it: what to signal, and what its answer names. */
export interface OpenAppointment {
  id: string;
  workflowId: string;
  startsAt: Date;
  timeZone: string;
  details: Prisma.JsonValue | null;
}

export interface SenderAppointments {
  /**
   * Whose number it is: the client of an open appointment first, else a practitioner of one,
   * else nobody's. A practitioner's number that is also a client's is that client's, because
   * only the client's replies have effects to lose.
   */
  sender: PhoneRole | null;
  /** The open appointments of the sender in that role, soonest first. */
  open: OpenAppointment[];
  /**
   * The one a reply is about. A client's: the open appointment whose text most recently went
   * out to the number, else the next upcoming one. A practitioner's: the next upcoming one.
   */
  matched: OpenAppointment | null;
}

/** Outbound statuses of a text the number cannot have received: a reply is not an answer to it. */
const NEVER_RECEIVED = ['undelivered', 'failed'];

/**
 * The practice's appointments that may still send this number something (not started, not
 * cancelled and not ended: an ended workflow has recorded its final view), and which of them a
 * reply from it is about, in one statement: the inbound webhook asks while it holds the
 * number's lock. The practice's own answers to replies (purpose `reply`) are not texts a reply
 * answers: they follow what the client texted, they do not prompt it.
 */
export async function appointmentsOfSender(
  db: Prisma.TransactionClient,
  practiceId: string,
  phone: string,
  now: Date,
): Promise<SenderAppointments> {
  const rows = await db.$queryRaw<(OpenAppointment & { ofClient: boolean; lastTexted: boolean })[]>`
    WITH open AS (
      SELECT id, workflow_id, starts_at, time_zone, details, COALESCE(client_phone = ${phone}, false) AS of_client
      FROM appointments
      WHERE practice_id = ${practiceId}
        AND (client_phone = ${phone} OR practitioner_phone = ${phone})
        AND starts_at > ${now} AND status <> 'cancelled' AND final_view IS NULL
    ), last_texted AS (
      SELECT appointment_id FROM messages
      WHERE practice_id = ${practiceId} AND direction = 'outbound' AND channel = 'sms' AND "to" = ${phone}
        AND appointment_id IN (SELECT id FROM open WHERE of_client)
        AND sent_at IS NOT NULL AND status <> ALL(${NEVER_RECEIVED}::text[])
        AND (purpose IS NULL OR purpose <> 'reply')
      ORDER BY sent_at DESC, created_at DESC
      LIMIT 1
    )
    SELECT id, workflow_id AS "workflowId", starts_at AS "startsAt", time_zone AS "timeZone", details,
      of_client AS "ofClient", id IN (SELECT appointment_id FROM last_texted) AS "lastTexted"
    FROM open
    ORDER BY starts_at ASC`;
  const clientOf = rows.filter((r) => r.ofClient);
  if (clientOf.length > 0) {
    return {
      sender: 'client',
      open: clientOf,
      matched: clientOf.find((r) => r.lastTexted) ?? clientOf[0],
    };
  }
  if (rows.length > 0) return { sender: 'practitioner', open: rows, matched: rows[0] };
  return { sender: null, open: [], matched: null };
}
