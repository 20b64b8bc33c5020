import { randomUUID } from 'node:crypto';
import type { AppointmentLogEntry } from '../../domain/appointment-log';
import { customMessageWorkflowId } from '../../workflows/custom-message-messages';
import { repairUnstartedCustomMessages } from '../../services/custom-messages';
import type { MessageJson, MessagePage } from '../../services/message-log';
import { match } from '../support/matchers';
import { eventually, inFuture, useTestSystem, type Problem } from '../support/system';

// Custom messages through the real API, worker, Temporal dev server and PostgreSQL, with the
// real twilio and SendGrid SDKs against the fake providers.

const system = useTestSystem();

const DAY = 24 * 3_600_000;
const OTHER_NUMBER = '+15005550009';

let serial = 0;
/** A fresh Italian mobile number per test, so the fake providers' inboxes do not mix. */
function phone(): string {
  serial += 1;
  return `+39347150${String(1000 + serial).padStart(4, '0')}`;
}

beforeAll(async () => {
  // Quiet hours have their own tests (domain/quiet-hours.ts); these messages are sent at any hour.
  await system().prisma.practice.update({
    where: { id: 'clinic' },
    data: { quietHoursStart: null, quietHoursEnd: null },
  });
});

async function post(body: unknown, apiKey?: string) {
  return system().api<MessageJson>('POST', '/v1/messages', body, { apiKey });
}

async function message(id: string): Promise<MessageJson> {
  const res = await system().api<MessageJson>('GET', `/v1/messages/${id}`);
  expect(res.status).toBe(200);
  return res.body;
}

/** Waits until the message has left its workflow (sent, or ended without sending). */
function settled(id: string, statuses: string[]): Promise<MessageJson> {
  return eventually(
    async () => {
      const current = await message(id);
      return statuses.includes(current.status) ? current : null;
    },
    30_000,
    `message ${id} to reach ${statuses.join('/')}`,
  );
}

const textsTo = (to: string) => system().twilio.messages.filter((m) => m.to === to);

test('sent now: 202 with its id and status, the provider gets it exactly once, the log shows it sent', async () => {
  const to = phone();
  const res = await post({ to, channel: 'sms', body: 'Your documents are ready for pickup.' });
  expect(res.status).toBe(202);
  expect(res.headers.get('location')).toBe(`/v1/messages/${res.body.id}`);
  expect(res.body).toMatchObject({ id: match.any(String), status: match.any(String), purpose: 'custom', to });

  const [text] = await system().twilio.waitForMessages((m) => m.to === to, 1, 30_000);
  expect(text.body).toBe('Your documents are ready for pickup.');
  const sent = await settled(res.body.id, ['queued', 'sent', 'delivered']);
  expect(sent).toMatchObject({ providerId: text.sid, direction: 'outbound', channel: 'sms', segments: 1 });
  // The workflow has ended; nothing else goes out.
  const handle = system().temporal.workflow.getHandle(customMessageWorkflowId('clinic', res.body.id));
  await handle.result();
  expect(textsTo(to)).toHaveLength(1);

  const log = await system().api<MessagePage>('GET', `/v1/messages?phone=${encodeURIComponent(to)}`);
  expect(log.body.messages.map((m) => m.id)).toEqual([res.body.id]);
});

test('scheduled, then cancelled before it is due: nothing is sent, the row says cancelled, a repeat is the same', async () => {
  const to = phone();
  const res = await post({ to, channel: 'sms', body: 'See you next week.', sendAt: inFuture(DAY) });
  expect(res.status).toBe(202);
  expect(res.body.status).toBe('scheduled');

  const cancelled = await system().api<MessageJson>('DELETE', `/v1/messages/${res.body.id}`);
  expect(cancelled.status).toBe(200);
  expect(cancelled.body).toMatchObject({ id: res.body.id, status: 'cancelled' });
  const again = await system().api<MessageJson>('DELETE', `/v1/messages/${res.body.id}`);
  expect(again.status).toBe(200);
  expect(again.body.status).toBe('cancelled');

  const handle = system().temporal.workflow.getHandle(customMessageWorkflowId('clinic', res.body.id));
  expect(await handle.result()).toMatchObject({ status: 'cancelled' });
  expect(textsTo(to)).toHaveLength(0);
  expect((await message(res.body.id)).status).toBe('cancelled');
});

