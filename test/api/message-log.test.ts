import { randomUUID } from 'node:crypto';
import type { Prisma } from '../../db/client';
import type { MessageJson, MessagePage } from '../../services/message-log';
import { match } from '../support/matchers';
import { eventually, inFuture, useTestSystem, type Problem } from '../support/system';

// The message log over HTTP: real reminder sends (worker + the real twilio SDK against the
// fake Twilio), replies through the signed webhook, and bulk rows inserted directly for paging.

const system = useTestSystem();

const DAY = 24 * 3_600_000;
const CLINIC_NUMBER = '+15005550006';
const OTHER_NUMBER = '+15005550007';
const PAGER_NUMBER = '+15005550008';
const MARIA = '+393471300001';
const LUCA = '+393471300002';
const REFUSED = '+393471300003';

let otherKey = '';
let pagerKey = '';

/** Every field of a message, as the contract lists them. */
const MESSAGE_FIELDS = [
  'appointmentId',
  'body',
  'channel',
  'createdAt',
  'direction',
  'encoding',
  'errorCode',
  'errorExplanation',
  'from',
  'id',
  'keyword',
  'mediaUrls',
  'needsReview',
  'providerId',
  'purpose',
  'recipient',
  'reminderId',
  'segments',
  'sentAt',
  'status',
  'statusHistory',
  'subject',
  'to',
  'updatedAt',
];

/** An appointment three days ahead whose one reminder ("4 days before") is overdue, so it goes out now. */
async function bookAndRemind(appointmentId: string, phone: string, apiKey?: string) {
  const res = await system().api(
    'POST',
    '/v1/appointments',
    {
      appointmentId,
      startsAt: inFuture(3 * DAY),
      timeZone: 'Europe/Rome',
      client: { name: 'Maria Rossi', phone, smsConsent: true },
      reminders: [{ before: 'P4D', channel: 'sms' }],
    },
    { apiKey },
  );
  expect(res.status).toBe(201);
}

async function messages(path: string, apiKey?: string) {
  return system().api<MessagePage>('GET', path, undefined, { apiKey });
}

/** Walks every page of a query; fails on anything but 200. */
async function walk(base: string, query: Record<string, string>, apiKey?: string) {
  const ids: string[] = [];
  const pages: MessageJson[][] = [];
  let cursor: string | null = null;
  do {
    const params = new URLSearchParams({ ...query, ...(cursor ? { cursor } : {}) });
    const res = await messages(`${base}?${params.toString()}`, apiKey);
    expect(res.status).toBe(200);
    pages.push(res.body.messages);
    ids.push(...res.body.messages.map((m) => m.id));
    cursor = res.body.nextCursor;
  } while (cursor);
  return { ids, pages };
}

