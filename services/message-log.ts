import { createHash } from 'node:crypto';
import type { Prisma, PrismaClient } from '../db/client';
import type { MessageLogQuery } from '../domain/message-log-query';
import { statusHistoryOf, type StatusChange } from '../domain/delivery-status';
import { isUuid } from '../domain/fields';
import { NotFoundError, ValidationError } from '../lib/errors';

// The practice's message log: every message sent and received, newest first (createdAt, then
// id, both descending, so rows created in the same millisecond still have one order), paged by
// a keyset cursor. The cursor names the last row of a page and the practice and filters it was
// issued for: used with other filters it is refused rather than silently paging another list.

/** One message as the API shows it (`GET /v1/messages`, `GET /v1/appointments/:id/messages`). */
export interface MessageJson {
  id: string;
  /** The practice system's id of the appointment, or null for a message not tied to one. */
  appointmentId: string | null;
  direction: string;
  channel: string;
  purpose: string | null;
  recipient: string | null;
  reminderId: string | null;
  to: string;
  from: string;
  subject: string | null;
  body: string;
  /** SMS only: an email has no segments or encoding. */
  segments: number | null;
  encoding: string | null;
  status: string;
  statusHistory: StatusChange[];
  providerId: string | null;
  errorCode: string | null;
  /** What went wrong, worded for practice staff. */
  errorExplanation: string | null;
  keyword: string | null;
  needsReview: boolean;
  mediaUrls: string[];
  createdAt: string;
  sentAt: string | null;
  updatedAt: string;
}

export interface MessagePage {
  messages: MessageJson[];
  /** Pass it back as `cursor`, with the same filters, for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

export const messageColumns = {
  id: true,
  direction: true,
  channel: true,
  purpose: true,
  recipient: true,
  reminderId: true,
  to: true,
  from: true,
  subject: true,
  body: true,
  segments: true,
  encoding: true,
  status: true,
  statusHistory: true,
  providerId: true,
  errorCode: true,
  errorMessage: true,
  keyword: true,
  needsReview: true,
  mediaUrls: true,
  createdAt: true,
  sentAt: true,
  updatedAt: true,
  appointment: { select: { externalId: true } },
} satisfies Prisma.MessageSelect;

type MessageRow = Prisma.MessageGetPayload<{ select: typeof messageColumns }>;

export function messageJson(row: MessageRow): MessageJson {
  const sms = row.channel === 'sms';
  return {
    id: row.id,
    appointmentId: row.appointment?.externalId ?? null,
    direction: row.direction,
    channel: row.channel,
    purpose: row.purpose,
    recipient: row.recipient,
    reminderId: row.reminderId,
    to: row.to,
    from: row.from,
    subject: row.subject,
    body: row.body,
    segments: sms ? row.segments : null,
    encoding: sms ? row.encoding : null,
    status: row.status,
    statusHistory: statusHistoryOf(row.statusHistory),
    providerId: row.providerId,
    errorCode: row.errorCode,
    errorExplanation: row.errorMessage,
    keyword: row.keyword,
    needsReview: row.needsReview,
    mediaUrls: row.mediaUrls,
    createdAt: row.createdAt.toISOString(),
    sentAt: row.sentAt?.toISOString() ?? null,
    updatedAt: row.updatedAt.toISOString(),
  };
}

interface Position {
  createdAt: Date;
  id: string;
}

const BAD_CURSOR = 'must be a nextCursor from an earlier page';
const OTHER_FILTERS = 'was issued for other filters: repeat the filters of the first page with it';

/** What a cursor is bound to: the practice and filters that decide which rows are in the list (not the page size). */
function filtersKey(practiceId: string, scope: string, query: MessageLogQuery): string {
  const filters = [
    practiceId,
    scope,
    query.phone ?? '',
    query.email?.toLowerCase() ?? '',
    query.direction ?? '',
    query.channel ?? '',
    (query.status ?? []).join(','),
    query.needsReview === undefined ? '' : String(query.needsReview),
    query.appointmentId ?? '',
  ];
  return createHash('sha256').update(JSON.stringify(filters)).digest('base64url').slice(0, 12);
}

function encodeCursor(position: Position, filters: string): string {
  const payload = { at: position.createdAt.toISOString(), id: position.id, f: filters };
  return Buffer.from(JSON.stringify(payload)).toString('base64url');
}

/** The position a cursor names; anything that is not a cursor we issued for these filters is a 422. */
function decodeCursor(cursor: string, filters: string): Position {
  const refuse = (message: string) => new ValidationError([{ path: 'cursor', message }]);
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw refuse(BAD_CURSOR);
  }
  if (typeof payload !== 'object' || payload === null) throw refuse(BAD_CURSOR);
  const { at, id, f } = payload as Record<string, unknown>;
  if (typeof at !== 'string' || typeof id !== 'string' || typeof f !== 'string' || !isUuid(id)) {
    throw refuse(BAD_CURSOR);
  }
  const createdAt = new Date(at);
  if (Number.isNaN(createdAt.getTime()) || createdAt.toISOString() !== at) throw refuse(BAD_CURSOR);
  if (f !== filters) throw refuse(OTHER_FILTERS);
  return { createdAt, id };
}

