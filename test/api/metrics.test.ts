import type { Server } from 'node:http';
import { createApp } from '../../api/app';
import { createLogger } from '../../lib/logger';
import { parsePrometheusText, sampleValue, type Exposition } from '../support/prometheus-text';
import { createSendGridEventSigner } from '../support/sendgrid-events';
import { eventually, inFuture, useTestSystem } from '../support/system';

// GET /metrics of the real app, its worker in the same process as `npm run dev` runs them:
// each fact counted once, where it happens, with labels from closed sets only.

const system = useTestSystem();
const HOUR = 3_600_000;

async function scrape(): Promise<{ text: string; exposition: Exposition; contentType: string | null }> {
  const response = await fetch(`${system().baseUrl}/metrics`);
  expect(response.status).toBe(200);
  const text = await response.text();
  return { text, exposition: parsePrometheusText(text), contentType: response.headers.get('content-type') };
}

async function metric(name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  return sampleValue((await scrape()).exposition, name, labels);
}

/** Waits until the counter shows `value` (the worker counts after the API answered). */
function counted(name: string, labels: Record<string, string>, value: number): Promise<true> {
  return eventually(async () => (await metric(name, labels)) === value || null, 20_000, `${name} = ${value}`);
}

test('a reminder sent, delivered and confirmed by a signed "C" is counted once each, with its labels', async () => {
  const phone = '+393471239001';
  const created = await system().api('POST', '/v1/appointments', {
    appointmentId: 'MET-1',
    startsAt: inFuture(HOUR),
    timeZone: 'Europe/Rome',
    client: { name: 'Maria Rossi', phone, smsConsent: true },
    // Due three seconds from now.
    reminders: [{ before: 'PT59M57S', channel: 'sms' }],
  });
  expect(created.status).toBe(201);
  const [sms] = await system().twilio.waitForMessages((m) => m.to === phone, 1, 30_000);
  await counted('reminders_messages_sent_total', { channel: 'sms', purpose: 'reminder' }, 1);

  // Twilio reports the delivery twice (it does), and once more out of order.
  expect((await system().twilio.reportStatus(sms.sid, 'sent')).status).toBe(204);
  expect((await system().twilio.reportStatus(sms.sid, 'delivered')).status).toBe(204);
  expect((await system().twilio.reportStatus(sms.sid, 'delivered')).status).toBe(204);
  expect((await system().inboundSms({ From: phone, Body: 'C' })).status).toBe(200);
  await eventually(async () => (await system().api('GET', '/v1/appointments/MET-1')).body.status === 'confirmed');
  await counted('reminders_confirmations_total', { via: 'sms' }, 1);

  const { text, exposition, contentType } = await scrape();
  expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  const value = (name: string, labels: Record<string, string> = {}) => sampleValue(exposition, name, labels);
  expect(value('reminders_planned_total', { channel: 'sms', recipient: 'client', trigger: 'schedule' })).toBe(1);
  expect(value('reminders_messages_sent_total', { channel: 'sms', purpose: 'reminder' })).toBe(1);
  expect(value('reminders_messages_delivered_total', { channel: 'sms', purpose: 'reminder' })).toBe(1);
  expect(value('reminders_confirmations_total', { via: 'sms' })).toBe(1);
  // The reminder was done once confirmed: nothing skipped, nothing failed.
  expect(exposition.samples.filter((s) => s.name === 'reminders_skipped_total')).toEqual([]);
  expect(exposition.samples.filter((s) => s.name === 'reminders_messages_failed_total')).toEqual([]);

  // HTTP by route template and status, with latency.
  const post = { method: 'POST', route: '/v1/appointments', status: '201' };
  expect(value('reminders_http_requests_total', post)).toBe(1);
  expect(value('reminders_http_request_duration_seconds_count', post)).toBe(1);
  expect(value('reminders_http_request_duration_seconds_bucket', { ...post, le: '+Inf' })).toBe(1);
  expect(
    value('reminders_http_requests_total', { method: 'POST', route: '/webhooks/twilio/status', status: '204' }),
  ).toBe(3);
  expect(value('reminders_http_requests_total', { method: 'POST', route: '/webhooks/twilio/sms', status: '200' })).toBe(
    1,
  );
  expect(
    value('reminders_http_requests_total', {
      method: 'GET',
      route: '/v1/appointments/:appointmentId',
      status: '200',
    }),
  ).toBeGreaterThanOrEqual(1);

  // No id, number, provider id or name in any label.
  for (const secret of [phone, phone.slice(1), 'MET-1', sms.sid, 'Maria', 'clinic']) expect(text).not.toContain(secret);
});

