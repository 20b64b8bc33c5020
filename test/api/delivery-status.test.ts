import type { Server } from 'node:http';
import { createServer, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../../api/app';
import type { Config } from '../../config';
import { freePort } from '../../devenv/ports';
import { createTwilioGateway } from '../../gateways/twilio';
import { createLogger } from '../../lib/logger';
import { drainReplyOutbox } from '../../services/reply-outbox';
import { signTwilioRequest } from '../support/fake-twilio';
import { match } from '../support/matchers';
import { createSendGridEventSigner } from '../support/sendgrid-events';
import { eventually, inFuture, useTestSystem } from '../support/system';
import { stateQuery } from '../../workflows/messages';

// Delivery status through the real app, PostgreSQL and Temporal: Twilio's status callbacks
// posted by the fake Twilio to the StatusCallback a message was sent with, and SendGrid's
// event webhook signed with a test key, as the providers send them.

const system = useTestSystem();
const log = createLogger('silent');
const DAY = 24 * 3_600_000;
const statusUrl = () => `${system().baseUrl}/webhooks/twilio/status`;

type HistoryEntry = { status: string; at: string; errorCode: string | null };
const row = async (id: string) => {
  const message = await system().prisma.message.findUniqueOrThrow({ where: { id } });
  return { ...message, statusHistory: message.statusHistory as HistoryEntry[] };
};

let seq = 0;
/**
 * An SMS sent through the real Twilio SDK to the fake, with a StatusCallback, and its row as
 * the send activity records it; optionally a reminder of an appointment.
 */
async function sentSms(reminder?: { appointmentId: string; reminderId: string }) {
  seq += 1;
  const to = `+3934733${String(seq).padStart(5, '0')}`;
  const twilio = createTwilioGateway({
    accountSid: system().twilio.accountSid,
    authToken: system().twilio.authToken,
    apiBaseUrl: system().twilio.baseUrl,
  });
  const body = `Reminder ${seq}`;
  const sent = await twilio.send({ to, from: system().smsFrom, body, statusCallback: statusUrl() });
  const message = await system().prisma.message.create({
    data: {
      practiceId: system().practiceId,
      direction: 'outbound',
      channel: 'sms',
      to,
      from: system().smsFrom,
      body,
      segments: 1,
      encoding: 'GSM-7',
      status: sent.status,
      providerId: sent.providerId,
      sentAt: new Date(),
      purpose: reminder ? 'reminder' : 'custom',
      recipient: 'client',
      appointmentId: reminder?.appointmentId ?? null,
      reminderId: reminder?.reminderId ?? null,
    },
  });
  return { id: message.id, sid: sent.providerId };
}

/** An email as the send activity records it once SendGrid accepted it (X-Message-Id as provider id). */
async function sentEmail() {
  seq += 1;
  const message = await system().prisma.message.create({
    data: {
      practiceId: system().practiceId,
      direction: 'outbound',
      channel: 'email',
      to: `client${seq}@example.com`,
      from: 'clinic@example.com',
      subject: 'Your appointment',
      body: `Reminder ${seq}`,
      segments: 0,
      encoding: 'GSM-7',
      status: 'queued',
      providerId: randomBytes(11).toString('base64url'),
      sentAt: new Date(),
      purpose: 'custom',
      recipient: 'client',
    },
  });
  return message;
}

/** Another instance of the app on the same database, with its own settings. */
async function startApp(overrides: { sendgridWebhookPublicKey?: string | null; temporal?: Client }) {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const config: Config = {
    ...system().config,
    port,
    publicBaseUrl: baseUrl,
    sendgridWebhookPublicKey: overrides.sendgridWebhookPublicKey ?? null,
  };
  const app = createApp({
    config,
    prisma: system().prisma,
    temporal: overrides.temporal ?? system().temporal,
    log,
    background: system().background,
  });
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(port, '127.0.0.1', () => resolve(listening));
  });
  return {
    baseUrl,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('Twilio status callbacks', () => {
  test('a forged callback gets 403 and changes nothing', async () => {
    const { id, sid } = await sentSms();
    const before = await row(id);
    const res = await system().twilio.reportStatus(sid, 'undelivered', '30003', 'forged-token');
    expect(res.status).toBe(403);
    expect(await row(id)).toEqual(before);
  });

  test('out of order and repeated: delivered then sent ends delivered, each status recorded once', async () => {
    const { id, sid } = await sentSms();
    for (const status of ['sent', 'delivered', 'sent', 'delivered', 'queued', 'sending']) {
      expect((await system().twilio.reportStatus(sid, status)).status).toBe(204);
    }
    const message = await row(id);
    expect(message).toMatchObject({ status: 'delivered', errorCode: null, errorMessage: null });
    expect(message.statusHistory).toEqual([
      { status: 'sent', at: match.any(String), errorCode: null },
      { status: 'delivered', at: match.any(String), errorCode: null },
    ]);
    expect(Date.parse(message.statusHistory[1].at)).toBeGreaterThanOrEqual(Date.parse(message.statusHistory[0].at));
  });

  test('delivered first and sent late: the late one changes nothing', async () => {
    const { id, sid } = await sentSms();
    expect((await system().twilio.reportStatus(sid, 'delivered')).status).toBe(204);
    const delivered = await row(id);
    expect((await system().twilio.reportStatus(sid, 'sent')).status).toBe(204);
    expect(await row(id)).toEqual(delivered);
    expect(delivered.statusHistory.map((h) => h.status)).toEqual(['delivered']);
  });

  test('undelivered with 30003 stores the code and its explanation for staff', async () => {
    const { id, sid } = await sentSms();
    expect((await system().twilio.reportStatus(sid, 'sent')).status).toBe(204);
    expect((await system().twilio.reportStatus(sid, 'undelivered', '30003')).status).toBe(204);
    // A failure is final: a late delivered (a carrier's stray receipt) does not undo it.
    expect((await system().twilio.reportStatus(sid, 'delivered')).status).toBe(204);
    const message = await row(id);
    expect(message).toMatchObject({
      status: 'undelivered',
      errorCode: '30003',
      errorMessage: "The client's phone was unreachable (switched off or out of coverage).",
    });
    expect(message.statusHistory).toEqual([
      { status: 'sent', at: match.any(String), errorCode: null },
      { status: 'undelivered', at: match.any(String), errorCode: '30003' },
    ]);
  });

  test('a callback for a message we do not know is acknowledged and changes nothing', async () => {
    const twilio = createTwilioGateway({
      accountSid: system().twilio.accountSid,
      authToken: system().twilio.authToken,
      apiBaseUrl: system().twilio.baseUrl,
    });
    const sent = await twilio.send({
      to: '+393473399999',
      from: system().smsFrom,
      body: 'Not ours',
      statusCallback: statusUrl(),
    });
    const before = await system().prisma.message.findMany({ orderBy: { id: 'asc' } });
    expect((await system().twilio.reportStatus(sent.providerId, 'delivered')).status).toBe(204);
    expect(await system().prisma.message.findMany({ orderBy: { id: 'asc' } })).toEqual(before);
  });

  test('a signed callback without MessageSid or MessageStatus gets 400 problem+json', async () => {
    const forms: Record<string, string>[] = [
      { MessageStatus: 'delivered' },
      { MessageSid: 'SM00000000000000000000000000000001' },
    ];
    for (const form of forms) {
      const signed: Record<string, string> = { AccountSid: system().twilio.accountSid, ...form };
      const res = await fetch(statusUrl(), {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': signTwilioRequest(system().twilio.authToken, statusUrl(), signed),
        },
        body: new URLSearchParams(signed).toString(),
      });
      expect({ status: res.status, contentType: res.headers.get('content-type') }).toEqual({
        status: 400,
        contentType: match.stringMatching(/^application\/problem\+json/),
      });
    }
  });

  test('a status that says nothing about delivery is acknowledged and ignored', async () => {
    const { id, sid } = await sentSms();
    const before = await row(id);
    expect((await system().twilio.reportStatus(sid, 'canceled')).status).toBe(204);
    expect(await row(id)).toEqual(before);
  });
});

