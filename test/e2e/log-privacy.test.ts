import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { freePort } from '../../devenv/ports';
import { workflowIdFor } from '../../domain/appointment';
import { signTwilioRequest } from '../support/fake-twilio';
import { match } from '../support/matchers';
import { startApiProcess, type ApiProcess } from '../support/api-process';
import { eventually, inFuture, TEST_LINK_SIGNING_SECRET, useTestSystem } from '../support/system';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';

// CONTRACT.md "Operations": phone numbers, email addresses, names and message bodies never
// appear in full in any log line. The API and the worker run as production runs them (api/server.ts
// and worker.ts, each a process of its own) at LOG_LEVEL=trace, so every line any of them can
// write is captured: routes, services, housekeeping, the reply outbox, the email simulator (the
// worker has no SendGrid key) and the Temporal SDK's own workflow and activity lines. One client
// goes through a whole lifecycle; then the capture is searched for anything of theirs.

const system = useTestSystem({ worker: false });

const PHONE = '+393471239876';
const NATIONAL_PHONE = '3471239876';
const EMAIL = 'ottavia.zanardelli@example.org';
const NAME = 'Ottavia Zanardelli';
const FREE_TEXT = 'Arrivo con dieci minuti di ritardo, Ottavia';
const CUSTOM_TEXT = 'Gentile cliente, portate le lastre del ginocchio sinistro';

let api: ApiProcess | undefined;
let worker: WorkerProcess | undefined;
afterAll(() => {
  api?.kill();
  worker?.kill();
});

interface Reply {
  status: number;
  requestId: string | null;
  body: unknown;
}

