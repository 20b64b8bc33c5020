import { randomBytes } from 'node:crypto';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { RECORD_YIELD_MAX_MS } from '../../activities/send-message';
import {
  FINAL_LOOK_MS,
  SEND_REJECTED,
  SMS_SEND_ATTEMPT_TIMEOUT_MS,
  type MessageAppointment,
  type SendMessageInput,
  type SendResult,
  type SendRejection,
} from '../../activities/contracts';
import { createPrismaClient, type PrismaClient } from '../../db/client';
import { workflowIdFor } from '../../domain/appointment';
import { countSegments } from '../../domain/segments';
import { recordOptOut } from '../../db/opt-outs';
import { createPractice } from '../../services/practices';
import { InMemoryGateway } from '../support/in-memory-gateway';
import { createTestDatabase } from '../support/postgres';

// The exactly-once send activity against a real PostgreSQL, for every state its message row can
// be in. Only the SMS gateway is replaced (by an in-memory one that records what it is asked).

const FROM = '+15005550006';
let prisma: PrismaClient;
let dropDatabase: () => Promise<void>;

beforeAll(async () => {
  const database = await createTestDatabase('send_sms');
  dropDatabase = database.drop;
  prisma = createPrismaClient(database.url);
  await createPractice(prisma, { id: 'clinic', name: 'Studio Bianchi', smsFrom: FROM, timeZone: 'Europe/Rome' });
});

afterAll(async () => {
  await prisma?.$disconnect();
  await dropDatabase?.();
});

/** A reminder for a number of its own, so tests never share rows or opt-outs. */
function reminderInput(): SendMessageInput & { appointment: MessageAppointment } {
  const appointmentId = `S-${randomBytes(3).toString('hex')}`;
  const workflowId = workflowIdFor('clinic', appointmentId);
  return {
    practiceId: 'clinic',
    appointmentId,
    workflowId,
    idempotencyKey: `${workflowId}/r1`,
    to: `+39347${Math.floor(1_000_000 + Math.random() * 8_999_999)}`,
    purpose: 'reminder',
    recipient: 'client',
    appointment: {
      clientName: 'Maria Rossi',
      practitionerName: null,
      startsAt: new Date(Date.now() + 3 * 86_400_000).toISOString(),
      timeZone: 'Europe/Rome',
      location: null,
    },
  };
}

/** An attempt as Temporal runs it: in an activity context with the workflow's start-to-close timeout. */
function attemptEnvironment(info: { startToCloseTimeoutMs?: number } = {}): MockActivityEnvironment {
  // The SDK logs every failed attempt as a warning; these tests cause many on purpose.
  return new MockActivityEnvironment(
    { startToCloseTimeoutMs: SMS_SEND_ATTEMPT_TIMEOUT_MS, ...info },
    { logger: new DefaultLogger('ERROR') },
  );
}

/** The activities' dependencies around one gateway under test (the other channel's accepts everything). */
function dependencies(gateway: InMemoryGateway, database = prisma) {
  const other = new InMemoryGateway(gateway.channel === 'sms' ? 'email' : 'sms');
  return {
    prisma: database,
    ...(gateway.channel === 'sms' ? { sms: gateway, email: other } : { sms: other, email: gateway }),
    links: {
      publicBaseUrl: 'https://reminders.example.com',
      signingSecret: 'test-link-signing-secret-0123456789abcdef',
    },
  };
}

function sendSmsWith(gateway: InMemoryGateway, environment = attemptEnvironment(), database = prisma) {
  const { sendSms } = createActivities(dependencies(gateway, database));
  return (input: SendMessageInput) => environment.run<[SendMessageInput], SendResult, typeof sendSms>(sendSms, input);
}

const rowOf = (input: SendMessageInput) =>
  prisma.message.findUniqueOrThrow({ where: { idempotencyKey: input.idempotencyKey } });

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(
    () => null,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}

