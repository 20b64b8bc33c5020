import { randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createActivities } from '../../activities';
import {
  SEND_REJECTED,
  SMS_SEND_ATTEMPT_TIMEOUT_MS,
  type MessageAppointment,
  type SendMessageInput,
  type SendResult,
} from '../../activities/contracts';
import { createPrismaClient, type PrismaClient } from '../../db/client';
import { smsUsage } from '../../db/sms-budget';
import { workflowIdFor } from '../../domain/appointment';
import { createTwilioGateway } from '../../gateways/twilio';
import { startFakeTwilio, type FakeTwilio } from '../support/fake-twilio';
import { InMemoryGateway } from '../support/in-memory-gateway';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { createOwnPractice } from '../support/practices';

// The SMS budget through the send activity: the real twilio SDK against the fake Twilio and a
// real PostgreSQL. What the fake received is what the practice would be billed for.

let database: TestDatabase;
let prisma: PrismaClient;
let fake: FakeTwilio;
let sendSms: (input: SendMessageInput) => Promise<SendResult>;

beforeAll(async () => {
  database = await createTestDatabase('sms_budget_send');
  prisma = createPrismaClient(database.url);
  fake = await startFakeTwilio();
  const activities = createActivities({
    prisma,
    sms: createTwilioGateway({ accountSid: fake.accountSid, authToken: fake.authToken, apiBaseUrl: fake.baseUrl }),
    email: new InMemoryGateway('email'),
    links: {
      publicBaseUrl: 'https://reminders.example.com',
      signingSecret: 'test-link-signing-secret-0123456789abcdef',
    },
  });
  sendSms = (input) =>
    new MockActivityEnvironment(
      { startToCloseTimeoutMs: SMS_SEND_ATTEMPT_TIMEOUT_MS },
      { logger: new DefaultLogger('ERROR') },
    ).run(activities.sendSms, input);
});

afterAll(async () => {
  await fake?.stop();
  await prisma?.$disconnect();
  await database?.drop();
});

/** A practice of its own, with a sender number of its own, so usage and the fake's messages never mix. */
async function practice(smsMonthlyBudget: number | null): Promise<{ id: string; from: string }> {
  const { id, smsFrom } = await createOwnPractice(prisma, {
    name: 'Studio Bianchi',
    timeZone: 'Europe/Rome',
    smsMonthlyBudget,
  });
  return { id, from: smsFrom };
}