describe('SendGrid event webhook', () => {
  const signer = createSendGridEventSigner();
  let app: Awaited<ReturnType<typeof startApp>>;
  beforeAll(async () => {
    app = await startApp({ sendgridWebhookPublicKey: signer.publicKey });
  });
  afterAll(() => app.stop());
  const eventsUrl = () => `${app.baseUrl}/webhooks/sendgrid/events`;
  const timestamp = () => Math.floor(Date.now() / 1000);

  test('unsigned, forged or tampered batches get 403 and change nothing', async () => {
    const email = await sentEmail();
    const before = await row(email.id);
    const events = [{ event: 'bounce', type: 'bounce', message_id: email.id, timestamp: timestamp() }];
    const otherKey = createSendGridEventSigner();
    const rawBody = JSON.stringify(events);
    for (const headers of [
      {},
      otherKey.sign(rawBody),
      signer.sign(JSON.stringify([{ ...events[0], event: 'delivered' }])),
      { ...signer.sign(rawBody), 'X-Twilio-Email-Event-Webhook-Timestamp': '1' },
      { ...signer.sign(rawBody), 'X-Twilio-Email-Event-Webhook-Signature': 'bm90IGEgc2lnbmF0dXJl' },
    ]) {
      const res = await signer.post(eventsUrl(), events, headers);
      expect({ status: res.status, contentType: res.contentType }).toEqual({
        status: 403,
        contentType: match.stringMatching(/^application\/problem\+json/),
      });
    }
    expect(await row(email.id)).toEqual(before);
  });

  test('with no verification key configured, every post gets 403', async () => {
    const email = await sentEmail();
    const unkeyed = await startApp({ sendgridWebhookPublicKey: null });
    try {
      const events = [{ event: 'delivered', message_id: email.id, timestamp: timestamp() }];
      const res = await signer.post(`${unkeyed.baseUrl}/webhooks/sendgrid/events`, events);
      expect(res.status).toBe(403);
      expect(JSON.parse(res.body)).toMatchObject({ detail: match.stringContaining('SENDGRID_WEBHOOK_PUBLIC_KEY') });
    } finally {
      await unkeyed.stop();
    }
    expect((await row(email.id)).status).toBe('queued');
  });

  test('a signed batch updates each email it names, by our id or by SendGrid message id', async () => {
    const byId = await sentEmail();
    const bySgId = await sentEmail();
    const deferredThenDelivered = await sentEmail();
    const at = timestamp();
    const res = await signer.post(eventsUrl(), [
      { event: 'processed', message_id: byId.id, email: byId.to, timestamp: at },
      { event: 'delivered', message_id: byId.id, email: byId.to, timestamp: at + 2 },
      // A name with an accent: the signature covers the raw bytes.
      { event: 'open', message_id: byId.id, email: byId.to, timestamp: at + 3, useragent: 'Mozilla è' },
      {
        event: 'bounce',
        type: 'blocked',
        reason: '554 5.7.1 blocked by policy',
        sg_message_id: `${bySgId.providerId}.filter0001.16648.5515E0B88.0`,
        timestamp: at + 1,
      },
      {
        event: 'deferred',
        response: '451 try again later',
        attempt: '1',
        message_id: deferredThenDelivered.id,
        timestamp: at,
      },
      { event: 'delivered', message_id: deferredThenDelivered.id, timestamp: at + 60 },
      { event: 'deferred', message_id: deferredThenDelivered.id, timestamp: at + 30 },
      { event: 'delivered', message_id: '00000000-0000-4000-8000-000000000000', timestamp: at },
      { event: 'delivered', sg_message_id: 'unknown.filter', timestamp: at },
      { event: 'delivered', message_id: 'not-a-uuid', timestamp: at },
    ]);
    expect(res.status).toBe(204);

    const delivered = await row(byId.id);
    expect(delivered).toMatchObject({ status: 'delivered', errorCode: null });
    expect(delivered.statusHistory).toEqual([
      { status: 'delivered', at: new Date((at + 2) * 1000).toISOString(), errorCode: null },
    ]);
    expect(await row(bySgId.id)).toMatchObject({
      status: 'undelivered',
      errorCode: 'blocked',
      errorMessage: match.stringMatching(/^The client's mail server blocked the email .*554 5\.7\.1 blocked by policy/),
    });
    const late = await row(deferredThenDelivered.id);
    expect(late).toMatchObject({ status: 'delivered', errorCode: null, errorMessage: null });
    expect(late.statusHistory.map((h) => [h.status, h.errorCode])).toEqual([
      ['deferred', 'deferred'],
      ['delivered', null],
    ]);

    // The same batch again (SendGrid retries a batch it got no 2xx for) changes nothing.
    const before = await Promise.all([byId, bySgId, deferredThenDelivered].map((m) => row(m.id)));
    const again = await signer.post(eventsUrl(), [
      { event: 'delivered', message_id: byId.id, timestamp: at + 2 },
      { event: 'spamreport', message_id: bySgId.id, timestamp: at + 5 },
    ]);
    expect(again.status).toBe(204);
    expect(await Promise.all([byId, bySgId, deferredThenDelivered].map((m) => row(m.id)))).toEqual(before);
  });

  test('a spam report is recorded after delivery and keeps it delivered', async () => {
    const email = await sentEmail();
    const at = timestamp();
    await signer.post(eventsUrl(), [{ event: 'delivered', message_id: email.id, timestamp: at }]);
    await signer.post(eventsUrl(), [{ event: 'spamreport', message_id: email.id, timestamp: at + 10 }]);
    expect(await row(email.id)).toMatchObject({
      status: 'spam_reported',
      errorCode: 'spamreport',
      statusHistory: [match.any(Object), { status: 'spam_reported', at: match.any(String), errorCode: 'spamreport' }],
    });
  });

  test('a PEM key works as well', async () => {
    const email = await sentEmail();
    const pemApp = await startApp({ sendgridWebhookPublicKey: signer.publicKeyPem });
    try {
      const res = await signer.post(`${pemApp.baseUrl}/webhooks/sendgrid/events`, [
        { event: 'dropped', reason: 'Unsubscribed Address', message_id: email.id, timestamp: timestamp() },
      ]);
      expect(res.status).toBe(204);
    } finally {
      await pemApp.stop();
    }
    expect(await row(email.id)).toMatchObject({
      status: 'failed',
      errorCode: 'dropped',
      errorMessage: 'SendGrid did not send the email: the client unsubscribed from these emails.',
    });
  });

  test('a signed body that is not an event batch gets 400 problem+json', async () => {
    for (const rawBody of ['', '{"event": "delivered"', '{"event": "delivered"}', '"hello"', '[1, "two"]']) {
      const res = await signer.post(eventsUrl(), { rawBody });
      expect({ rawBody, status: res.status, contentType: res.contentType }).toEqual({
        rawBody,
        status: 400,
        contentType: match.stringMatching(/^application\/problem\+json/),
      });
    }
  });
});

/** The deliveryReport signals a workflow has received, from its history in Temporal. */
async function deliveryReports(workflowId: string): Promise<unknown[]> {
  const history = await system().temporal.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? [])
    .map((e) => e.workflowExecutionSignaledEventAttributes)
    .filter((a) => a?.signalName === 'deliveryReport')
    .map((a) => {
      const payload = a!.input!.payloads![0];
      return JSON.parse(Buffer.from(payload.data!).toString('utf8')) as unknown;
    });
}

