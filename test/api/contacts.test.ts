import type { ContactJson } from '../../services/contacts';
import { match } from '../support/matchers';
import { eventually, inFuture, useTestSystem, type Problem } from '../support/system';

// GET /v1/contacts/:phone over HTTP: opt-outs and replies arrive through the signed webhook,
// contacts through appointment creates, an outbound-only number through a real send.

const system = useTestSystem();

const DAY = 24 * 3_600_000;
const CLINIC_NUMBER = '+15005550006';
const OTHER_NUMBER = '+15005550007';
const SERVICE_SID = `MG${'ab12'.repeat(8)}`;
const POOL_NUMBER = '+15005550099';
const ANNA = '+393471400001';
const ONLY_OTHER = '+393471400002';
const SERVICE_CLIENT = '+393471400003';
const PRACTITIONER = '+393471400004';

let otherKey = '';
let serviceKey = '';

const contact = (phone: string, apiKey?: string) =>
  system().api<ContactJson>('GET', `/v1/contacts/${encodeURIComponent(phone)}`, undefined, { apiKey });

async function book(appointmentId: string, client: Record<string, unknown>, apiKey?: string) {
  const res = await system().api(
    'POST',
    '/v1/appointments',
    { appointmentId, startsAt: inFuture(3 * DAY), timeZone: 'Europe/Rome', client },
    { apiKey },
  );
  expect(res.status).toBe(201);
}

/** The inbound message the webhook stored for this text, with the time it took effect. */
async function received(from: string, body: string) {
  return system().prisma.message.findFirstOrThrow({
    where: { from, body, direction: 'inbound' },
    orderBy: { createdAt: 'desc' },
  });
}

beforeAll(async () => {
  otherKey = (await system().addPractice('other', OTHER_NUMBER)).apiKey;
  serviceKey = (await system().addPractice('svc', SERVICE_SID)).apiKey;
});

test('a client who opted out, came back and left again: consents, state, history and the last reply', async () => {
  await book('CT-1', {
    name: 'Anna Neri',
    phone: ANNA,
    email: 'anna@example.com',
    smsConsent: true,
    emailConsent: true,
  });
  const before = await contact(ANNA);
  expect(before.status).toBe(200);
  expect(before.body).toEqual({
    phone: ANNA,
    name: 'Anna Neri',
    email: 'anna@example.com',
    smsConsent: true,
    emailConsent: true,
    optedOut: false,
    optOut: null,
    optOutHistory: [],
    lastInbound: null,
    textStartTo: CLINIC_NUMBER,
  });

  expect((await system().inboundSms({ From: ANNA, Body: 'STOP' })).status).toBe(200);
  expect((await system().inboundSms({ From: ANNA, Body: 'Start' })).status).toBe(200);
  const between = await contact(ANNA);
  expect([between.body.optedOut, between.body.optOut]).toEqual([false, null]);

  expect((await system().inboundSms({ From: ANNA, Body: 'unsubscribe.' })).status).toBe(200);
  const [stop, start, unsubscribe] = await Promise.all([
    received(ANNA, 'STOP'),
    received(ANNA, 'Start'),
    received(ANNA, 'unsubscribe.'),
  ]);
  const res = await contact(ANNA);
  expect(res.status).toBe(200);
  expect(res.body).toEqual({
    phone: ANNA,
    name: 'Anna Neri',
    email: 'anna@example.com',
    smsConsent: true,
    emailConsent: true,
    optedOut: true,
    optOut: { since: unsubscribe.createdAt.toISOString(), keyword: 'UNSUBSCRIBE' },
    optOutHistory: [
      {
        optedOutAt: stop.createdAt.toISOString(),
        keyword: 'STOP',
        optedInAt: start.createdAt.toISOString(),
        optInKeyword: 'START',
      },
      { optedOutAt: unsubscribe.createdAt.toISOString(), keyword: 'UNSUBSCRIBE', optedInAt: null, optInKeyword: null },
    ],
    lastInbound: {
      id: unsubscribe.id,
      body: 'unsubscribe.',
      at: unsubscribe.createdAt.toISOString(),
      keyword: 'UNSUBSCRIBE',
    },
    textStartTo: CLINIC_NUMBER,
  });
});