function reminderInput(practiceId: string): SendMessageInput & { appointment: MessageAppointment } {
  const appointmentId = `B-${randomBytes(3).toString('hex')}`;
  const workflowId = workflowIdFor(practiceId, appointmentId);
  return {
    practiceId,
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

const rowOf = (input: SendMessageInput) =>
  prisma.message.findUniqueOrThrow({ where: { idempotencyKey: input.idempotencyKey } });
const receivedFrom = (from: string) => fake.messages.filter((m) => m.from === from);
const usedBy = async (practiceId: string) => (await smsUsage(prisma, practiceId, new Date())).segments;

/** One reminder's segments as composed today, from a send of a practice without a budget. */
async function segmentsPerReminder(practiceId: string): Promise<number> {
  const input = reminderInput(practiceId);
  expect(await sendSms(input)).toMatchObject({ outcome: 'sent' });
  return (await rowOf(input)).segments!;
}

test('a budget spent mid-day: texts go out until it is used up, then credit_exhausted and nothing is sent', async () => {
  const { id, from } = await practice(null);
  const segments = await segmentsPerReminder(id);
  // Room for two more reminders this month.
  await prisma.practice.update({ where: { id }, data: { smsMonthlyBudget: 3 * segments } });

  const inputs = Array.from({ length: 4 }, () => reminderInput(id));
  const results: SendResult[] = [];
  for (const input of inputs) results.push(await sendSms(input));

  expect(results.map((r) => r.outcome)).toEqual(['sent', 'sent', 'credit_exhausted', 'credit_exhausted']);
  expect(receivedFrom(from)).toHaveLength(3);
  expect(await smsUsage(prisma, id, new Date())).toMatchObject({ segments: 3 * segments, remaining: 0 });
  const refused = await rowOf(inputs[2]);
  const explanation = `Not sent: the practice's monthly SMS budget (${3 * segments} segments) is used up.`;
  expect(refused).toMatchObject({
    status: 'not_sent',
    errorCode: 'CREDIT_EXHAUSTED',
    errorMessage: explanation,
    providerId: null,
    budgetSegments: null,
  });
  expect(refused.statusHistory).toEqual([
    { status: 'not_sent', errorCode: 'CREDIT_EXHAUSTED', at: expect.any(String) as string },
  ]);

  // A retry of the refused send answers the same, even once the practice has raised its budget.
  await prisma.practice.update({ where: { id }, data: { smsMonthlyBudget: 100 * segments } });
  expect(await sendSms(inputs[2])).toEqual({ outcome: 'credit_exhausted' });
  expect(receivedFrom(from)).toHaveLength(3);
});

test('20 concurrent sends against a budget of 10 reminders: exactly 10 reach Twilio', async () => {
  const { id, from } = await practice(null);
  const segments = await segmentsPerReminder(id);
  await prisma.practice.update({ where: { id }, data: { smsMonthlyBudget: 11 * segments } });

  const results = await Promise.all(Array.from({ length: 20 }, () => sendSms(reminderInput(id))));
  expect(results.filter((r) => r.outcome === 'sent')).toHaveLength(10);
  expect(results.filter((r) => r.outcome === 'credit_exhausted')).toHaveLength(10);
  expect(receivedFrom(from)).toHaveLength(11);
  expect(await usedBy(id)).toBe(11 * segments);
});

test('a retried attempt after Twilio may have taken the message is not charged twice', async () => {
  const { id, from } = await practice(null);
  const input = reminderInput(id);
  fake.failNext((form) => form.To === input.to, { status: 500, accepted: true });
  const failure = await sendSms(input).catch((err: unknown) => err);
  expect(failure).toBeInstanceOf(ApplicationFailure);
  const row = await rowOf(input);
  expect(row).toMatchObject({ status: 'retrying', budgetSegments: row.segments });
  expect(await usedBy(id)).toBe(row.segments);

  expect(await sendSms(input)).toMatchObject({ outcome: 'sent' });
  expect(await sendSms(input)).toMatchObject({ outcome: 'sent' });
  expect(receivedFrom(from)).toHaveLength(1);
  expect(await usedBy(id)).toBe(row.segments);
});

test('a send Twilio refuses for good is not billed: its charge is given back', async () => {
  const { id } = await practice(50);
  const input = reminderInput(id);
  fake.failNext((form) => form.To === input.to, { status: 400, code: 21211, message: 'Invalid To number' });
  const failure = (await sendSms(input).catch((err: unknown) => err)) as ApplicationFailure;
  expect(failure.type).toBe(SEND_REJECTED.sms);
  expect(await rowOf(input)).toMatchObject({ status: 'failed', errorCode: '21211', budgetSegments: null });
  expect(await usedBy(id)).toBe(0);
});

test('a refusal proving Twilio never took it gives the charge back; the retry is charged once', async () => {
  const { id, from } = await practice(50);
  const input = reminderInput(id);
  fake.failNext((form) => form.To === input.to, { status: 429, code: 20429, message: 'Too Many Requests' });
  await expect(sendSms(input)).rejects.toBeInstanceOf(ApplicationFailure);
  expect(await rowOf(input)).toMatchObject({ status: 'pending', budgetSegments: null });
  expect(await usedBy(id)).toBe(0);

  expect(await sendSms(input)).toMatchObject({ outcome: 'sent' });
  const row = await rowOf(input);
  expect(row.budgetSegments).toBe(row.segments);
  expect(await usedBy(id)).toBe(row.segments);
  expect(receivedFrom(from)).toHaveLength(1);
});

test('no budget: every text goes out and is counted', async () => {
  const { id, from } = await practice(null);
  const inputs = Array.from({ length: 3 }, () => reminderInput(id));
  for (const input of inputs) expect(await sendSms(input)).toMatchObject({ outcome: 'sent' });
  const rows = await Promise.all(inputs.map(rowOf));
  expect(receivedFrom(from)).toHaveLength(3);
  expect(await smsUsage(prisma, id, new Date())).toMatchObject({
    segments: rows.reduce((sum, r) => sum + r.segments!, 0),
    budget: null,
    remaining: null,
  });
});

test('emails are never charged to the SMS budget', async () => {
  const { id } = await practice(0);
  await prisma.practice.update({ where: { id }, data: { emailFrom: 'studio@example.com' } });
  const activities = createActivities({
    prisma,
    sms: new InMemoryGateway('sms'),
    email: new InMemoryGateway('email'),
    links: {
      publicBaseUrl: 'https://reminders.example.com',
      signingSecret: 'test-link-signing-secret-0123456789abcdef',
    },
  });
  const input = { ...reminderInput(id), to: 'maria@example.com' };
  const result = await new MockActivityEnvironment({ startToCloseTimeoutMs: SMS_SEND_ATTEMPT_TIMEOUT_MS }).run(
    activities.sendEmail,
    input,
  );
  expect(result).toMatchObject({ outcome: 'sent' });
  expect(await usedBy(id)).toBe(0);
});

test('an attempt cancelled before the gateway holds no charge; the next one is charged once', async () => {
  const { id, from } = await practice(50);
  const input = reminderInput(id);
  const cancelled = new MockActivityEnvironment({ startToCloseTimeoutMs: SMS_SEND_ATTEMPT_TIMEOUT_MS });
  cancelled.cancel();
  const { sendSms: send } = createActivities({
    prisma,
    sms: createTwilioGateway({ accountSid: fake.accountSid, authToken: fake.authToken, apiBaseUrl: fake.baseUrl }),
    email: new InMemoryGateway('email'),
    links: {
      publicBaseUrl: 'https://reminders.example.com',
      signingSecret: 'test-link-signing-secret-0123456789abcdef',
    },
  });
  await expect(cancelled.run(send, input)).rejects.toThrow('cancelled');
  expect(await rowOf(input)).toMatchObject({ status: 'pending', budgetSegments: null });
  expect(await usedBy(id)).toBe(0);

  await sendSms(input);
  expect(await usedBy(id)).toBe((await rowOf(input)).segments);
  expect(receivedFrom(from)).toHaveLength(1);
});

test('a charged send that Twilio turns out not to have, found too late, gives its charge back', async () => {
  const { id, from } = await practice(50);
  const input = reminderInput(id);
  fake.failNext((form) => form.To === input.to, { status: 503 });
  await expect(sendSms(input)).rejects.toBeInstanceOf(ApplicationFailure);
  expect(await usedBy(id)).toBe((await rowOf(input)).segments);

  const started = {
    ...input,
    appointment: { ...input.appointment, startsAt: new Date(Date.now() - 60_000).toISOString() },
  };
  expect(await sendSms(started)).toEqual({ outcome: 'too_late' });
  expect(await rowOf(input)).toMatchObject({ status: 'too_late', budgetSegments: null });
  expect(await usedBy(id)).toBe(0);
  expect(receivedFrom(from)).toHaveLength(0);
});