/** An appointment whose reminders are days ahead, to own a reminder message in these tests. */
async function book(): Promise<{ appointmentId: string; workflowId: string }> {
  seq += 1;
  const res = await system().api('POST', '/v1/appointments', {
    appointmentId: `DS-${seq}`,
    startsAt: inFuture(5 * DAY),
    client: { name: 'Anna Neri', phone: `+3934744${String(seq).padStart(5, '0')}`, smsConsent: true },
    reminders: [{ before: 'P1D', channel: 'sms' }],
  });
  expect(res.status).toBe(201);
  // A create does not wait for the worker, and a signal that arrives while the workflow's first
  // task runs reaches its history only when the task completes: these tests read histories.
  await system().temporal.workflow.getHandle(res.body.workflowId).query(stateQuery);
  const appointment = await system().prisma.appointment.findFirstOrThrow({
    where: { externalId: res.body.appointmentId },
  });
  return { appointmentId: appointment.id, workflowId: res.body.workflowId };
}

describe('the workflow learns the outcome', () => {
  test('a terminal report for a reminder reaches its workflow once; earlier and later ones do not', async () => {
    const { appointmentId, workflowId } = await book();
    const { id, sid } = await sentSms({ appointmentId, reminderId: 'r1' });
    expect((await system().twilio.reportStatus(sid, 'sent')).status).toBe(204);
    expect((await system().twilio.reportStatus(sid, 'undelivered', '30005')).status).toBe(204);
    expect((await system().twilio.reportStatus(sid, 'undelivered', '30005')).status).toBe(204);
    expect((await system().twilio.reportStatus(sid, 'delivered')).status).toBe(204);

    const message = await eventually(
      async () => {
        const current = await row(id);
        return current.signalTargets.length === 0 && current.effectsDueAt === null && current;
      },
      15_000,
      'signal targets cleared',
    );
    expect(await deliveryReports(workflowId)).toEqual([
      {
        messageId: id,
        outcome: 'failed',
        errorCode: '30005',
        explanation: "The client's phone number is unknown to the carrier or no longer in service.",
        at: message.statusHistory[1].at,
      },
    ]);
  });

  test('a message that is no reminder tells no workflow', async () => {
    const { appointmentId, workflowId } = await book();
    const { id, sid } = await sentSms();
    await system().prisma.message.update({ where: { id }, data: { appointmentId } });
    expect((await system().twilio.reportStatus(sid, 'delivered')).status).toBe(204);
    expect(await row(id)).toMatchObject({ status: 'delivered', signalTargets: [] });
    expect(await deliveryReports(workflowId)).toEqual([]);
  });
});