test('a whole lifecycle at LOG_LEVEL=trace logs no phone number, email address, name or message body in full', async () => {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  worker = startWorkerProcess(system(), {
    logLevel: 'trace',
    captureStderr: true,
    env: { PUBLIC_BASE_URL: baseUrl, LINK_SIGNING_SECRET: TEST_LINK_SIGNING_SECRET },
  });
  api = await startApiProcess(system(), { publicBaseUrl: baseUrl, port, logLevel: 'trace' });
  const requestIds: string[] = [];
  const call = async (method: string, route: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${baseUrl}${route}`, {
      method,
      headers: {
        authorization: `Bearer ${system().apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const reply: Reply = { status: response.status, requestId: response.headers.get('x-request-id'), body: text };
    try {
      reply.body = JSON.parse(text);
    } catch {
      // HTML or TwiML
    }
    if (reply.requestId) requestIds.push(reply.requestId);
    return reply;
  };
  const inbound = async (text: string, to = system().smsFrom) => {
    const url = `${baseUrl}/webhooks/twilio/sms`;
    const form = {
      MessageSid: `SM${randomBytes(16).toString('hex')}`,
      AccountSid: system().twilio.accountSid,
      From: PHONE,
      To: to,
      Body: text,
      NumMedia: '0',
    };
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': signTwilioRequest(system().twilio.authToken, url, form),
      },
      body: new URLSearchParams(form).toString(),
    });
    expect(response.status).toBe(200);
    return response.text();
  };
  const client = { name: NAME, phone: PHONE, email: EMAIL, smsConsent: true, emailConsent: true };
  const stateOf = async (id: string) => (await call('GET', `/v1/appointments/${id}`)).body as AppointmentJson;

  // An SMS reminder, sent and delivered; the caller's own request id is kept.
  const created = await call(
    'POST',
    '/v1/appointments',
    {
      appointmentId: 'PRIV-1',
      startsAt: inFuture(3 * 3600_000),
      timeZone: 'Europe/Rome',
      client,
      reminders: [{ before: 'PT2H59M55S', channel: 'sms' }],
    },
    { 'x-request-id': 'caller-trace-0001' },
  );
  expect(created.status).toBe(201);
  const [reminder] = await system().twilio.waitForMessages((m) => m.to === PHONE, 1, 60_000);
  await eventually(async () => (await stateOf('PRIV-1')).reminders[0]?.state === 'sent', 30_000, 'PRIV-1 sent');
  expect((await system().twilio.reportStatus(reminder.sid, 'delivered')).status).toBe(204);

  // An SMS refused for good, whose provider error quotes the number: it falls back to email.
  system().twilio.failNext((form) => form.To === PHONE, {
    status: 400,
    code: 21211,
    message: `The 'To' number ${PHONE} is not a valid phone number.`,
  });
  await call('POST', '/v1/appointments', {
    appointmentId: 'PRIV-2',
    startsAt: inFuture(3 * 3600_000),
    timeZone: 'Europe/Rome',
    client,
    reminders: [{ before: 'PT2H59M55S', channel: 'sms' }],
  });
  const email = await eventually(
    () => system().prisma.message.findFirst({ where: { channel: 'email', to: EMAIL, status: 'simulated' } }),
    60_000,
    'the fallback email',
  );

  // Replies: a confirmation, free text, HELP; the email's confirm link; a custom message.
  await inbound('C');
  await eventually(async () => (await stateOf('PRIV-1')).status === 'confirmed', 30_000, 'PRIV-1 confirmed');
  await inbound(FREE_TEXT);
  await inbound('HELP');
  const link = /\/confirm\/\S+/.exec(email.body)?.[0];
  expect(link).toBeDefined();
  expect((await call('POST', link!, undefined, { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(
    200,
  );
  const custom = await call('POST', '/v1/messages', { to: PHONE, channel: 'sms', body: CUSTOM_TEXT });
  expect(custom.status).toBe(202);
  await system().twilio.waitForMessages((m) => m.body === CUSTOM_TEXT, 1, 30_000);

  // Reschedule and cancel, the logs staff read (filtered by phone and email), then STOP.
  expect((await call('PATCH', '/v1/appointments/PRIV-2', { startsAt: inFuture(26 * 3600_000) })).status).toBe(200);
  expect((await call('POST', '/v1/appointments/PRIV-2/cancel', { reason: 'client asked' })).status).toBe(200);
  expect((await call('GET', '/v1/appointments/PRIV-1/log')).status).toBe(200);
  expect((await call('GET', `/v1/messages?phone=${encodeURIComponent(PHONE)}`)).status).toBe(200);
  expect((await call('GET', `/v1/messages?email=${encodeURIComponent(EMAIL)}`)).status).toBe(200);
  expect((await call('GET', `/v1/contacts/${encodeURIComponent(PHONE)}`)).status).toBe(200);
  expect((await call('GET', `/v1/no-such-route/${NATIONAL_PHONE}`)).status).toBe(404);
  await inbound('STOP');
  // A route's own line (a webhook for a number no practice sends from) carries the request id.
  await inbound(FREE_TEXT, '+15559871234');
  await eventually(async () => (await stateOf('PRIV-2')).status === 'cancelled', 30_000, 'PRIV-2 cancelled');

  const bodies = (await system().prisma.message.findMany({ select: { body: true, subject: true } }))
    .flatMap((m) => [m.body, m.subject ?? ''])
    // A keyword reply (C, HELP, STOP) is logged as the keyword it is: that says nothing about anyone.
    .filter((text) => text.trim().length > 0 && !/^[A-Z]{1,5}$/.test(text.trim()));
  // Lines reach the pipes a little after the answers: wait for every request and both workflows.
  const workflowIds = ['PRIV-1', 'PRIV-2'].map((id) => workflowIdFor(system().practiceId, id));
  await eventually(
    () =>
      Promise.resolve(
        workflowIds.every((id) => worker!.stdout().includes(`"workflowId":"${id}"`)) &&
          requestIds.every((id) => api!.stdout().includes(`"requestId":"${id}"`)),
      ),
    30_000,
    'the API and the worker to log every request and both workflows',
  ).catch(() => {
    // Searched all the same: the assertions below name what is missing.
  });
  const capture = `${api.stdout()}\n${worker.stdout()}`;
  // LOG_PRIVACY_CAPTURE=<file> keeps the capture, to read what a failure found.
  if (process.env.LOG_PRIVACY_CAPTURE) writeFileSync(process.env.LOG_PRIVACY_CAPTURE, capture);

  // Nothing of the client's, in any form the run used, nor inside anything base64 (Temporal payloads).
  const decoded = (capture.match(/[A-Za-z0-9+/]{16,}={0,2}/g) ?? [])
    .map((token) => Buffer.from(token, 'base64').toString('utf8'))
    .join('\n');
  const searched = `${capture}\n${decoded}`;
  for (const secret of [PHONE, NATIONAL_PHONE, EMAIL, NAME, 'Ottavia', 'zanardelli', FREE_TEXT, CUSTOM_TEXT]) {
    expect({ secret, found: searched.toLowerCase().includes(secret.toLowerCase()) }).toEqual({ secret, found: false });
  }
  for (const body of bodies) expect({ body, found: searched.includes(body) }).toEqual({ body, found: false });

  // Not vacuous: the capture holds the run, masked, with its request and workflow ids.
  const lines = capture
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(lines.length).toBeGreaterThan(100);
  expect(capture).toContain('o•••@e•••.org');
  expect(capture).toContain('GET unmatched /v1/no-such-route/34•••••876 404');
  expect(capture).toContain('SIMULATED, NOT DELIVERED: email to o•••@e•••.org');
  const accessLines = lines.filter((line) => typeof line.route === 'string' && typeof line.status === 'number');
  expect(accessLines.map((line) => line.route)).toEqual(
    expect.arrayContaining([
      '/v1/appointments',
      '/v1/appointments/:appointmentId',
      '/webhooks/twilio/sms',
      '/webhooks/twilio/status',
      '/confirm/:token',
      '/v1/contacts/:phone',
      '/v1/messages',
    ]),
  );
  for (const line of accessLines)
    expect(line).toMatchObject({ requestId: match.any(String), method: match.any(String) });
  const loggedRequestIds = new Set(accessLines.map((line) => line.requestId));
  expect(requestIds.filter((id) => !loggedRequestIds.has(id))).toEqual([]);
  expect(created.requestId).toBe('caller-trace-0001');
  expect(loggedRequestIds).toContain('caller-trace-0001');
  const routeLine = lines.find((line) => line.msg === 'inbound SMS for a number no practice sends from; ignored');
  expect(routeLine).toMatchObject({ requestId: match.any(String), to: '+15••••••234' });
  // The SDK's activity lines (started, completed, failed, heartbeats) and the activities' own.
  const activityLines = lines.filter((line) => line.activityType !== undefined || line.sdkComponent === 'activity');
  expect(activityLines.length).toBeGreaterThan(20);
  for (const line of activityLines) expect(line).toMatchObject({ workflowId: match.any(String) });
  for (const id of workflowIds) expect(activityLines.some((line) => line.workflowId === id)).toBe(true);
}, 240_000);

interface AppointmentJson {
  status: string;
  reminders: { state: string }[];
}
