import { randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { createActivities } from '../../activities';
import { SMS_REJECTED, type SendSmsInput, type SmsRejection } from '../../activities/contracts';
import { createPrismaClient, type PrismaClient } from '../../db/client';
import { workflowIdFor } from '../../domain/appointment';
import { recordOptOut } from '../../db/opt-outs';
import { createPractice } from '../../services/practices';
import { InMemorySmsGateway } from '../support/in-memory-sms-gateway';
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
function reminderInput(): SendSmsInput {
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

function sendSmsWith(gateway: InMemorySmsGateway) {
  return createActivities({ prisma, sms: gateway }).sendSms;
}

const rowOf = (input: SendSmsInput) =>
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
  const gateway = new InMemorySmsGateway();
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

test('row already sent: answers with it and sends nothing', async () => {
  const gateway = new InMemorySmsGateway();
  const input = reminderInput();
  const first = await sendSmsWith(gateway)(input);
  const again = await sendSmsWith(gateway)(input);
  expect(again).toEqual(first);
  expect(gateway.sent).toHaveLength(1);
  expect(await prisma.message.count({ where: { idempotencyKey: input.idempotencyKey } })).toBe(1);
});

test('a permanent gateway error: row failed, non-retryable SmsRejected failure with the reason', async () => {
  const gateway = new InMemorySmsGateway().failPermanently(
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
  expect(failure.type).toBe(SMS_REJECTED);
  expect(failure.nonRetryable).toBe(true);
  expect(failure.details).toEqual([
    {
      code: '21211',
      reason: 'invalid_number',
      explanation: "The client's phone number is not a valid phone number.",
      messageId: row.id,
    } satisfies SmsRejection,
  ]);
  expect(gateway.sent).toHaveLength(0);
});

test('a permanent error with a code staff cannot act on reads as rejected', async () => {
  const gateway = new InMemorySmsGateway().failPermanently('30007', 'Carrier filtered the message.');
  const failure = await failureOf(sendSmsWith(gateway)(reminderInput()));
  expect((failure.details?.[0] as SmsRejection).reason).toBe('rejected');
});

test('row failed: re-throws the same non-retryable SmsRejected failure and sends nothing', async () => {
  const input = reminderInput();
  await failureOf(
    sendSmsWith(new InMemorySmsGateway().failPermanently('21614', 'The number is not a mobile number.'))(input),
  );
  const row = await rowOf(input);

  const gateway = new InMemorySmsGateway();
  const failure = await failureOf(sendSmsWith(gateway)(input));
  expect(failure.type).toBe(SMS_REJECTED);
  expect(failure.nonRetryable).toBe(true);
  expect(failure.details).toEqual([
    { code: '21614', reason: 'not_mobile', explanation: 'The number is not a mobile number.', messageId: row.id },
  ]);
  expect(gateway.sent).toHaveLength(0);
  expect(gateway.queries).toHaveLength(0);
});

test('a transient gateway error: row retrying, retryable failure', async () => {
  const gateway = new InMemorySmsGateway().failTransiently(
    'HTTP_503',
    'Twilio had an internal error; the message will be retried.',
  );
  const input = reminderInput();
  const failure = await failureOf(sendSmsWith(gateway)(input));
  expect(failure.type).toBe('SmsGatewayUnavailable');
  expect(failure.nonRetryable).toBe(false);
  expect(await rowOf(input)).toMatchObject({ status: 'retrying', errorCode: 'HTTP_503', providerId: null });
});

test('row retrying: sent again at once, without asking the provider (what the code does today)', async () => {
  const gateway = new InMemorySmsGateway().failTransiently('ECONNRESET', 'The connection to Twilio was lost.');
  const input = reminderInput();
  await failureOf(sendSmsWith(gateway)(input));
  const retrying = await rowOf(input);

  const result = await sendSmsWith(gateway)(input);
  expect(gateway.queries).toHaveLength(0);
  expect(gateway.sent).toHaveLength(1);
  const row = await rowOf(input);
  expect(row.id).toBe(retrying.id);
  expect(row).toMatchObject({ status: 'queued', errorCode: null, errorMessage: null });
  expect(result).toEqual({ outcome: 'sent', messageId: row.id, providerId: row.providerId });
});

/** A row left `sending`: the attempt died after claiming it (here the gateway call itself blew up). */
async function leaveSending(input: SendSmsInput): Promise<void> {
  const dying = new InMemorySmsGateway();
  dying.send = () => Promise.reject(new Error('worker killed mid-send'));
  await expect(sendSmsWith(dying)(input)).rejects.toThrow('worker killed mid-send');
  expect(await rowOf(input)).toMatchObject({ status: 'sending', providerId: null });
}

test('row sending and the provider has the message: adopts it, sends nothing', async () => {
  const input = reminderInput();
  await leaveSending(input);
  const claimed = await rowOf(input);

  const gateway = new InMemorySmsGateway().holdsSent({ providerId: 'SM-found-at-provider', status: 'sent' });
  const result = await sendSmsWith(gateway)(input);
  expect(gateway.sent).toHaveLength(0);
  expect(gateway.queries).toEqual([
    {
      to: claimed.to,
      from: claimed.from,
      body: claimed.body,
      sentAfter: new Date(claimed.updatedAt.getTime() - 5 * 60_000),
    },
  ]);
  expect(result).toEqual({ outcome: 'sent', messageId: claimed.id, providerId: 'SM-found-at-provider' });
  expect(await rowOf(input)).toMatchObject({ status: 'sent', providerId: 'SM-found-at-provider' });
});

test('row sending and the provider does not have it: sends it once', async () => {
  const input = reminderInput();
  await leaveSending(input);

  const gateway = new InMemorySmsGateway().holdsSent(null);
  const result = await sendSmsWith(gateway)(input);
  expect(gateway.queries).toHaveLength(1);
  expect(gateway.sent).toHaveLength(1);
  const row = await rowOf(input);
  expect(result).toEqual({ outcome: 'sent', messageId: row.id, providerId: row.providerId });
  expect(row.providerId).toMatch(/^SM/);
});

test('number opted out: answers opted_out, writes and sends nothing', async () => {
  const input = reminderInput();
  await recordOptOut(prisma, 'clinic', input.to, 'STOP', new Date());
  const gateway = new InMemorySmsGateway();
  expect(await sendSmsWith(gateway)(input)).toEqual({ outcome: 'opted_out' });
  expect(gateway.sent).toHaveLength(0);
  expect(await prisma.message.count({ where: { idempotencyKey: input.idempotencyKey } })).toBe(0);
});

test('a cancellation notice gets the cancellation text', async () => {
  const gateway = new InMemorySmsGateway();
  const input = { ...reminderInput(), purpose: 'cancellation' as const };
  await sendSmsWith(gateway)(input);
  expect(gateway.sent[0].body).toMatch(/has been cancelled/);
});

test('the appointment has started: nothing is sent, the row says why, and a retry answers the same', async () => {
  const gateway = new InMemorySmsGateway();
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