test('cancelled after it was sent: 409 saying why, and the message stays sent', async () => {
  const to = phone();
  const res = await post({ to, channel: 'sms', body: 'Reminder: bring your ID.' });
  await settled(res.body.id, ['queued', 'sent', 'delivered']);

  const refused = await system().api<Problem>('DELETE', `/v1/messages/${res.body.id}`);
  expect(refused.status).toBe(409);
  expect(refused.body.detail).toMatch(/already been sent|can no longer be cancelled/);
  expect(textsTo(to)).toHaveLength(1);
});

test('resent to a new number (a client who changed phones): the same text, a new message', async () => {
  const oldPhone = phone();
  const newPhone = phone();
  const first = await post({
    to: oldPhone,
    channel: 'sms',
    body: 'Your new appointment card is attached at reception.',
  });
  await settled(first.body.id, ['queued', 'sent', 'delivered']);

  const resent = await system().api<MessageJson>('POST', `/v1/messages/${first.body.id}/resend`, { to: newPhone });
  expect(resent.status).toBe(202);
  expect(resent.body.id).not.toBe(first.body.id);
  const [text] = await system().twilio.waitForMessages((m) => m.to === newPhone, 1, 30_000);
  expect(text.body).toBe('Your new appointment card is attached at reception.');
  await settled(resent.body.id, ['queued', 'sent', 'delivered']);
  expect(textsTo(oldPhone)).toHaveLength(1);

  const badNumber = await system().api<Problem>('POST', `/v1/messages/${first.body.id}/resend`, { to: 'not-a-phone' });
  expect(badNumber.status).toBe(422);
  expect(badNumber.body.errors).toEqual([{ path: 'to', message: match.stringMatching(/E\.164/) }]);
});

test('an opted-out number: accepted, not sent, and the message says why', async () => {
  const to = phone();
  expect((await system().inboundSms({ From: to, Body: 'STOP' })).status).toBe(200);
  const res = await post({ to, channel: 'sms', body: 'We have news about your case.' });
  expect(res.status).toBe(202);

  const skipped = await settled(res.body.id, ['skipped']);
  expect(skipped).toMatchObject({ errorCode: 'opted_out', errorExplanation: match.stringMatching(/opted out/) });
  expect(textsTo(to).filter((m) => m.body === 'We have news about your case.')).toHaveLength(0);
});

test('linked to an appointment: in its messages and its log; its client must have consented', async () => {
  const to = phone();
  const appointmentId = `CM-${randomUUID().slice(0, 8)}`;
  const booked = await system().api('POST', '/v1/appointments', {
    appointmentId,
    startsAt: inFuture(3 * DAY),
    timeZone: 'Europe/Rome',
    client: { name: 'Maria Rossi', phone: to, smsConsent: true },
    reminders: [{ before: 'PT2H', channel: 'sms' }],
  });
  expect(booked.status).toBe(201);

  const res = await post({ to, channel: 'sms', body: 'Please arrive 10 minutes early.', appointmentId });
  expect(res.status).toBe(202);
  expect(res.body).toMatchObject({ appointmentId, recipient: 'client' });
  await settled(res.body.id, ['queued', 'sent', 'delivered']);

  const messages = await system().api<MessagePage>('GET', `/v1/appointments/${appointmentId}/messages`);
  expect(messages.body.messages).toEqual([expect.objectContaining({ id: res.body.id, purpose: 'custom' })]);
  const log = await system().api<AppointmentLogEntry[]>('GET', `/v1/appointments/${appointmentId}/log`);
  expect(log.body).toContainEqual(
    expect.objectContaining({ event: 'message_sent', detail: 'Sent custom text to client', messageId: res.body.id }),
  );

  // The email the client never consented to is refused, naming the field.
  const email = await post({ to: 'maria@example.com', channel: 'email', body: 'Hello', appointmentId });
  expect(email.status).toBe(422);
  expect((email.body as unknown as Problem).errors).toEqual([
    { path: 'to', message: "the appointment's client has not consented to email" },
  ]);
});