test('no row yet: claims one, sends once and records the provider id', async () => {
  const gateway = new InMemoryGateway();
  const input = reminderInput();
  const result = await sendSmsWith(gateway)(input);

  expect(gateway.sent).toHaveLength(1);
  expect(gateway.sent[0]).toMatchObject({ to: input.to, from: FROM });
  expect(gateway.sent[0].body).toMatch(/^Hi Maria, a reminder from Studio Bianchi: your appointment is /);
  const row = await rowOf(input);
  expect(result).toEqual({ outcome: 'sent', messageId: row.id, providerId: row.providerId });
  expect(row).toMatchObject({
    status: 'queued',
    direction: 'outbound',
    channel: 'sms',
    to: input.to,
    from: FROM,
    body: gateway.sent[0].body,
  });
  expect(row.providerId).toMatch(/^SM/);
  expect(row.sentAt).toBeInstanceOf(Date);
  expect(gateway.queries).toHaveLength(0);
});

test('a sent message is recorded once no other send waits for a connection to the provider', async () => {
  const gateway = new InMemoryGateway();
  const letThrough = gateway.queueCalls();
  const input = reminderInput();
  const sending = sendSmsWith(gateway)(input);
  while (gateway.sent.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  // The provider has it; its record waits while calls queue behind the connection limit.
  expect(await rowOf(input)).toMatchObject({ status: 'sending', providerId: null });
  letThrough();
  const result = await sending;
  const row = await rowOf(input);
  expect(result).toEqual({ outcome: 'sent', messageId: row.id, providerId: row.providerId });
  expect(row.providerId).toMatch(/^SM/);
});

test('a sent message is recorded after RECORD_YIELD_MAX_MS at most, however long calls stay queued', async () => {
  const gateway = new InMemoryGateway();
  gateway.queueCalls();
  const input = reminderInput();
  const started = Date.now();
  const result = await sendSmsWith(gateway)(input);
  expect(Date.now() - started).toBeGreaterThanOrEqual(RECORD_YIELD_MAX_MS - 10);
  const row = await rowOf(input);
  expect(result).toEqual({ outcome: 'sent', messageId: row.id, providerId: row.providerId });
  expect(row.status).toBe('queued');
});

test("a send that moves the appointment's status writes it with its message, and only from the status it names", async () => {
  const gateway = new InMemoryGateway();
  const input = reminderInput();
  const appointment = await prisma.appointment.create({
    data: {
      practiceId: 'clinic',
      externalId: input.appointmentId!,
      startsAt: new Date(input.appointment.startsAt),
      timeZone: 'Europe/Rome',
      status: 'scheduled',
      workflowId: input.workflowId,
      requestHash: 'x',
    },
  });
  const move = { from: 'scheduled', to: 'awaiting_confirmation' } as const;
  await sendSmsWith(gateway)({ ...input, statusOnSent: move });
  const read = () => prisma.appointment.findUniqueOrThrow({ where: { id: appointment.id } });
  expect((await read()).status).toBe('awaiting_confirmation');

  // A later attempt of another reminder naming a status the row no longer has moves nothing.
  await prisma.appointment.update({ where: { id: appointment.id }, data: { status: 'confirmed' } });
  await sendSmsWith(gateway)({ ...input, idempotencyKey: `${input.workflowId}/r2`, statusOnSent: move });
  expect((await read()).status).toBe('confirmed');
  expect(gateway.sent).toHaveLength(2);
});

test('row already sent: answers with it and sends nothing', async () => {
  const gateway = new InMemoryGateway();
  const input = reminderInput();
  const first = await sendSmsWith(gateway)(input);
  const again = await sendSmsWith(gateway)(input);
  expect(again).toEqual(first);
  expect(gateway.sent).toHaveLength(1);
  expect(await prisma.message.count({ where: { idempotencyKey: input.idempotencyKey } })).toBe(1);
});

test('a permanent gateway error: row failed, non-retryable SmsRejected failure with the reason', async () => {
  const gateway = new InMemoryGateway().failPermanently(
    '21211',
    "The client's phone number is not a valid phone number.",
  );
  const input = reminderInput();
  const failure = await failureOf(sendSmsWith(gateway)(input));

  const row = await rowOf(input);
  expect(row).toMatchObject({
    status: 'failed',
    errorCode: '21211',
    errorMessage: "The client's phone number is not a valid phone number.",
    providerId: null,
  });
  expect(failure.type).toBe(SEND_REJECTED.sms);
  expect(failure.nonRetryable).toBe(true);
  expect(failure.details).toEqual([
    {
      code: '21211',
      reason: 'invalid_number',
      explanation: "The client's phone number is not a valid phone number.",
      messageId: row.id,
    } satisfies SendRejection,
  ]);
  expect(gateway.sent).toHaveLength(0);
});

test('a permanent error with a code staff cannot act on reads as rejected', async () => {
  const gateway = new InMemoryGateway().failPermanently('30007', 'Carrier filtered the message.');
  const failure = await failureOf(sendSmsWith(gateway)(reminderInput()));
  expect((failure.details?.[0] as SendRejection).reason).toBe('rejected');
});

test('row failed: re-throws the same non-retryable SmsRejected failure and sends nothing', async () => {
  const input = reminderInput();
  await failureOf(
    sendSmsWith(new InMemoryGateway().failPermanently('21614', 'The number is not a mobile number.'))(input),
  );
  const row = await rowOf(input);

  const gateway = new InMemoryGateway();
  const failure = await failureOf(sendSmsWith(gateway)(input));
  expect(failure.type).toBe(SEND_REJECTED.sms);
  expect(failure.nonRetryable).toBe(true);
  expect(failure.details).toEqual([
    { code: '21614', reason: 'not_mobile', explanation: 'The number is not a mobile number.', messageId: row.id },
  ]);
  expect(gateway.sent).toHaveLength(0);
  expect(gateway.queries).toHaveLength(0);
});

test('a transient gateway error: row retrying, retryable failure', async () => {
  const gateway = new InMemoryGateway().failTransiently(
    'HTTP_503',
    'Twilio had an internal error; the message will be retried.',
  );
  const input = reminderInput();
  const failure = await failureOf(sendSmsWith(gateway)(input));
  expect(failure.type).toBe('SmsGatewayUnavailable');
  expect(failure.nonRetryable).toBe(false);
  expect(await rowOf(input)).toMatchObject({ status: 'retrying', errorCode: 'HTTP_503', providerId: null });
});

test('row retrying after a failure the provider may have accepted: asks it first and adopts what it took', async () => {
  const gateway = new InMemoryGateway().acceptThenFail(
    'HTTP_500',
    'Twilio is temporarily unable to take the message (HTTP 500); it will be retried.',
  );
  const input = reminderInput();
  await failureOf(sendSmsWith(gateway)(input));
  const retrying = await rowOf(input);
  expect(retrying).toMatchObject({ status: 'retrying', providerId: null });

  const result = await sendSmsWith(gateway)(input);
  expect(gateway.sent).toHaveLength(1);
  expect(gateway.queries).toHaveLength(1);
  const [taken] = gateway.messages;
  expect(result).toEqual({ outcome: 'sent', messageId: retrying.id, providerId: taken.providerId });
  expect(await rowOf(input)).toMatchObject({ providerId: taken.providerId, errorCode: null });
});

test('row retrying and the provider took nothing: asks it, then sends once', async () => {
  const gateway = new InMemoryGateway().failTransiently('ECONNRESET', 'The connection to Twilio was lost.');
  const input = reminderInput();
  await failureOf(sendSmsWith(gateway)(input));
  const retrying = await rowOf(input);

  const result = await sendSmsWith(gateway)(input);
  expect(gateway.queries).toEqual([
    {
      to: retrying.to,
      from: retrying.from,
      body: retrying.body,
      reference: retrying.id,
      sentAfter: new Date(retrying.createdAt.getTime() - 5 * 60_000),
    },
  ]);
  expect(gateway.sent).toHaveLength(1);
  const row = await rowOf(input);
  expect(row).toMatchObject({ id: retrying.id, status: 'queued', errorCode: null, errorMessage: null });
  expect(result).toEqual({ outcome: 'sent', messageId: row.id, providerId: row.providerId });
});

test('a failure proving the provider never took the message: the retry sends without asking', async () => {
  const gateway = new InMemoryGateway().refuseTransiently(
    'ECONNREFUSED',
    'Twilio could not be reached; the message will be retried.',
  );
  const input = reminderInput();
  expect((await failureOf(sendSmsWith(gateway)(input))).nonRetryable).toBe(false);
  expect(await rowOf(input)).toMatchObject({ status: 'pending', errorCode: 'ECONNREFUSED', providerId: null });

  await sendSmsWith(gateway)(input);
  expect(gateway.queries).toHaveLength(0);
  expect(gateway.sent).toHaveLength(1);
});

/**
 * A row left `sending`: the attempt died after claiming it, here while calling the gateway.
 * The provider (`gateway`) keeps what it holds; only this one call blows up.
 */
async function leaveSending(input: SendMessageInput, gateway = new InMemoryGateway()): Promise<void> {
  const send = gateway.send.bind(gateway);
  gateway.send = () => Promise.reject(new Error('worker killed mid-send'));
  try {
    await expect(sendSmsWith(gateway)(input)).rejects.toThrow('worker killed mid-send');
  } finally {
    gateway.send = send;
  }
  expect(await rowOf(input)).toMatchObject({ status: 'sending', providerId: null });
}

test('row sending and the provider has the message: adopts it, sends nothing', async () => {
  const input = reminderInput();
  await leaveSending(input);
  const claimed = await rowOf(input);

  const gateway = new InMemoryGateway();
  const taken = gateway.holds({ to: claimed.to, from: claimed.from, body: claimed.body });
  const result = await sendSmsWith(gateway)(input);
  expect(gateway.sent).toHaveLength(1);
  expect(gateway.queries).toEqual([
    {
      to: claimed.to,
      from: claimed.from,
      body: claimed.body,
      reference: claimed.id,
      sentAfter: new Date(claimed.createdAt.getTime() - 5 * 60_000),
    },
  ]);
  expect(result).toEqual({ outcome: 'sent', messageId: claimed.id, providerId: taken.providerId });
  expect(await rowOf(input)).toMatchObject({ status: 'sent', providerId: taken.providerId });
});

test('row sending and the provider does not have it: sends it once', async () => {
  const input = reminderInput();
  await leaveSending(input);

  const gateway = new InMemoryGateway();
  const result = await sendSmsWith(gateway)(input);
  expect(gateway.queries).toHaveLength(1);
  expect(gateway.sent).toHaveLength(1);
  const row = await rowOf(input);
  expect(result).toEqual({ outcome: 'sent', messageId: row.id, providerId: row.providerId });
  expect(row.providerId).toMatch(/^SM/);
});

/** A second reminder of the same appointment: same number, same text, its own key. */
function sibling(input: SendMessageInput, reminderId: string): SendMessageInput {
  return { ...input, idempotencyKey: `${input.workflowId}/${reminderId}` };
}

test("a crash after claiming r2, whose text is r1's: r2 is sent, never adopts r1's message", async () => {
  const gateway = new InMemoryGateway();
  const r1 = reminderInput();
  const r2 = sibling(r1, 'r2');
  const first = await sendSmsWith(gateway)(r1);
  await leaveSending(r2, gateway);

  const second = await sendSmsWith(gateway)(r2);
  expect(gateway.sent).toHaveLength(2);
  expect(second).toMatchObject({ outcome: 'sent', providerId: gateway.messages[1].providerId });
  expect(second).not.toEqual(first);
  expect(await rowOf(r2)).toMatchObject({ providerId: gateway.messages[1].providerId });
});

test('two unowned provider messages match: adopts the oldest and sends nothing', async () => {
  const gateway = new InMemoryGateway();
  const input = reminderInput();
  await leaveSending(input, gateway);
  const row = await rowOf(input);
  const sms = { to: row.to, from: row.from, body: row.body };
  const older = gateway.holds(sms, new Date(row.createdAt.getTime() - 60_000));
  gateway.holds(sms);

  expect(await sendSmsWith(gateway)(input)).toMatchObject({ providerId: older.providerId });
  expect(gateway.sent).toHaveLength(2);
});

/**
 * The database as a concurrent reconciliation of `winner` makes it: the first time this
 * client is about to record a provider id on a row, `winner`'s row records that id first.
 */
function raceToRecord(winner: SendMessageInput): PrismaClient {
  let raced = false;
  return prisma.$extends({
    query: {
      message: {
        async update({ args, query }) {
          const providerId = args.data.providerId;
          if (!raced && typeof providerId === 'string') {
            raced = true;
            await prisma.message.update({
              where: { idempotencyKey: winner.idempotencyKey },
              data: { providerId, status: 'sent' },
            });
          }
          return query(args);
        },
      },
    },
  }) as unknown as PrismaClient;
}

test('another row adopts the same provider message first: this one sends its own, no endless retry', async () => {
  const gateway = new InMemoryGateway();
  const r2 = reminderInput();
  const r3 = sibling(r2, 'r3');
  await leaveSending(r2, gateway);
  await leaveSending(r3, gateway);
  const row = await rowOf(r2);
  const lost = gateway.holds({ to: row.to, from: row.from, body: row.body });

  const result = await sendSmsWith(gateway, attemptEnvironment(), raceToRecord(r3))(r2);
  expect(await rowOf(r3)).toMatchObject({ providerId: lost.providerId });
  expect(gateway.sent).toHaveLength(2);
  expect(result).toEqual({ outcome: 'sent', messageId: row.id, providerId: gateway.messages[1].providerId });
});

test('another row adopts a message this attempt just sent: retryable, and the retry sends again', async () => {
  const gateway = new InMemoryGateway();
  const r2 = reminderInput();
  const r3 = sibling(r2, 'r3');
  await leaveSending(r3, gateway);

  const failure = await failureOf(sendSmsWith(gateway, attemptEnvironment(), raceToRecord(r3))(r2));
  expect(failure).toMatchObject({ type: 'ProviderIdTaken', nonRetryable: false });
  expect(await rowOf(r2)).toMatchObject({ status: 'sending', providerId: null });
  expect(await rowOf(r3)).toMatchObject({ providerId: gateway.messages[0].providerId });

  const result = await sendSmsWith(gateway)(r2);
  expect(gateway.sent).toHaveLength(2);
  expect(result).toMatchObject({ outcome: 'sent', providerId: gateway.messages[1].providerId });
});

test('a retry after the details changed: looks for the old text, finds nothing, sends the new one', async () => {
  const gateway = new InMemoryGateway().failTransiently('HTTP_503', 'Twilio is temporarily unavailable.');
  const input = reminderInput();
  await failureOf(sendSmsWith(gateway)(input));
  const before = await rowOf(input);

  const changed: SendMessageInput = {
    ...input,
    to: `+39348${Math.floor(1_000_000 + Math.random() * 8_999_999)}`,
    appointment: {
      ...input.appointment,
      startsAt: new Date(Date.now() + 4 * 86_400_000).toISOString(),
      location: 'Via Roma 1, Milano — 2º piano',
    },
  };
  await sendSmsWith(gateway)(changed);

  expect(gateway.queries).toMatchObject([{ to: before.to, body: before.body }]);
  expect(gateway.sent).toHaveLength(1);
  const [sent] = gateway.sent;
  expect(sent.to).toBe(changed.to);
  expect(sent.body).toContain('Via Roma 1, Milano — 2º piano');
  expect(await rowOf(input)).toMatchObject({
    id: before.id,
    to: changed.to,
    body: sent.body,
    segments: countSegments(sent.body).segments,
    encoding: 'UCS-2',
  });
});

test('a retry after the details changed, when the old text had gone out: adopts it, sends nothing new', async () => {
  const gateway = new InMemoryGateway().acceptThenFail('HTTP_500', 'Twilio had an internal error.');
  const input = reminderInput();
  await failureOf(sendSmsWith(gateway)(input));
  const changed = { ...input, appointment: { ...input.appointment, location: 'Via Roma 1' } };

  expect(await sendSmsWith(gateway)(changed)).toMatchObject({ providerId: gateway.messages[0].providerId });
  expect(gateway.sent).toHaveLength(1);
});

test('a cancelled attempt sends nothing, and the next call sends without asking the provider', async () => {
  const gateway = new InMemoryGateway();
  const input = reminderInput();
  const cancelled = attemptEnvironment();
  cancelled.cancel();
  await expect(sendSmsWith(gateway, cancelled)(input)).rejects.toBeInstanceOf(CancelledFailure);
  expect(gateway.sent).toHaveLength(0);
  expect(await rowOf(input)).toMatchObject({ status: 'pending', providerId: null });

  await sendSmsWith(gateway)(input);
  expect(gateway.queries).toHaveLength(0);
  expect(gateway.sent).toHaveLength(1);
});

test('an attempt without time left for a whole gateway call sends nothing and fails retryably', async () => {
  const gateway = new InMemoryGateway();
  gateway.sendTimeoutMs = 10_000;
  const input = reminderInput();
  const failure = await failureOf(sendSmsWith(gateway, attemptEnvironment({ startToCloseTimeoutMs: 10_000 }))(input));
  expect(failure).toMatchObject({ type: 'SendAttemptOutOfTime', nonRetryable: false });
  expect(gateway.sent).toHaveLength(0);
  expect(await rowOf(input)).toMatchObject({ status: 'pending', providerId: null });
});

test('a quick send heartbeats only to reconcile (a heartbeat that reaches Temporal is billed)', async () => {
  const gateway = new InMemoryGateway().failTransiently('HTTP_503', 'Twilio is temporarily unavailable.');
  const input = reminderInput();
  await failureOf(sendSmsWith(gateway)(input));

  const environment = attemptEnvironment();
  const beats: unknown[] = [];
  environment.on('heartbeat', (details: unknown) => beats.push(details));
  await sendSmsWith(gateway, environment)(input);
  expect(beats).toEqual(['reconciling']);
});

test('a send handed over ahead of its instant prepares, heartbeats once just before it, and sends at it', async () => {
  const gateway = new InMemoryGateway();
  const input = { ...reminderInput(), notBefore: new Date(Date.now() + FINAL_LOOK_MS + 1_000).toISOString() };
  const environment = attemptEnvironment();
  const beats: Array<{ details: unknown; sentSoFar: number; status: string }> = [];
  environment.on('heartbeat', (details: unknown) => {
    void rowOf(input).then((row) => beats.push({ details, sentSoFar: gateway.sent.length, status: row.status }));
  });
  await sendSmsWith(gateway, environment)(input);
  const sentAt = Date.now();
  expect(sentAt).toBeGreaterThanOrEqual(Date.parse(input.notBefore));
  expect(gateway.sent).toHaveLength(1);
  // Prepared before the instant: the row was already `sending` when it looked.
  expect(beats).toEqual([{ details: 'final look', sentSoFar: 0, status: 'sending' }]);
});

test('a STOP that arrives while a send waits for its instant stops it at the final look', async () => {
  const gateway = new InMemoryGateway();
  const input = { ...reminderInput(), notBefore: new Date(Date.now() + FINAL_LOOK_MS + 1_500).toISOString() };
  const sending = sendSmsWith(gateway)(input);
  // Prepared and waiting (its opt-out check is behind it) when the STOP is recorded.
  await new Promise((resolve) => setTimeout(resolve, 800));
  expect((await rowOf(input)).status).toBe('sending');
  await recordOptOut(prisma, 'clinic', input.to, 'STOP', new Date());
  expect(await sending).toEqual({ outcome: 'opted_out' });
  expect(gateway.sent).toHaveLength(0);
  expect(await rowOf(input)).toMatchObject({ status: 'pending', providerId: null });
});

test('a send the workflow stops while it waits for its instant never reaches the gateway', async () => {
  const gateway = new InMemoryGateway();
  const input = { ...reminderInput(), notBefore: new Date(Date.now() + FINAL_LOOK_MS + 1_000).toISOString() };
  const environment = attemptEnvironment();
  environment.on('heartbeat', () => environment.cancel());
  const error = await sendSmsWith(
    gateway,
    environment,
  )(input).then(
    () => null,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(CancelledFailure);
  expect(gateway.sent).toHaveLength(0);
  expect(await rowOf(input)).toMatchObject({ status: 'pending', providerId: null });
});

test('number opted out: answers opted_out, writes and sends nothing', async () => {
  const input = reminderInput();
  await recordOptOut(prisma, 'clinic', input.to, 'STOP', new Date());
  const gateway = new InMemoryGateway();
  expect(await sendSmsWith(gateway)(input)).toEqual({ outcome: 'opted_out' });
  expect(gateway.sent).toHaveLength(0);
  expect(await prisma.message.count({ where: { idempotencyKey: input.idempotencyKey } })).toBe(0);
});

test('a cancellation notice gets the cancellation text', async () => {
  const gateway = new InMemoryGateway();
  const input = { ...reminderInput(), purpose: 'cancellation' as const };
  await sendSmsWith(gateway)(input);
  expect(gateway.sent[0].body).toMatch(/has been cancelled/);
});

test('the appointment has started: nothing is sent, the row says why, and a retry answers the same', async () => {
  const gateway = new InMemoryGateway();
  const input = reminderInput();
  input.appointment.startsAt = new Date(Date.now() - 60_000).toISOString();
  expect(await sendSmsWith(gateway)(input)).toEqual({ outcome: 'too_late' });
  expect(await sendSmsWith(gateway)(input)).toEqual({ outcome: 'too_late' });
  expect(gateway.sent).toHaveLength(0);
  expect(await rowOf(input)).toMatchObject({
    status: 'too_late',
    providerId: null,
    errorMessage: 'Not sent: the appointment had already started.',
  });
});

describe('settleUnknownSend: what a send whose outcome stayed unknown turned out to be', () => {
  function settleWith(gateway: InMemoryGateway) {
    const { settleUnknownSend } = createActivities(dependencies(gateway));
    return (input: SendMessageInput) => settleUnknownSend({ idempotencyKey: input.idempotencyKey });
  }
  /** As if the failed attempt ended long enough ago that no call of it can still be running. */
  const age = (input: SendMessageInput) =>
    prisma.message.update({
      where: { idempotencyKey: input.idempotencyKey },
      data: { updatedAt: new Date(Date.now() - 60_000) },
    });

  test('the provider took it (a 500 after queuing): adopted, the send was a success', async () => {
    const gateway = new InMemoryGateway().acceptThenFail('HTTP_500', 'Twilio had an internal error.');
    const input = reminderInput();
    await failureOf(sendSmsWith(gateway)(input));
    await age(input);
    const [taken] = gateway.messages;
    expect(await settleWith(gateway)(input)).toEqual({
      outcome: 'sent',
      messageId: (await rowOf(input)).id,
      providerId: taken.providerId,
    });
    expect(gateway.sent).toHaveLength(1);
  });

  test('the provider has nothing: not sent, and nothing is sent now', async () => {
    const gateway = new InMemoryGateway().failTransiently('ECONNRESET', 'The connection to Twilio was lost.');
    const input = reminderInput();
    await failureOf(sendSmsWith(gateway)(input));
    await age(input);
    expect(await settleWith(gateway)(input)).toEqual({ outcome: 'not_sent' });
    expect(gateway.queries).toHaveLength(1);
    expect(gateway.messages).toHaveLength(0);
  });

  test('an attempt that may still be inside its gateway call is waited for, not raced', async () => {
    const gateway = new InMemoryGateway().acceptThenFail('HTTP_500', 'Twilio had an internal error.');
    const input = reminderInput();
    await failureOf(sendSmsWith(gateway)(input));
    const failure = await failureOf(settleWith(gateway)(input));
    expect([failure.type, failure.nonRetryable]).toEqual(['SendAttemptMayBeRunning', false]);
  });

  test('no row, or one that never reached the provider: not sent, without asking it', async () => {
    const gateway = new InMemoryGateway();
    expect(await settleWith(gateway)(reminderInput())).toEqual({ outcome: 'not_sent' });
    expect(gateway.queries).toHaveLength(0);
  });
});

describe("composition: the practice's templates, the client's language, the sender name", () => {
  const NAMED_FROM = '+390298765432';

  beforeAll(async () => {
    // Settings as the practice settings API stores them (its own tests cover the validation).
    await createPractice(prisma, {
      id: 'studio-it',
      name: 'Studio Verdi',
      smsFrom: '+390211111111',
      timeZone: 'Europe/Rome',
    });
    await prisma.practice.update({
      where: { id: 'studio-it' },
      data: {
        locale: 'it-IT',
        emailFrom: 'studio@example.com',
        templates: {
          'reminder_client.sms.it': 'Ciao {{clientFirstName}}, {{practiceName}} ti aspetta {{date}} alle {{time}}.',
        },
      },
    });
    await createPractice(prisma, {
      id: 'studio-named',
      name: 'Studio Neri',
      smsFrom: NAMED_FROM,
      timeZone: 'Europe/Rome',
    });
    await prisma.practice.update({ where: { id: 'studio-named' }, data: { senderName: 'Studio Neri' } });
  });

  /** A reminder of the given practice, on a fixed morning so the local date is known. */
  function inputFor(practiceId: string, overrides: Partial<SendMessageInput['appointment']> = {}, to?: string) {
    const input = reminderInput();
    const workflowId = workflowIdFor(practiceId, input.appointmentId!);
    return {
      ...input,
      practiceId,
      workflowId,
      idempotencyKey: `${workflowId}/r1`,
      ...(to ? { to } : {}),
      appointment: { ...input.appointment, startsAt: '2099-12-01T08:30:00Z', location: 'Via Roma 1', ...overrides },
    };
  }

  test('an Italian client of an English-speaking practice gets the Italian text and date', async () => {
    const gateway = new InMemoryGateway();
    await sendSmsWith(gateway)(inputFor('clinic', { clientLocale: 'it-IT' }));
    expect(gateway.sent[0].body).toBe(
      "Gentile Maria, Studio Bianchi le ricorda l'appuntamento: mar 1 dic alle 09:30, Via Roma 1. " +
        'Risponda C per confermare o STOP per non ricevere SMS.',
    );
  });

  test('an American client reads the date month first with a 12-hour clock', async () => {
    const gateway = new InMemoryGateway();
    await sendSmsWith(gateway)(inputFor('clinic', { clientLocale: 'en-US' }));
    expect(gateway.sent[0].body).toContain('your appointment is Tue, Dec 1 at 9:30 AM, Via Roma 1.');
  });

  test("the practice's own template overrides the default, in the practice's language when the client has none", async () => {
    const gateway = new InMemoryGateway();
    const input = inputFor('studio-it');
    await sendSmsWith(gateway)(input);
    expect(gateway.sent[0].body).toBe('Ciao Maria, Studio Verdi ti aspetta mar 1 dic alle 09:30.');
    // The row records what went out, with its segment count.
    expect(await rowOf(input)).toMatchObject({ body: gateway.sent[0].body, segments: 1, encoding: 'GSM-7' });
  });

  test("an English-speaking client of that practice gets the built-in English text, the practitioner the practice's language", async () => {
    const gateway = new InMemoryGateway();
    await sendSmsWith(gateway)(inputFor('studio-it', { clientLocale: 'en-GB' }));
    expect(gateway.sent[0].body).toMatch(
      /^Hi Maria, a reminder from Studio Verdi: your appointment is Tue 1 Dec at 09:30/,
    );
    await sendSmsWith(gateway)({
      ...inputFor('studio-it', { clientLocale: 'en-GB', practitionerName: 'Dr. Verdi' }),
      recipient: 'practitioner',
    });
    expect(gateway.sent[1].body).toBe(
      'Studio Verdi: promemoria, Maria Rossi ha un appuntamento mar 1 dic alle 09:30, Via Roma 1.',
    );
  });

  test("an Italian client's reminder email is Italian, with the confirm button", async () => {
    const gateway = new InMemoryGateway('email');
    const { sendEmail } = createActivities(dependencies(gateway));
    const input = { ...inputFor('studio-it'), to: 'maria@example.com' };
    await attemptEnvironment().run<[SendMessageInput], SendResult, typeof sendEmail>(sendEmail, input);
    const [mail] = gateway.sent;
    expect(mail.subject).toBe('Promemoria: il suo appuntamento presso Studio Verdi, mar 1 dic alle 09:30');
    expect(mail.body).toMatch(/Per favore confermi la sua presenza: https:\/\/reminders\.example\.com\/confirm\//);
    expect(mail.html).toMatch(
      /<a href="https:\/\/reminders\.example\.com\/confirm\/[^"]+" style="[^"]*">Confermo il mio appuntamento<\/a>/,
    );
  });

  test('a practice with a sender name texts an Italian number under its name, and says which number to text', async () => {
    const gateway = new InMemoryGateway();
    const input = inputFor('studio-named');
    await sendSmsWith(gateway)(input);
    expect(gateway.sent[0].from).toBe('Studio Neri');
    expect(gateway.sent[0].body).toMatch(/Text C to \+390298765432 to confirm or STOP to opt out\.$/);
    expect(await rowOf(input)).toMatchObject({ from: 'Studio Neri' });
  });

  test('the same practice texts a US number from its number: US carriers refuse names', async () => {
    const gateway = new InMemoryGateway();
    await sendSmsWith(gateway)(inputFor('studio-named', {}, '+12025550143'));
    expect(gateway.sent[0].from).toBe(NAMED_FROM);
    expect(gateway.sent[0].body).toMatch(/Reply C to confirm or STOP to opt out\.$/);
  });
});