test('a bad webhook signature is counted per provider, and a request no route takes gets one fixed label', async () => {
  const before = (await metric('reminders_webhook_signature_failures_total', { provider: 'twilio' })) ?? 0;
  const forged = await system().inboundSms({ From: '+393471239002', Body: 'C' }, 'not-the-auth-token');
  expect(forged.status).toBe(403);
  expect(await metric('reminders_webhook_signature_failures_total', { provider: 'twilio' })).toBe(before + 1);

  // SendGrid's verifier needs a key: an app of the same system with one.
  const signer = createSendGridEventSigner();
  const app = createApp({
    config: { ...system().config, sendgridWebhookPublicKey: signer.publicKey },
    prisma: system().prisma,
    temporal: system().temporal,
    log: createLogger('silent'),
    metrics: system().metrics,
    background: system().background,
  });
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  try {
    const { port } = server.address() as { port: number };
    const url = `http://127.0.0.1:${port}/webhooks/sendgrid/events`;
    const otherKey = createSendGridEventSigner();
    const refused = await signer.post(url, [{ event: 'delivered' }], otherKey.sign('[{"event":"delivered"}]'));
    expect(refused.status).toBe(403);
    expect((await signer.post(url, [])).status).toBe(204);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
  expect(await metric('reminders_webhook_signature_failures_total', { provider: 'sendgrid' })).toBe(1);

  expect((await system().api('GET', '/no/such/page/4242')).status).toBe(404);
  expect((await system().api('GET', '/v1/appointments/MET-X', undefined, { apiKey: null })).status).toBe(401);
  const { text, exposition } = await scrape();
  expect(
    sampleValue(exposition, 'reminders_http_requests_total', { method: 'GET', route: '(unmatched)', status: '404' }),
  ).toBe(1);
  expect(
    sampleValue(exposition, 'reminders_http_requests_total', { method: 'GET', route: '(unmatched)', status: '401' }),
  ).toBe(1);
  expect(text).not.toContain('4242');
  expect(text).not.toContain('MET-X');
});

test('a STOP opts a number out once and skips its pending reminder; START opts it back in', async () => {
  const phone = '+393471239003';
  const created = await system().api('POST', '/v1/appointments', {
    appointmentId: 'MET-2',
    startsAt: inFuture(72 * HOUR),
    timeZone: 'Europe/Rome',
    client: { name: 'Luca Bruno', phone, smsConsent: true },
    reminders: [{ before: 'P1D', channel: 'sms' }],
  });
  expect(created.status).toBe(201);
  expect((await system().inboundSms({ From: phone, Body: 'STOP' })).status).toBe(200);
  expect((await system().inboundSms({ From: phone, Body: 'STOP' })).status).toBe(200);
  await counted('reminders_skipped_total', { channel: 'sms', recipient: 'client', reason: 'opted_out' }, 1);
  expect(await metric('reminders_opt_outs_total')).toBe(1);
  expect(await metric('reminders_opt_ins_total')).toBe(0);

  expect((await system().inboundSms({ From: phone, Body: 'START' })).status).toBe(200);
  expect(await metric('reminders_opt_ins_total')).toBe(1);
  expect(await metric('reminders_opt_outs_total')).toBe(1);
});

test('a send whose answer was lost is counted once when its retry finds it; a refused send once as failed', async () => {
  const lost = '+393471239004';
  const refused = '+393471239005';
  // Twilio queues the first and answers 500; the retry finds it in Twilio's list and adopts it.
  system().twilio.failNext((form) => form.To === lost, { status: 500, accepted: true });
  system().twilio.failNext((form) => form.To === refused, { status: 400, code: 21211, message: 'Invalid To' });
  for (const [id, phone] of [
    ['MET-3', lost],
    ['MET-4', refused],
  ]) {
    const created = await system().api('POST', '/v1/appointments', {
      appointmentId: id,
      startsAt: inFuture(HOUR),
      timeZone: 'Europe/Rome',
      client: { name: 'Anna Verdi', phone, smsConsent: true },
      reminders: [{ before: 'PT59M57S', channel: 'sms' }],
    });
    expect(created.status).toBe(201);
  }
  await eventually(
    async () => (await system().api('GET', '/v1/appointments/MET-3')).body.reminders[0].state === 'sent',
    40_000,
    'the retried reminder to be sent',
  );
  await eventually(
    async () => (await system().api('GET', '/v1/appointments/MET-4')).body.reminders[0].state === 'failed',
    20_000,
    'the refused reminder to fail',
  );
  expect(system().twilio.messages.filter((m) => m.to === lost)).toHaveLength(1);
  // One from the first test, one here.
  expect(await metric('reminders_messages_sent_total', { channel: 'sms', purpose: 'reminder' })).toBe(2);
  expect(
    await metric('reminders_messages_failed_total', { channel: 'sms', purpose: 'reminder', reason: 'invalid_number' }),
  ).toBe(1);
});
