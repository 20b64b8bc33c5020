import { DateTime } from 'luxon';
import type { PrismaClient } from '../db/client';
import { practiceMessage } from '../db/practice-message';
import { attentionRows, countReminderReport, type AttentionAppointmentRow } from '../db/reports';
import type { AppointmentStatus } from '../domain/appointment';
import {
  ATTENTION_HORIZON_MS,
  appointmentAttention,
  buildReminderReport,
  compareAttention,
  reportRange,
  type AttentionReason,
  type ReminderReport,
  type ReminderReportQuery,
} from '../domain/reports';
import { ConflictError, ValidationError } from '../lib/errors';

// The staff reports: counted and listed in SQL (db/reports.ts), judged and ordered by the rules
// of domain/reports.ts.

/** At most this many appointments and this many replies make one attention list. */
export const ATTENTION_LIMIT = 500;

export interface AttentionReply {
  id: string;
  from: string;
  body: string;
  mediaUrls: string[];
  receivedAt: string;
}

export interface AttentionItem {
  /** Null for a reply that matched no appointment. */
  appointment: {
    appointmentId: string;
    startsAt: string;
    /** The start on the appointment's own clock, with its offset. */
    startsAtLocal: string;
    timeZone: string;
    status: AppointmentStatus;
    client: { name: string | null; phone: string | null; email: string | null };
  } | null;
  reasons: AttentionReason[];
  /** Replies waiting for review (mark each with POST /v1/messages/:id/reviewed). */
  replies: AttentionReply[];
}

export interface AttentionReport {
  generatedAt: string;
  items: AttentionItem[];
  /** More appointments or replies need attention than one list shows (ATTENTION_LIMIT each). */
  truncated: boolean;
}

export class ReportService {
  constructor(private readonly deps: { prisma: PrismaClient }) {}

  /** Reminders per local day (the practice's time zone) and channel; 422 naming a bad date. */
  async reminders(
    practice: { id: string; timeZone: string },
    query: ReminderReportQuery,
    now = new Date(),
  ): Promise<ReminderReport> {
    const found = reportRange(query, practice.timeZone, now);
    if ('problem' in found) throw new ValidationError([found.problem]);
    const counts = await countReminderReport(this.deps.prisma, practice.id, practice.timeZone, found.range);
    return buildReminderReport(found.range, practice.timeZone, counts);
  }

  /** What the front desk acts on now, most urgent first (domain/reports.ts). */
  async attention(practiceId: string, now = new Date()): Promise<AttentionReport> {
    const { appointments, replies } = await attentionRows(this.deps.prisma, practiceId, {
      now,
      horizon: new Date(now.getTime() + ATTENTION_HORIZON_MS),
      limit: ATTENTION_LIMIT + 1,
    });

    const items = new Map<
      string,
      AttentionItem & { row: AttentionAppointmentRow | null; oldestReplyAt: Date | null }
    >();
    for (const row of appointments.slice(0, ATTENTION_LIMIT)) {
      const reasons = appointmentAttention(row, now);
      if (reasons.length > 0) items.set(row.id, { ...itemOf(row), reasons, row, oldestReplyAt: null });
    }
    for (const reply of replies.slice(0, ATTENTION_LIMIT)) {
      const row = reply.appointment;
      const key = row?.id ?? `reply:${reply.id}`;
      const item = items.get(key) ?? { ...itemOf(row), reasons: [], row, oldestReplyAt: reply.receivedAt };
      if (!item.reasons.includes('reply_needs_review')) item.reasons.push('reply_needs_review');
      item.oldestReplyAt ??= reply.receivedAt;
      item.replies.push({
        id: reply.id,
        from: reply.from,
        body: reply.body,
        mediaUrls: reply.mediaUrls,
        receivedAt: reply.receivedAt.toISOString(),
      });
      items.set(key, item);
    }
    const rank = (item: {
      row: AttentionAppointmentRow | null;
      oldestReplyAt: Date | null;
      replies: AttentionReply[];
    }) => ({
      upcomingStart: item.row && item.row.startsAt > now ? item.row.startsAt : null,
      oldestReplyAt: item.oldestReplyAt,
      key: item.row?.externalId ?? item.replies[0].id,
    });
    const ordered = [...items.values()].sort((a, b) => compareAttention(rank(a), rank(b)));
    return {
      generatedAt: now.toISOString(),
      items: ordered.map(({ appointment, reasons, replies: itemReplies }) => ({
        appointment,
        reasons,
        replies: itemReplies,
      })),
      truncated: appointments.length > ATTENTION_LIMIT || replies.length > ATTENTION_LIMIT,
    };
  }

  /**
   * Staff have dealt with a reply: it no longer needs review and leaves the attention report.
   * Marking it again changes nothing; only a received message can be reviewed.
   */
  async markReviewed(
    practiceId: string,
    messageId: string,
    now = new Date(),
  ): Promise<{ id: string; needsReview: false; reviewedAt: string }> {
    const row = await practiceMessage(this.deps.prisma, practiceId, messageId);
    if (row.direction !== 'inbound') throw new ConflictError('Only a received reply can be marked reviewed.');
    // Conditional, so marking it twice keeps the first time; a reply flagged again after a
    // review (a late "C" the appointment refused) is reviewed anew.
    await this.deps.prisma.message.updateMany({
      where: { id: row.id, OR: [{ needsReview: true }, { reviewedAt: null }] },
      data: { needsReview: false, reviewedAt: now },
    });
    const { reviewedAt } = await this.deps.prisma.message.findUniqueOrThrow({ where: { id: row.id } });
    return { id: row.id, needsReview: false, reviewedAt: reviewedAt!.toISOString() };
  }
}

function itemOf(row: AttentionAppointmentRow | null): Pick<AttentionItem, 'appointment' | 'replies'> {
  return {
    appointment: row && {
      appointmentId: row.externalId,
      startsAt: row.startsAt.toISOString(),
      startsAtLocal: DateTime.fromJSDate(row.startsAt, { zone: row.timeZone }).toISO({ suppressMilliseconds: true })!,
      timeZone: row.timeZone,
      status: row.status,
      client: { name: row.clientName, phone: row.clientPhone, email: row.clientEmail },
    },
    replies: [],
  };
}
