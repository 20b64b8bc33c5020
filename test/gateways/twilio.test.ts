/**
 * The real twilio SDK, through createTwilioGateway, against the local fake Twilio.
 */
import twilio from 'twilio';
import { GatewayError, type MessageGateway } from '../../gateways/message-gateway';
import { createSmsSimulator } from '../../gateways/simulator';
import { DEFAULT_TWILIO_MAX_CONCURRENT_REQUESTS } from '../../config';
import { createTwilioGateway, TWILIO_HTTP_TIMEOUT_MS, type TwilioGatewayOptions } from '../../gateways/twilio';
import { signTwilioRequest, startFakeTwilio, type FakeTwilio } from '../support/fake-twilio';
import { match } from '../support/matchers';

const CLIENT = '+393471234567';
const PRACTICE = '+390212345678';
const SERVICE = 'MG0123456789abcdef0123456789abcdef';

let fake: FakeTwilio;
let gateway: MessageGateway;

/** The gateway pointed at `target` with its credentials, and whatever else `options` sets. */
function gatewayOn(target: FakeTwilio, options: Partial<TwilioGatewayOptions> = {}): MessageGateway {
  return createTwilioGateway({
    accountSid: target.accountSid,
    authToken: target.authToken,
    apiBaseUrl: target.baseUrl,
    ...options,
  });
}

beforeAll(async () => {
  fake = await startFakeTwilio();
  gateway = gatewayOn(fake);
});

afterAll(async () => {
  await fake.stop();
});

/** Runs `promise`, expecting it to fail with an GatewayError, and returns that error. */
async function gatewayError(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(GatewayError);
  return error as GatewayError;
}

/** A distinct body per test keeps the shared fake's messages from matching each other. */
function uniqueBody(label: string): string {
  return `${label} ${Math.random().toString(36).slice(2)}`;
}