test("another practice's message or appointment is a 404, never a hint that it exists", async () => {
  const { apiKey } = await system().addPractice('other-cm', OTHER_NUMBER);
  const mine = await post({ to: phone(), channel: 'sms', body: 'Only for the clinic.', sendAt: inFuture(DAY) });

  for (const [method, path, body] of [
    ['GET', `/v1/messages/${mine.body.id}`, undefined],
    ['DELETE', `/v1/messages/${mine.body.id}`, undefined],
    ['POST', `/v1/messages/${mine.body.id}/resend`, {}],
    ['DELETE', '/v1/messages/not-a-uuid', undefined],
  ] as const) {
    const res = await system().api<Problem>(method, path, body, { apiKey });
    expect([method, path, res.status]).toEqual([method, path, 404]);
  }
  const linked = await post({ to: phone(), channel: 'sms', body: 'Hi', appointmentId: 'NOT-THEIRS' }, apiKey);
  expect(linked.status).toBe(404);
  expect((await message(mine.body.id)).status).toBe('scheduled');
  expect((await system().api('DELETE', `/v1/messages/${mine.body.id}`)).status).toBe(200);
});

test('bad input: 400 for unknown fields, 422 naming every bad field', async () => {
  const unknown = await system().api<Problem>('POST', '/v1/messages', {
    to: phone(),
    channel: 'sms',
    body: 'x',
    cc: 1,
  });
  expect(unknown.status).toBe(400);
  expect(unknown.body.errors).toEqual([{ path: 'cc', message: 'is not a known field' }]);

  const bad = await system().api<Problem>('POST', '/v1/messages', {
    to: 'someone',
    channel: 'fax',
    body: '   ',
    sendAt: '2020-01-01T10:00:00Z',
  });
  expect(bad.status).toBe(422);
  expect(bad.body.errors?.map((e) => e.path).sort()).toEqual(['body', 'channel', 'sendAt', 'to']);

  const mismatched = await system().api<Problem>('POST', '/v1/messages', {
    to: 'maria@example.com',
    channel: 'sms',
    body: 'x'.repeat(1601),
  });
  expect(mismatched.status).toBe(422);
  expect(mismatched.body.errors).toEqual([
    { path: 'to', message: match.stringMatching(/for an SMS/) },
    { path: 'body', message: 'must be at most 1600 characters for an SMS' },
  ]);
});

test('an email: the default subject names the practice', async () => {
  const res = await post({ to: 'luca@example.com', channel: 'email', body: 'Your invoice is ready.' });
  expect(res.status).toBe(202);
  const [mail] = await system().sendgrid.waitForSent((m) => m.to === 'luca@example.com', 1, 30_000);
  expect(mail).toMatchObject({ subject: 'Message from Practice clinic', text: 'Your invoice is ready.' });
  await settled(res.body.id, ['sent', 'queued', 'delivered']);
});

test('a message whose workflow never started (the API stopped after its row) is started by the repair', async () => {
  const to = phone();
  const id = randomUUID();
  await system().prisma.message.create({
    data: {
      id,
      practiceId: 'clinic',
      direction: 'outbound',
      channel: 'sms',
      purpose: 'custom',
      recipient: 'client',
      to,
      from: system().smsFrom,
      body: 'Left behind, then sent.',
      status: 'scheduled',
      scheduledFor: new Date(),
      idempotencyKey: customMessageWorkflowId('clinic', id),
    },
  });
  const { repaired } = await repairUnstartedCustomMessages({
    prisma: system().prisma,
    temporal: system().temporal,
    taskQueue: system().config.temporal.taskQueue,
    olderThanMs: 0,
  });
  expect(repaired).toContain(customMessageWorkflowId('clinic', id));
  const [text] = await system().twilio.waitForMessages((m) => m.to === to, 1, 30_000);
  expect(text.body).toBe('Left behind, then sent.');
  expect(await settled(id, ['queued', 'sent', 'delivered'])).toMatchObject({ providerId: text.sid });
});
