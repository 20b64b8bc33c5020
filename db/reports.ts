import { Prisma as PrismaValues } from '../generated/prisma/client';
import type { AppointmentStatus, Channel, Confirmation } from '../domain/appointment';
import { DELIVERED_STATUSES } from '../domain/delivery-status';
import { FAILED_STATUSES, REMINDER_PURPOSES, type ReminderReportCounts, type ReportRange } from '../domain/reports';
import type { PrismaClient } from './client';

// The reports' queries: grouped counts and short lists, never every row loaded. Messages are
// found by (practice_id, sent_at) and (practice_id, created_at), confirmations by
// (practice_id, confirmed_at), upcoming appointments by (practice_id, starts_at) and replies
// to review by (practice_id, needs_review).

const reminderPurposes = PrismaValues.join([...REMINDER_PURPOSES]);
const deliveredStatuses = PrismaValues.join([...DELIVERED_STATUSES]);
const failedStatuses = PrismaValues.join([...FAILED_STATUSES]);
const isReminder = PrismaValues.sql`m.purpose IN (${reminderPurposes})`;
/** A reminder the provider took for the client: its appointment counts as reminded. */
const remindedClient = PrismaValues.sql`${isReminder} AND m.recipient = 'client' AND m.sent_at IS NOT NULL`;

/**
 * Counts per local day of `timeZone` (a message on the day it was sent, or, if the provider
 * never took it, on the day it was tried) and channel, per day over both channels, per channel
 * over the range, and over everything: one grouped query with grouping sets, so an appointment
 * reminded by text and by email counts once in the totals. All three queries read one snapshot.
 */
export async function countReminderReport(
  prisma: PrismaClient,
  practiceId: string,
  timeZone: string,
  range: Pick<ReportRange, 'start' | 'end'>,
): Promise<ReminderReportCounts> {
  const localDay = (column: ReturnType<typeof PrismaValues.raw>) =>
    PrismaValues.sql`to_char((${column} AT TIME ZONE ${timeZone})::date, 'YYYY-MM-DD')`;
  const [messages, confirmations, optOuts] = await prisma.$transaction(
    [
      prisma.$queryRaw<Array<{ day: string | null; channel: Channel | null } & Record<string, bigint>>>`
        SELECT ${localDay(PrismaValues.raw('coalesce(m.sent_at, m.created_at)'))} AS day, m.channel AS channel,
          count(*) FILTER (WHERE ${isReminder} AND m.sent_at IS NOT NULL) AS sent,
          count(*) FILTER (WHERE ${isReminder} AND m.status IN (${deliveredStatuses})) AS delivered,
          count(*) FILTER (WHERE ${isReminder} AND m.status IN (${failedStatuses})) AS failed,
          count(*) FILTER (WHERE m.purpose = 'fallback' AND m.sent_at IS NOT NULL) AS fallbacks,
          coalesce(sum(m.budget_segments) FILTER (WHERE m.channel = 'sms'), 0) AS segments,
          count(DISTINCT m.appointment_id) FILTER (WHERE ${remindedClient}) AS reminded,
          count(DISTINCT m.appointment_id) FILTER (WHERE ${remindedClient} AND a.confirmed_at IS NOT NULL) AS confirmed
        FROM messages m
        LEFT JOIN appointments a ON a.id = m.appointment_id
        WHERE m.practice_id = ${practiceId} AND m.direction = 'outbound'
          AND ((m.sent_at >= ${range.start} AND m.sent_at < ${range.end})
            OR (m.sent_at IS NULL AND m.created_at >= ${range.start} AND m.created_at < ${range.end}))
        GROUP BY GROUPING SETS ((1, 2), (1), (2), ())`,
      prisma.$queryRaw<Array<{ day: string; via: Confirmation['via']; count: bigint }>>`
        SELECT ${localDay(PrismaValues.raw('confirmed_at'))} AS day, confirmed_via AS via, count(*) AS count
        FROM appointments
        WHERE practice_id = ${practiceId} AND confirmed_at >= ${range.start} AND confirmed_at < ${range.end}
        GROUP BY 1, 2`,
      prisma.$queryRaw<Array<{ day: string; count: bigint }>>`
        SELECT ${localDay(PrismaValues.raw('opted_out_at'))} AS day, count(*) AS count
        FROM opt_outs
        WHERE practice_id = ${practiceId} AND opted_out_at >= ${range.start} AND opted_out_at < ${range.end}
        GROUP BY 1`,
    ],
    { isolationLevel: 'RepeatableRead' },
  );
  return {
    messages: messages.map((row) => ({
      day: row.day,
      channel: row.channel,
      sent: Number(row.sent),
      delivered: Number(row.delivered),
      failed: Number(row.failed),
      fallbacks: Number(row.fallbacks),
      segments: Number(row.segments),
      remindedAppointments: Number(row.reminded),
      confirmedAppointments: Number(row.confirmed),
    })),
    confirmations: confirmations.map((row) => ({ ...row, count: Number(row.count) })),
    optOuts: optOuts.map((row) => ({ ...row, count: Number(row.count) })),
  };
}