describe('createTwilioGateway: send', () => {
  it('creates the message with To, From, Body and StatusCallback and returns its sid', async () => {
    const body = uniqueBody('Reminder: appointment tomorrow at 09:30. Reply C to confirm.');
    const sent = await gateway.send({
      to: CLIENT,
      from: PRACTICE,
      body,
      statusCallback: 'https://reminders.example.com/webhooks/twilio/status',
    });

    expect(sent.providerId).toMatch(/^SM[0-9a-f]{32}$/);
    expect(sent.status).toBe('queued');
    const [arrived] = await fake.waitForMessages((m) => m.body === body, 1, 1000);
    expect(arrived).toMatchObject({
      sid: sent.providerId,
      accountSid: fake.accountSid,
      to: CLIENT,
      from: PRACTICE,
      messagingServiceSid: null,
      body,
      statusCallback: 'https://reminders.example.com/webhooks/twilio/status',
    });
  });

  it('sends from a Messaging Service when the sender is an MG… SID', async () => {
    const body = uniqueBody('Via service');
    const sent = await gateway.send({ to: CLIENT, from: SERVICE, body });

    expect(sent.status).toBe('accepted');
    const [arrived] = await fake.waitForMessages((m) => m.body === body, 1, 1000);
    expect(arrived).toMatchObject({ messagingServiceSid: SERVICE, from: null, statusCallback: null });
  });

  it('passes non-ASCII bodies through intact', async () => {
    const body = uniqueBody('Ciao Maria 😀 — già confermato? €');
    await gateway.send({ to: CLIENT, from: PRACTICE, body });
    await fake.waitForMessages((m) => m.body === body, 1, 1000);
  });

  it('reports an invalid To number (21211) as permanent', async () => {
    const error = await gatewayError(gateway.send({ to: '3471234567', from: PRACTICE, body: 'x' }));
    expect(error).toMatchObject({
      code: '21211',
      permanent: true,
      maybeAccepted: false,
      httpStatus: 400,
      explanation: "The client's phone number is not a valid phone number.",
    });
    expect(error.message).toContain("The 'To' number 3471234567 is not a valid phone number");
  });

  it.each([
    [21614, "The client's phone number is not a valid mobile number (it may be a landline)."],
    [21610, "The client replied STOP to the practice's number and has unsubscribed from its text messages."],
  ])('reports Twilio error %i as permanent with its explanation', async (code, explanation) => {
    const body = uniqueBody(`fails with ${code}`);
    fake.failNext((form) => form.Body === body, { status: 400, code, message: `Twilio says ${code}` });

    const error = await gatewayError(gateway.send({ to: CLIENT, from: PRACTICE, body }));
    expect(error).toMatchObject({ code: String(code), permanent: true, explanation, httpStatus: 400 });
    expect(fake.messages.some((m) => m.body === body)).toBe(false);
  });

  it('reports a 500 as transient, and as possibly accepted', async () => {
    const body = uniqueBody('500');
    fake.failNext((form) => form.Body === body, { status: 500 });
    expect(await gatewayError(gateway.send({ to: CLIENT, from: PRACTICE, body }))).toMatchObject({
      code: 'HTTP_500',
      permanent: false,
      maybeAccepted: true,
      httpStatus: 500,
    });
  });

  it('reports a 500 after Twilio queued the message as possibly accepted', async () => {
    const body = uniqueBody('accepted then 500');
    fake.failNext((form) => form.Body === body, { status: 500, code: 20500, accepted: true });
    expect(await gatewayError(gateway.send({ to: CLIENT, from: PRACTICE, body }))).toMatchObject({
      code: '20500',
      permanent: false,
      maybeAccepted: true,
    });
    await fake.waitForMessages((m) => m.body === body, 1, 1000);
  });

  it('reports a 429 as transient, and as not accepted', async () => {
    const body = uniqueBody('429');
    fake.failNext((form) => form.Body === body, { status: 429, code: 20429, message: 'Too Many Requests' });
    expect(await gatewayError(gateway.send({ to: CLIENT, from: PRACTICE, body }))).toMatchObject({
      code: '20429',
      permanent: false,
      maybeAccepted: false,
      httpStatus: 429,
    });
  });

  it('reports a dropped connection as transient, and as possibly accepted', async () => {
    const body = uniqueBody('drop');
    fake.failNext((form) => form.Body === body, { dropConnection: true });
    const error = await gatewayError(gateway.send({ to: CLIENT, from: PRACTICE, body }));
    expect(error).toMatchObject({ code: 'ECONNRESET', permanent: false, maybeAccepted: true });
    expect(error.httpStatus).toBeUndefined();
  });

  it('reports wrong credentials (20003) as permanent', async () => {
    const wrong = gatewayOn(fake, { authToken: 'not-the-token' });
    expect(await gatewayError(wrong.send({ to: CLIENT, from: PRACTICE, body: 'x' }))).toMatchObject({
      code: '20003',
      permanent: true,
      httpStatus: 401,
    });
    expect(
      await gatewayError(wrong.findSent({ to: CLIENT, from: PRACTICE, body: 'x', sentAfter: new Date() })),
    ).toMatchObject({ code: '20003', permanent: true });
  });

  it('reports an unreachable API as transient', async () => {
    const unreachable = gatewayOn(fake, { apiBaseUrl: 'http://127.0.0.1:1' });
    expect(await gatewayError(unreachable.send({ to: CLIENT, from: PRACTICE, body: 'x' }))).toMatchObject({
      code: 'ECONNREFUSED',
      permanent: false,
      maybeAccepted: false,
    });
  });
});