/** `equals` in insensitive mode is an ILIKE: its wildcards in an address must match themselves. */
function likeLiteral(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export class MessageLogService {
  constructor(private readonly deps: { prisma: PrismaClient }) {}

  /** The practice's log; an `appointmentId` filter naming no appointment of the practice matches nothing. */
  async list(practiceId: string, query: MessageLogQuery): Promise<MessagePage> {
    const filters = filtersKey(practiceId, 'log', query);
    if (query.appointmentId === undefined) return this.page(practiceId, {}, query, filters);
    const appointment = await this.appointment(practiceId, query.appointmentId);
    if (!appointment) {
      // Still check the cursor: a bad one is the client's bug whatever the filters match.
      if (query.cursor !== undefined) decodeCursor(query.cursor, filters);
      return { messages: [], nextCursor: null };
    }
    return this.page(practiceId, { appointmentId: appointment.id }, query, filters);
  }

  /** Every message sent and received for one appointment; another practice's is a 404. */
  async forAppointment(
    practiceId: string,
    appointmentId: string,
    query: Omit<MessageLogQuery, 'appointmentId'>,
  ): Promise<MessagePage> {
    const appointment = await this.appointment(practiceId, appointmentId);
    if (!appointment) throw new NotFoundError(`No appointment "${appointmentId}".`);
    const filters = filtersKey(practiceId, `appointment ${appointmentId}`, query);
    return this.page(practiceId, { appointmentId: appointment.id }, query, filters);
  }

  private appointment(practiceId: string, externalId: string) {
    return this.deps.prisma.appointment.findUnique({
      where: { practiceId_externalId: { practiceId, externalId } },
      select: { id: true },
    });
  }

  private async page(
    practiceId: string,
    scope: Prisma.MessageWhereInput,
    query: MessageLogQuery,
    filters: string,
  ): Promise<MessagePage> {
    const after = query.cursor === undefined ? null : decodeCursor(query.cursor, filters);
    // Phone and email together are one client's messages on either channel.
    const parties: Prisma.MessageWhereInput[] = [];
    if (query.phone) parties.push({ to: query.phone }, { from: query.phone });
    if (query.email) {
      const address = { equals: likeLiteral(query.email), mode: 'insensitive' } as const;
      parties.push({ to: address }, { from: address });
    }
    const where: Prisma.MessageWhereInput = {
      practiceId,
      ...scope,
      ...(query.direction ? { direction: query.direction } : {}),
      ...(query.channel ? { channel: query.channel } : {}),
      ...(query.status ? { status: { in: query.status } } : {}),
      ...(query.needsReview !== undefined ? { needsReview: query.needsReview } : {}),
      AND: [
        ...(parties.length > 0 ? [{ OR: parties }] : []),
        ...(after
          ? [{ OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }] }]
          : []),
      ],
    };
    const rows = await this.deps.prisma.message.findMany({
      where,
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      // One more than a page tells whether another page follows, so the last page says so.
      take: query.limit + 1,
      select: messageColumns,
    });
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return {
      messages: page.map(messageJson),
      nextCursor: rows.length > query.limit && last ? encodeCursor(last, filters) : null,
    };
  }
}