/** Newest first: createdAt, then id, both descending (PostgreSQL orders uuids as their hex text). */
function newestFirst(a: { createdAt: Date; id: string }, b: { createdAt: Date; id: string }): number {
  return b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

beforeAll(async () => {
  const { twilio, prisma } = system();
  otherKey = (await system().addPractice('other', OTHER_NUMBER)).apiKey;
  pagerKey = (await system().addPractice('pager', PAGER_NUMBER)).apiKey;

  // Maria: a reminder sent, then a reply for staff. The other practice texts the same number.
  await bookAndRemind('ML-1', MARIA);
  await bookAndRemind('OT-1', MARIA, otherKey);
  await twilio.waitForMessages((m) => m.to === MARIA, 2, 30_000);
  await eventually(
    async () => (await prisma.message.count({ where: { to: MARIA, providerId: { not: null } } })) === 2,
    30_000,
    'both reminders recorded as sent',
  );
  expect((await system().inboundSms({ From: MARIA, Body: 'Running 5 min late, sorry' })).status).toBe(200);
  expect((await system().inboundSms({ From: MARIA, Body: 'See you then', To: OTHER_NUMBER })).status).toBe(200);

  // Luca: an opt-out keyword, not tied to any appointment.
  expect((await system().inboundSms({ From: LUCA, Body: 'STOP' })).status).toBe(200);

  // A reminder Twilio refuses for good (invalid number).
  twilio.failNext((form) => form.To === REFUSED, {
    status: 400,
    code: 21211,
    message: "The 'To' number is not valid.",
  });
  await bookAndRemind('ML-2', REFUSED);
  await eventually(
    async () => (await prisma.message.findFirst({ where: { to: REFUSED, status: 'failed' } })) !== null,
    30_000,
    'the refused reminder recorded as failed',
  );

  // Emails are not sent by this branch yet: rows as the email path records them.
  const sent = new Date(Date.now() - 60_000);
  await prisma.message.createMany({
    data: [
      {
        practiceId: 'clinic',
        direction: 'outbound',
        channel: 'email',
        purpose: 'reminder',
        recipient: 'client',
        reminderId: 'r1',
        to: 'Maria.Rossi@example.com',
        from: 'studio@example.com',
        subject: 'Your appointment tomorrow',
        body: 'Hi Maria, …',
        segments: 1,
        encoding: 'GSM-7',
        status: 'delivered',
        providerId: `sg-${randomUUID()}`,
        statusHistory: [
          { status: 'sent', at: sent.toISOString(), errorCode: null },
          { status: 'delivered', at: new Date(sent.getTime() + 5_000).toISOString(), errorCode: null },
        ],
        sentAt: sent,
        createdAt: sent,
      },
      {
        // `_` in the filter must match only itself, not this X.
        practiceId: 'clinic',
        direction: 'outbound',
        channel: 'email',
        to: 'mariaXrossi@example.com',
        from: 'studio@example.com',
        subject: 'Your appointment',
        body: 'Hi Maria, …',
        segments: 1,
        encoding: 'GSM-7',
        status: 'bounce',
        errorCode: 'bounce',
        errorMessage: "The client's mail server refused the email (the address may not exist).",
        createdAt: sent,
      },
      {
        practiceId: 'clinic',
        direction: 'outbound',
        channel: 'email',
        to: 'maria_rossi@example.com',
        from: 'studio@example.com',
        subject: 'Your appointment',
        body: 'Hi Maria, …',
        segments: 1,
        encoding: 'GSM-7',
        status: 'delivered',
        createdAt: sent,
      },
    ],
  });
}, 120_000);

describe('what one message shows', () => {
  test("an appointment's messages: the reminder as sent and the reply, newest first", async () => {
    const res = await messages('/v1/appointments/ML-1/messages');
    expect(res.status).toBe(200);
    expect(res.body.nextCursor).toBeNull();
    const [reply, reminder] = res.body.messages;
    expect(res.body.messages).toHaveLength(2);
    for (const message of res.body.messages) expect(Object.keys(message).sort()).toEqual(MESSAGE_FIELDS);

    const sent = system().twilio.messages.find((m) => m.to === MARIA && m.from === CLINIC_NUMBER)!;
    const row = await system().prisma.message.findFirstOrThrow({ where: { providerId: sent.sid } });
    expect(reminder).toMatchObject({
      id: row.id,
      appointmentId: 'ML-1',
      direction: 'outbound',
      channel: 'sms',
      to: MARIA,
      from: CLINIC_NUMBER,
      body: sent.body,
      segments: row.segments,
      encoding: 'GSM-7',
      status: row.status,
      providerId: sent.sid,
      errorCode: null,
      errorExplanation: null,
      keyword: null,
      needsReview: false,
      mediaUrls: [],
      createdAt: row.createdAt.toISOString(),
      sentAt: row.sentAt!.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
    });
    expect(reminder.segments).toBeGreaterThanOrEqual(1);

    expect(reply).toMatchObject({
      appointmentId: 'ML-1',
      direction: 'inbound',
      channel: 'sms',
      to: CLINIC_NUMBER,
      from: MARIA,
      body: 'Running 5 min late, sorry',
      segments: 1,
      encoding: 'GSM-7',
      status: 'received',
      providerId: match.stringMatching(/^SM/),
      keyword: null,
      needsReview: true,
    });
  });

  test('a refused send shows the error code and its explanation for staff', async () => {
    const res = await messages('/v1/appointments/ML-2/messages');
    expect(res.status).toBe(200);
    const row = await system().prisma.message.findFirstOrThrow({ where: { to: REFUSED } });
    expect(row.errorMessage).toBeTruthy();
    expect(res.body.messages).toEqual([
      expect.objectContaining({ status: 'failed', errorCode: '21211', errorExplanation: row.errorMessage }),
    ]);
  });

  test('an email has a subject and its status history, and no segments or encoding', async () => {
    const res = await messages('/v1/messages?channel=email&status=delivered&email=maria.rossi@example.com');
    expect(res.status).toBe(200);
    expect(res.body.messages).toHaveLength(1);
    const [email] = res.body.messages;
    expect(email).toMatchObject({
      channel: 'email',
      purpose: 'reminder',
      recipient: 'client',
      reminderId: 'r1',
      subject: 'Your appointment tomorrow',
      segments: null,
      encoding: null,
      statusHistory: [
        { status: 'sent', at: match.any(String), errorCode: null },
        { status: 'delivered', at: match.any(String), errorCode: null },
      ],
    });
  });
});

describe('filters', () => {
  /** The clinic's log as the database has it, newest first. */
  async function clinicLog() {
    const rows = await system().prisma.message.findMany({
      where: { practiceId: 'clinic' },
      include: { appointment: { select: { externalId: true } } },
    });
    return rows.sort(newestFirst);
  }
  type Row = Awaited<ReturnType<typeof clinicLog>>[number];

  const cases: [string, Record<string, string>, (m: Row) => boolean][] = [
    ['phone (to or from)', { phone: MARIA }, (m) => m.to === MARIA || m.from === MARIA],
    ['phone written with spaces', { phone: '+39 347 130 0001' }, (m) => m.to === MARIA || m.from === MARIA],
    [
      'email (to or from, any case, wildcards literal)',
      { email: 'MARIA_ROSSI@example.com' },
      (m) => m.to === 'maria_rossi@example.com',
    ],
    [
      'phone and email: one client on both channels',
      { phone: MARIA, email: 'maria.rossi@example.com' },
      (m) => m.to === MARIA || m.from === MARIA || m.to === 'Maria.Rossi@example.com',
    ],
    ['direction', { direction: 'inbound' }, (m) => m.direction === 'inbound'],
    ['channel', { channel: 'email' }, (m) => m.channel === 'email'],
    ['status', { status: 'failed' }, (m) => m.status === 'failed'],
    ['a list of statuses', { status: 'bounce,failed' }, (m) => m.status === 'failed' || m.status === 'bounce'],
    ['needsReview', { needsReview: 'true' }, (m) => m.needsReview],
    ['needsReview=false', { needsReview: 'false' }, (m) => !m.needsReview],
    ['appointmentId', { appointmentId: 'ML-1' }, (m) => m.appointment?.externalId === 'ML-1'],
    ['several at once', { phone: MARIA, direction: 'outbound' }, (m) => m.to === MARIA && m.direction === 'outbound'],
  ];

  test.each(cases)('%s', async (_what, query, predicate) => {
    const expected = (await clinicLog()).filter(predicate).map((m) => m.id);
    expect(expected.length).toBeGreaterThan(0);
    const { ids } = await walk('/v1/messages', { ...query, limit: '2' });
    expect(ids).toEqual(expected);
  });

  test('a + left unencoded in the query string (it arrives as a space) still finds the number', async () => {
    const raw = await messages(`/v1/messages?phone=${MARIA}`);
    const encoded = await messages(`/v1/messages?phone=${encodeURIComponent(MARIA)}`);
    expect(raw.status).toBe(200);
    expect(raw.body.messages.map((m) => m.id)).toEqual(encoded.body.messages.map((m) => m.id));
    expect(raw.body.messages.length).toBeGreaterThan(0);
  });

  test('an appointmentId that names no appointment of the practice matches nothing', async () => {
    for (const id of ['NOPE-1', 'OT-1']) {
      const res = await messages(`/v1/messages?appointmentId=${id}`);
      expect([res.status, res.body]).toEqual([200, { messages: [], nextCursor: null }]);
    }
  });
});

describe('another practice', () => {
  test("never sees the clinic's messages, even for the same number, nor they its", async () => {
    const clinicIds = new Set(
      (await system().prisma.message.findMany({ where: { practiceId: 'clinic' } })).map((m) => m.id),
    );
    const other = await walk('/v1/messages', {}, otherKey);
    expect(other.ids.length).toBe(2);
    expect(other.ids.some((id) => clinicIds.has(id))).toBe(false);
    expect(other.pages.flat().map((m) => [m.direction, m.appointmentId])).toEqual([
      ['inbound', 'OT-1'],
      ['outbound', 'OT-1'],
    ]);

    const clinic = await walk('/v1/messages', { phone: MARIA });
    expect(clinic.pages.flat().every((m) => m.to !== OTHER_NUMBER && m.from !== OTHER_NUMBER)).toBe(true);
    expect(clinic.ids.every((id) => clinicIds.has(id))).toBe(true);
  });

  test("another practice's appointment is a 404, like an unknown one", async () => {
    for (const path of ['/v1/appointments/OT-1/messages', '/v1/appointments/NOPE-1/messages']) {
      const res = await system().api<Problem>('GET', path);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    }
    expect((await messages('/v1/appointments/ML-1/messages', otherKey)).status).toBe(404);
    expect((await messages('/v1/appointments/OT-1/messages', otherKey)).status).toBe(200);
  });
});

describe('paging', () => {
  const TOTAL = 57;
  let expected: string[] = [];

  beforeAll(async () => {
    // 57 rows over 8 instants: most share their createdAt with others, so the id decides.
    const base = Date.now() - DAY;
    const rows: Prisma.MessageCreateManyInput[] = Array.from({ length: TOTAL }, (_, i) => ({
      id: randomUUID(),
      practiceId: 'pager',
      direction: i % 3 === 0 ? 'inbound' : 'outbound',
      channel: 'sms',
      to: i % 3 === 0 ? PAGER_NUMBER : `+3934714${String(i).padStart(5, '0')}`,
      from: i % 3 === 0 ? `+3934714${String(i).padStart(5, '0')}` : PAGER_NUMBER,
      body: `message ${i}`,
      segments: 1,
      encoding: 'GSM-7',
      status: i % 3 === 0 ? 'received' : 'sent',
      createdAt: new Date(base + (i % 8) * 1_000),
    }));
    await system().prisma.message.createMany({ data: rows });
    expected = rows
      .map((r) => ({ id: r.id!, createdAt: r.createdAt as Date }))
      .sort(newestFirst)
      .map((r) => r.id);
  });

  test.each([1, 5, 7, 56, 57, 200])('pages of %i walk every row once, newest first', async (limit) => {
    const { ids, pages } = await walk('/v1/messages', { limit: String(limit) }, pagerKey);
    expect(ids).toEqual(expected);
    expect(pages.every((page) => page.length <= limit)).toBe(true);
    // The page that ends the list says so: no empty page after a full one.
    expect(pages.at(-1)!.length).toBeGreaterThan(0);
  });

  test('50 by default', async () => {
    const res = await messages('/v1/messages', pagerKey);
    expect(res.body.messages.map((m) => m.id)).toEqual(expected.slice(0, 50));
    expect(res.body.nextCursor).toEqual(match.any(String));
  });

  test('a message that arrives during the walk does not shift the pages', async () => {
    const first = await messages('/v1/messages?limit=10', pagerKey);
    await system().prisma.message.create({
      data: {
        practiceId: 'pager',
        direction: 'inbound',
        channel: 'sms',
        to: PAGER_NUMBER,
        from: '+393471399999',
        body: 'new',
        segments: 1,
        encoding: 'GSM-7',
        status: 'received',
      },
    });
    const rest = await walk('/v1/messages', { limit: '10', cursor: first.body.nextCursor! }, pagerKey);
    expect([...first.body.messages.map((m) => m.id), ...rest.ids]).toEqual(expected);
  });
});

describe('bad parameters', () => {
  test.each([
    ['a phone that is not E.164', 'phone=3471234567', 'phone'],
    ['a phone given twice', `phone=${encodeURIComponent(MARIA)}&phone=${encodeURIComponent(LUCA)}`, 'phone'],
    ['an empty phone', 'phone=', 'phone'],
    ['an email that is not one', 'email=maria', 'email'],
    ['an unknown direction', 'direction=sideways', 'direction'],
    ['an unknown channel', 'channel=fax', 'channel'],
    ['a malformed status', 'status=Delivered!', 'status'],
    ['a needsReview that is not a boolean', 'needsReview=yes', 'needsReview'],
    ['a limit of 0', 'limit=0', 'limit'],
    ['a limit over 200', 'limit=201', 'limit'],
    ['a limit that is not a number', 'limit=ten', 'limit'],
    ['a huge limit', 'limit=99999999999999999999999', 'limit'],
    ['a garbled cursor', 'cursor=not-a-cursor', 'cursor'],
    ['an empty cursor', 'cursor=', 'cursor'],
  ])('%s is a 422 naming it', async (_what, query, path) => {
    const res = await system().api<Problem>('GET', `/v1/messages?${query}`);
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(res.body.errors).toEqual([{ path, message: match.any(String) }]);
  });

  test('every bad parameter is named at once', async () => {
    const res = await system().api<Problem>('GET', '/v1/messages?phone=123&limit=0&channel=fax');
    expect(res.status).toBe(422);
    expect(res.body.errors?.map((e) => e.path).sort()).toEqual(['channel', 'limit', 'phone']);
  });

  test('an unknown parameter is a 400 naming it', async () => {
    const res = await system().api<Problem>('GET', '/v1/messages?colour=blue&limit=5');
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ path: 'colour', message: 'is not a known parameter' }]);
    const scoped = await system().api<Problem>('GET', '/v1/appointments/ML-1/messages?appointmentId=ML-2');
    expect(scoped.status).toBe(400);
    expect(scoped.body.errors).toEqual([{ path: 'appointmentId', message: 'is not a known parameter' }]);
  });

  const encode = (payload: unknown) => Buffer.from(JSON.stringify(payload)).toString('base64url');

  test.each([
    ['not JSON', Buffer.from('{"at":').toString('base64url')],
    ['JSON of another shape', encode([1, 2, 3])],
    ['a null', encode(null)],
    ['an id that is not a uuid', encode({ at: new Date().toISOString(), id: "1' OR '1'='1", f: 'x' })],
    ['a date that is not one', encode({ at: '2026-13-45T99:00:00.000Z', id: randomUUID(), f: 'x' })],
  ])('a forged cursor (%s) is a 422, never a 5xx', async (_what, cursor) => {
    const res = await system().api<Problem>('GET', `/v1/messages?cursor=${cursor}`);
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ path: 'cursor', message: match.any(String) }]);
  });

  test('a cursor used with other filters than its first page is a 422, not a page of another list', async () => {
    const first = await messages(`/v1/messages?phone=${encodeURIComponent(MARIA)}&limit=1`);
    expect(first.body.nextCursor).toEqual(match.any(String));
    const cursor = first.body.nextCursor!;
    const unfiltered = await system().api<Problem>('GET', `/v1/messages?cursor=${cursor}`);
    expect(unfiltered.status).toBe(422);
    expect(unfiltered.body.errors).toEqual([{ path: 'cursor', message: match.stringMatching(/other filters/) }]);
    // The page size may change between pages.
    const more = await messages(`/v1/messages?phone=${encodeURIComponent(MARIA)}&limit=3&cursor=${cursor}`);
    expect(more.status).toBe(200);
    // It belongs to the practice that got it.
    const elsewhere = await messages(`/v1/messages?phone=${encodeURIComponent(MARIA)}&cursor=${cursor}`, otherKey);
    expect(elsewhere.status).toBe(422);
  });
});