/** An appointment as the attention report shows it. */
export interface AttentionAppointmentRow {
  id: string;
  externalId: string;
  startsAt: Date;
  timeZone: string;
  status: AppointmentStatus;
  clientName: string | null;
  clientPhone: string | null;
  clientEmail: string | null;
}

export interface ReviewReplyRow {
  id: string;
  from: string;
  body: string;
  mediaUrls: string[];
  receivedAt: Date;
  appointment: AttentionAppointmentRow | null;
}

const appointmentColumns = PrismaValues.sql`a.id, a.external_id AS "externalId", a.starts_at AS "startsAt",
  a.time_zone AS "timeZone", a.status, a.details -> 'client' ->> 'name' AS "clientName",
  a.client_phone AS "clientPhone", a.client_email AS "clientEmail"`;

/**
 * Open appointments (neither confirmed nor cancelled) starting after `now` and by `horizon`,
 * and later ones whose reminders all failed, soonest first, each saying whether a client
 * reminder went out and was not reported failed; and the replies that need review, oldest
 * first, with their appointment. At most `limit` of each.
 */
export async function attentionRows(
  prisma: PrismaClient,
  practiceId: string,
  { now, horizon, limit }: { now: Date; horizon: Date; limit: number },
): Promise<{ appointments: Array<AttentionAppointmentRow & { reachedClient: boolean }>; replies: ReviewReplyRow[] }> {
  const [appointments, replies] = await prisma.$transaction(
    [
      prisma.$queryRaw<Array<AttentionAppointmentRow & { reachedClient: boolean }>>`
        SELECT ${appointmentColumns},
          EXISTS (
            SELECT 1 FROM messages m
            WHERE m.appointment_id = a.id AND m.direction = 'outbound' AND ${remindedClient}
              AND m.status NOT IN (${failedStatuses})
          ) AS "reachedClient"
        FROM appointments a
        WHERE a.practice_id = ${practiceId} AND a.starts_at > ${now}
          AND a.status NOT IN ('confirmed', 'cancelled')
          AND (a.starts_at <= ${horizon} OR a.status = 'failed')
        ORDER BY a.starts_at, a.external_id
        LIMIT ${limit}`,
      prisma.$queryRaw<Array<Omit<ReviewReplyRow, 'appointment'> & { appointment: AttentionAppointmentRow | null }>>`
        SELECT m.id, m."from", m.body, m.media_urls AS "mediaUrls", m.created_at AS "receivedAt",
          (SELECT row_to_json(linked) FROM (SELECT ${appointmentColumns} FROM appointments a
             WHERE a.id = m.appointment_id) linked) AS appointment
        FROM messages m
        WHERE m.practice_id = ${practiceId} AND m.needs_review AND m.direction = 'inbound'
        ORDER BY m.created_at, m.id
        LIMIT ${limit}`,
    ],
    { isolationLevel: 'RepeatableRead' },
  );
  return {
    appointments,
    // JSON carries the start as text.
    replies: replies.map((reply) => ({
      ...reply,
      appointment: reply.appointment && { ...reply.appointment, startsAt: new Date(reply.appointment.startsAt) },
    })),
  };
}