describe('createTwilioGateway: timeouts', () => {
  const TIMEOUT_MS = 400;
  // Room for the event loop of a busy 2-core machine, far below the 30 s the SDK would wait.
  const SLACK_MS = 1_000;

  /** A gateway with a short timeout, and how long its send took to fail. */
  async function timedSend(body: string): Promise<{ error: GatewayError; elapsedMs: number }> {
    const impatient = gatewayOn(fake, { timeoutMs: TIMEOUT_MS });
    expect(impatient.sendTimeoutMs).toBe(TIMEOUT_MS);
    const started = Date.now();
    const error = await gatewayError(impatient.send({ to: CLIENT, from: PRACTICE, body }));
    return { error, elapsedMs: Date.now() - started };
  }

  it('ends a create Twilio accepted and never answered within the timeout, as retryable and possibly accepted', async () => {
    const body = uniqueBody('hang');
    fake.failNext((form) => form.Body === body, { hang: true });

    const { error, elapsedMs } = await timedSend(body);
    expect(error).toMatchObject({ permanent: false, maybeAccepted: true });
    expect(elapsedMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(elapsedMs).toBeLessThan(TIMEOUT_MS + SLACK_MS);
    await fake.waitForMessages((m) => m.body === body, 1, 1000);
  });

  it('ends a create whose answer trickles in within the timeout too', async () => {
    const body = uniqueBody('trickle');
    fake.failNext((form) => form.Body === body, { hang: true, trickle: true });

    const { error, elapsedMs } = await timedSend(body);
    expect(error).toMatchObject({ permanent: false, maybeAccepted: true });
    expect(elapsedMs).toBeLessThan(TIMEOUT_MS + SLACK_MS);
  });

  it('uses TWILIO_HTTP_TIMEOUT_MS unless told otherwise', () => {
    expect(gateway.sendTimeoutMs).toBe(TWILIO_HTTP_TIMEOUT_MS);
  });
});

describe('createTwilioGateway: concurrency', () => {
  let slow: FakeTwilio;

  beforeAll(async () => {
    // Every create answered 100 ms later, like Twilio's round trip: sends overlap.
    slow = await startFakeTwilio({ faults: () => ({ delayMs: 100 }) });
  });

  afterAll(async () => {
    await slow.stop();
  });

  /** Sends `count` texts at one instant through `gateway`; each must be accepted. */
  async function burst(gateway: MessageGateway, count: number, label: string): Promise<void> {
    const sent = await Promise.all(
      Array.from({ length: count }, (_, i) => gateway.send({ to: CLIENT, from: PRACTICE, body: `${label} ${i}` })),
    );
    expect(new Set(sent.map((m) => m.providerId)).size).toBe(count);
  }

  it('makes at most maxConcurrentRequests calls at once; the others wait for a connection and go out', async () => {
    const bounded = gatewayOn(slow, { maxConcurrentRequests: 4 });
    await burst(bounded, 12, uniqueBody('bounded'));
    expect(slow.mostConcurrentCreates).toBe(4);
  });

  it('untilNoCallWaits resolves at once when no call waits for a connection, and once the queue has gone out', async () => {
    const bounded = gatewayOn(slow, { maxConcurrentRequests: 2 });
    await bounded.untilNoCallWaits();
    const label = uniqueBody('queued');
    const answered: number[] = [];
    const sends = Array.from({ length: 6 }, (_, i) =>
      bounded.send({ to: CLIENT, from: PRACTICE, body: `${label} ${i}` }).then(() => answered.push(i)),
    );
    // Six calls, two connections: four wait. The last two of them take a connection once
    // four calls are answered; from then on nothing waits.
    await bounded.untilNoCallWaits();
    expect(answered).toHaveLength(4);
    await Promise.all(sends);
    await bounded.untilNoCallWaits();
  });

  it('is bounded by DEFAULT_TWILIO_MAX_CONCURRENT_REQUESTS unless told otherwise, over plain http too', async () => {
    const unconfigured = gatewayOn(slow);
    await burst(unconfigured, DEFAULT_TWILIO_MAX_CONCURRENT_REQUESTS + 10, uniqueBody('default'));
    expect(slow.mostConcurrentCreates).toBe(DEFAULT_TWILIO_MAX_CONCURRENT_REQUESTS);
  });
});

describe('createTwilioGateway: findSent', () => {
  it('finds a message sent after sentAfter with the same to, from and body', async () => {
    const sentAfter = new Date();
    const body = uniqueBody('find me');
    const sent = await gateway.send({ to: CLIENT, from: PRACTICE, body });

    expect(await gateway.findSent({ to: CLIENT, from: PRACTICE, body, sentAfter })).toEqual([
      { providerId: sent.providerId, status: 'sent', createdAt: match.any(Date) },
    ]);
  });

  it('finds every message with that text, oldest first, whether Twilio still queues it or not', async () => {
    const sentAfter = new Date(Date.now() - 60_000);
    const body = uniqueBody('twice');
    const first = await gateway.send({ to: CLIENT, from: PRACTICE, body });
    const second = await gateway.send({ to: CLIENT, from: PRACTICE, body });
    const stored = (sid: string) => fake.messages.find((m) => m.sid === sid)!;
    stored(first.providerId).receivedAt = new Date(Date.now() - 5_000);
    stored(second.providerId).dateSent = null;

    const found = await gateway.findSent({ to: CLIENT, from: PRACTICE, body, sentAfter });
    expect(found.map((m) => [m.providerId, m.status])).toEqual([
      [first.providerId, 'sent'],
      [second.providerId, 'queued'],
    ]);
    expect(found[0].createdAt.getTime()).toBeLessThan(found[1].createdAt.getTime());
  });

  it('ignores a message with another body', async () => {
    const sentAfter = new Date();
    const body = uniqueBody('original');
    await gateway.send({ to: CLIENT, from: PRACTICE, body });

    expect(await gateway.findSent({ to: CLIENT, from: PRACTICE, body: `${body} (edited)`, sentAfter })).toEqual([]);
    expect(await gateway.findSent({ to: '+393479999999', from: PRACTICE, body, sentAfter })).toEqual([]);
    expect(await gateway.findSent({ to: CLIENT, from: '+390299999999', body, sentAfter })).toEqual([]);
  });

  it('ignores a message created before sentAfter', async () => {
    const body = uniqueBody('old');
    const sent = await gateway.send({ to: CLIENT, from: PRACTICE, body });
    const stored = fake.messages.find((m) => m.sid === sent.providerId)!;
    const anHourAgo = new Date(Date.now() - 3_600_000);
    stored.receivedAt = anHourAgo;
    stored.dateSent = anHourAgo;

    expect(
      await gateway.findSent({ to: CLIENT, from: PRACTICE, body, sentAfter: new Date(Date.now() - 60_000) }),
    ).toEqual([]);
  });

  it('finds a message Twilio still holds in its queue (no date_sent yet)', async () => {
    const sentAfter = new Date();
    const body = uniqueBody('queued');
    const sent = await gateway.send({ to: CLIENT, from: PRACTICE, body });
    fake.messages.find((m) => m.sid === sent.providerId)!.dateSent = null;

    expect(await gateway.findSent({ to: CLIENT, from: PRACTICE, body, sentAfter })).toMatchObject([
      { providerId: sent.providerId, status: 'queued' },
    ]);
  });

  it('finds a message sent through a Messaging Service by its SID', async () => {
    const sentAfter = new Date();
    const body = uniqueBody('service');
    const sent = await gateway.send({ to: CLIENT, from: SERVICE, body });

    expect(await gateway.findSent({ to: CLIENT, from: SERVICE, body, sentAfter })).toMatchObject([
      { providerId: sent.providerId },
    ]);
    expect(await gateway.findSent({ to: CLIENT, from: PRACTICE, body, sentAfter })).toEqual([]);
  });

  it('finds a message Twilio accepted although its answer never arrived', async () => {
    const impatient = gatewayOn(fake, { timeoutMs: 300 });
    const sentAfter = new Date();
    const body = uniqueBody('answer lost');
    fake.failNext((form) => form.Body === body, { hang: true });

    const error = await gatewayError(impatient.send({ to: CLIENT, from: PRACTICE, body }));
    expect(error).toMatchObject({ permanent: false, maybeAccepted: true });
    const [accepted] = await fake.waitForMessages((m) => m.body === body, 1, 1000);
    expect(await impatient.findSent({ to: CLIENT, from: PRACTICE, body, sentAfter })).toMatchObject([
      { providerId: accepted.sid, status: 'sent' },
    ]);
  });
});

describe('fake Twilio', () => {
  it('explains what arrived when expected messages do not', async () => {
    await expect(fake.waitForMessages((m) => m.body === 'never sent', 1, 50)).rejects.toThrow(
      /expected 1 matching message\(s\) within 50 ms, but 0 matched\. Received \d+:\n {2}SM/,
    );
  });

  it('signs webhooks exactly as twilio.validateRequest checks them', () => {
    const url = 'https://reminders.example.com/webhooks/twilio/sms';
    const params = { From: CLIENT, To: PRACTICE, Body: 'C', MessageSid: 'SM123', NumMedia: '0' };
    const signature = signTwilioRequest(fake.authToken, url, params);

    expect(twilio.validateRequest(fake.authToken, signature, url, params)).toBe(true);
    expect(twilio.validateRequest(fake.authToken, signature, url, { ...params, Body: 'STOP' })).toBe(false);
    expect(twilio.validateRequest('another-token', signature, url, params)).toBe(false);
  });
});

describe('createSmsSimulator', () => {
  it('logs each message as not delivered, with its numbers masked and its text as a length, and remembers it for findSent', async () => {
    const lines: string[] = [];
    const simulator = createSmsSimulator((line) => lines.push(line));
    const sentAfter = new Date();

    const sent = await simulator.send({ to: CLIENT, from: PRACTICE, body: 'Hello "Maria"' });

    expect(sent).toEqual({ providerId: match.stringMatching(/^SIM[0-9a-f]{32}$/), status: 'simulated' });
    expect(lines).toEqual([
      `SIMULATED, NOT DELIVERED: to +39•••••••567 from +39•••••••678 body [13 chars] (id ${sent.providerId})`,
    ]);
    expect(await simulator.findSent({ to: CLIENT, from: PRACTICE, body: 'Hello "Maria"', sentAfter })).toEqual([
      { ...sent, createdAt: match.any(Date) },
    ]);
    expect(await simulator.findSent({ to: CLIENT, from: PRACTICE, body: 'Other', sentAfter })).toEqual([]);
    expect(
      await simulator.findSent({
        to: CLIENT,
        from: PRACTICE,
        body: 'Hello "Maria"',
        sentAfter: new Date(Date.now() + 1000),
      }),
    ).toEqual([]);
  });
});