/** A Temporal frontend that accepts connections and never answers, and a client pointed at it. */
async function pausedTemporal() {
  const port = await freePort();
  const sockets: Socket[] = [];
  const blackHole = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => blackHole.listen(port, '127.0.0.1', resolve));
  const connection = Connection.lazy({ address: `127.0.0.1:${port}` });
  return {
    temporal: new Client({ connection, namespace: 'default' }),
    async stop() {
      await connection.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => blackHole.close(resolve));
    },
  };
}

test('with Temporal unreachable the report is answered at once and the outbox delivers it later', async () => {
  const down = await pausedTemporal();
  const signer = createSendGridEventSigner();
  const app = await startApp({ temporal: down.temporal, sendgridWebhookPublicKey: signer.publicKey });
  try {
    const { appointmentId, workflowId } = await book();
    const email = await sentEmail();
    await system().prisma.message.update({
      where: { id: email.id },
      data: { appointmentId, reminderId: 'r1', purpose: 'reminder' },
    });
    const at = Math.floor(Date.now() / 1000);
    const started = Date.now();
    const res = await signer.post(`${app.baseUrl}/webhooks/sendgrid/events`, [
      { event: 'bounce', type: 'bounce', reason: '550 no such user', message_id: email.id, timestamp: at },
    ]);
    expect({ status: res.status, fast: Date.now() - started < 5_000 }).toEqual({ status: 204, fast: true });
    const stored = await row(email.id);
    expect(stored).toMatchObject({ status: 'undelivered', signalTargets: [workflowId] });
    expect(stored.effectsDueAt).not.toBeNull();
    expect(await deliveryReports(workflowId)).toEqual([]);

    // A worker's outbox round once Temporal is back.
    await system().prisma.message.update({ where: { id: email.id }, data: { effectsDueAt: new Date() } });
    expect(await drainReplyOutbox({ prisma: system().prisma, temporal: system().temporal, log })).toMatchObject({
      stillPending: 0,
    });
    expect(await row(email.id)).toMatchObject({ signalTargets: [], effectsDueAt: null });
    expect(await deliveryReports(workflowId)).toEqual([
      {
        messageId: email.id,
        outcome: 'failed',
        errorCode: 'bounce',
        explanation: match.stringContaining('550 no such user'),
        at: new Date(at * 1000).toISOString(),
      },
    ]);
  } finally {
    await app.stop();
    await down.stop();
  }
}, 60_000);