test('the number may be written with spaces; an invalid one is a 422 naming it', async () => {
  const spaced = await system().api<ContactJson>('GET', `/v1/contacts/${encodeURIComponent('+39 347 140 0001')}`);
  expect([spaced.status, spaced.body.phone]).toEqual([200, ANNA]);
  for (const bad of ['12345', 'not-a-phone', '+39123', '393471400001']) {
    const res = await system().api<Problem>('GET', `/v1/contacts/${encodeURIComponent(bad)}`);
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(res.body.errors).toEqual([{ path: 'phone', message: match.stringMatching(/E\.164/) }]);
  }
  const unknownParameter = await system().api<Problem>('GET', `/v1/contacts/${encodeURIComponent(ANNA)}?verbose=1`);
  expect(unknownParameter.status).toBe(400);
  expect(unknownParameter.body.errors).toEqual([{ path: 'verbose', message: 'is not a known parameter' }]);
});

test("an unknown number is a 404, and so is another practice's contact", async () => {
  const unknown = await system().api<Problem>('GET', `/v1/contacts/${encodeURIComponent('+393471400999')}`);
  expect(unknown.status).toBe(404);
  expect(unknown.headers.get('content-type')).toMatch(/application\/problem\+json/);

  await book('CT-OTHER', { name: 'Ugo Riva', phone: ONLY_OTHER, smsConsent: true }, otherKey);
  expect((await system().inboundSms({ From: ONLY_OTHER, Body: 'STOP', To: OTHER_NUMBER })).status).toBe(200);
  const theirs = await contact(ONLY_OTHER, otherKey);
  expect(theirs.status).toBe(200);
  expect(theirs.body).toMatchObject({ name: 'Ugo Riva', optedOut: true, textStartTo: OTHER_NUMBER });
  expect((await contact(ONLY_OTHER)).status).toBe(404);

  // The clinic's client is unknown to the other practice, whatever it did with the clinic.
  expect((await contact(ANNA, otherKey)).status).toBe(404);
});

test('through a Messaging Service, START goes to the pool number the client last texted', async () => {
  await book('CT-SVC', { name: 'Sara Bruni', phone: SERVICE_CLIENT, smsConsent: true }, serviceKey);
  const before = await contact(SERVICE_CLIENT, serviceKey);
  expect(before.status).toBe(200);
  // Nothing tells which of the service's numbers the client knows yet.
  expect(before.body.textStartTo).toBeNull();

  const stop = await system().inboundSms({
    From: SERVICE_CLIENT,
    Body: 'STOP',
    To: POOL_NUMBER,
    MessagingServiceSid: SERVICE_SID,
  });
  expect(stop.status).toBe(200);
  const after = await contact(SERVICE_CLIENT, serviceKey);
  expect(after.body).toMatchObject({
    optedOut: true,
    optOut: { keyword: 'STOP' },
    lastInbound: { body: 'STOP', keyword: 'STOP' },
    textStartTo: POOL_NUMBER,
  });
});

test('a number the practice only texted (a practitioner) is known, with no consents or replies', async () => {
  expect((await contact(PRACTITIONER)).status).toBe(404);
  const res = await system().api('POST', '/v1/appointments', {
    appointmentId: 'CT-PRAC',
    startsAt: inFuture(3 * DAY),
    timeZone: 'Europe/Rome',
    client: { name: 'Piero Sala', email: 'piero@example.com' },
    practitioner: { name: 'Dr. Bianchi', phone: PRACTITIONER },
    recipients: 'practitioner',
    reminders: [{ before: 'P4D', channel: 'sms' }],
  });
  expect(res.status).toBe(201);
  await eventually(
    async () => (await system().prisma.message.count({ where: { to: PRACTITIONER, providerId: { not: null } } })) > 0,
    30_000,
    "the practitioner's reminder sent",
  );
  const known = await contact(PRACTITIONER);
  expect(known.status).toBe(200);
  expect(known.body).toEqual({
    phone: PRACTITIONER,
    name: null,
    email: null,
    smsConsent: false,
    emailConsent: false,
    optedOut: false,
    optOut: null,
    optOutHistory: [],
    lastInbound: null,
    textStartTo: CLINIC_NUMBER,
  });
});