test('the outbox every worker drains delivers a report left by a webhook that died', async () => {
  const { appointmentId, workflowId } = await book();
  const { id } = await sentSms({ appointmentId, reminderId: 'r1' });
  // As the webhook's transaction leaves it when its process dies before the signal.
  await system().prisma.message.update({
    where: { id },
    data: {
      status: 'delivered',
      statusHistory: [{ status: 'delivered', at: '2026-11-27T10:00:00.000Z', errorCode: null }],
      signalTargets: [workflowId],
      effectsDueAt: new Date(Date.now() - 1_000),
    },
  });
  await eventually(async () => (await row(id)).signalTargets.length === 0, 15_000, 'the outbox of the worker');
  expect(await deliveryReports(workflowId)).toEqual([
    { messageId: id, outcome: 'delivered', errorCode: null, explanation: null, at: '2026-11-27T10:00:00.000Z' },
  ]);
});

describe("the view follows the provider's report (the reminder sent by the workflow itself)", () => {
  /** An appointment whose one SMS reminder is due now; resolves with it and the text at the fake Twilio. */
  async function remindedNow(phone: string, client: Record<string, unknown> = {}) {
    const res = await system().api('POST', '/v1/appointments', {
      appointmentId: `DSV-${phone.slice(1)}`,
      startsAt: inFuture(3 * 3_600_000),
      client: { name: 'Anna Neri', phone, smsConsent: true, ...client },
      reminders: [{ before: 'P1D', channel: 'sms' }],
    });
    expect(res.status).toBe(201);
    const [sms] = await system().twilio.waitForMessages((m) => m.to === phone, 1, 30_000);
    const id = res.body.appointmentId;
    await eventually(async () => (await view(id)).reminders[0].state === 'sent', 15_000, 'the reminder sent');
    return { id, workflowId: res.body.workflowId, sid: sms.sid };
  }
  const view = async (id: string) => (await system().api('GET', `/v1/appointments/${id}`)).body;

  test('sent, then delivered (a late `sent` changes nothing)', async () => {
    const { id, sid } = await remindedNow('+393474550001');
    expect((await system().twilio.reportStatus(sid, 'delivered')).status).toBe(204);
    expect((await system().twilio.reportStatus(sid, 'sent')).status).toBe(204);
    await eventually(async () => (await view(id)).reminders[0].state === 'delivered', 15_000, 'delivered');
    const message = await system().prisma.message.findUniqueOrThrow({ where: { providerId: sid } });
    expect(message.status).toBe('delivered');
    expect((message.statusHistory as HistoryEntry[]).map((h) => h.status)).toEqual([
      ...(message.statusHistory as HistoryEntry[]).slice(0, -1).map((h) => h.status),
      'delivered',
    ]);
    expect((message.statusHistory as HistoryEntry[]).filter((h) => h.status === 'delivered')).toHaveLength(1);
  });

  test('undelivered (30003) with no email to fall back to: the reminder and the appointment read failed', async () => {
    const { id, workflowId, sid } = await remindedNow('+393474550002');
    expect((await system().twilio.reportStatus(sid, 'undelivered', '30003')).status).toBe(204);
    await eventually(async () => (await view(id)).reminders[0].state === 'failed', 15_000, 'failed');
    expect((await view(id)).status).toBe('failed');
    expect(await deliveryReports(workflowId)).toEqual([
      {
        messageId: (await view(id)).reminders[0].messageId,
        outcome: 'failed',
        errorCode: '30003',
        explanation: "The client's phone was unreachable (switched off or out of coverage).",
        at: match.any(String),
      },
    ]);
  });
});
