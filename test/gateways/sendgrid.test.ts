/**
 * The real @sendgrid/mail and @sendgrid/client, through createSendGridGateway, against the
 * local fake SendGrid; and the email simulator that stands in when no key is configured.
 */
import { randomUUID } from 'node:crypto';
import { createEmailGateway } from '../../gateways';
import { createEmailSimulator } from '../../gateways/simulator';
import { GatewayError, type MessageGateway, type OutboundMessage } from '../../gateways/message-gateway';
import { createSendGridGateway, SENDGRID_HTTP_TIMEOUT_MS } from '../../gateways/sendgrid';
import { startFakeSendGrid, type FakeSendGrid } from '../support/fake-sendgrid';
import { match } from '../support/matchers';

const CLIENT = 'maria.rossi@example.com';
const PRACTICE = 'reminders@studio-bianchi.example';

let fake: FakeSendGrid;
let gateway: MessageGateway;

beforeAll(async () => {
  fake = await startFakeSendGrid();
  gateway = createSendGridGateway({ apiKey: fake.apiKey, apiBaseUrl: fake.baseUrl });
});

afterAll(async () => {
  await fake.close();
});

/** Runs `promise`, expecting it to fail with a GatewayError, and returns that error. */
async function gatewayError(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(GatewayError);
  return error as GatewayError;
}

/** An email with a fresh reference (our message log id), so tests never match each other's mail. */
function email(overrides: Partial<OutboundMessage> = {}): OutboundMessage & { reference: string } {
  return {
    to: CLIENT,
    from: PRACTICE,
    subject: 'Reminder: your appointment on Tuesday 1 December at 09:30',
    body: 'Studio Bianchi: appointment on Tuesday 1 December at 09:30, Via Roma 1. Confirm: https://x/confirm/t',
    html: '<p>Studio Bianchi: appointment on <b>Tuesday 1 December</b> at 09:30.</p>',
    reference: randomUUID(),
    ...overrides,
  };
}

function query(message: OutboundMessage & { reference?: string }) {
  return {
    to: message.to,
    from: message.from,
    body: message.body,
    subject: message.subject,
    ...(message.reference === undefined ? {} : { reference: message.reference }),
    sentAfter: new Date(Date.now() - 60_000),
  };
}

const sentWith = (reference: string) => fake.sent.filter((m) => m.customArgs.message_id === reference);

describe('createSendGridGateway: send', () => {
  it('posts subject, text, html, from, to and the reference once, and returns the X-Message-Id', async () => {
    const message = email();
    const sent = await gateway.send(message);

    expect(sent).toEqual({ providerId: match.stringMatching(/^[\w-]{22}$/), status: 'queued' });
    expect(sentWith(message.reference)).toEqual([
      {
        to: CLIENT,
        from: PRACTICE,
        subject: message.subject,
        text: message.body,
        html: message.html,
        customArgs: { message_id: message.reference },
        messageId: sent.providerId,
        msgId: match.stringMatching(new RegExp(`^${sent.providerId}\\.filter`)),
        at: match.any(Date),
        status: 'processed',
      },
    ]);
    expect(gateway).toMatchObject({ channel: 'email', name: 'sendgrid' });
  });

  it('sends a text-only email when there is no HTML part, with non-ASCII text intact', async () => {
    const message = email({ html: undefined, subject: 'Promemoria — già confermato? €', body: 'Ciao Maria 😀' });
    await gateway.send(message);
    expect(sentWith(message.reference)).toMatchObject([
      { subject: 'Promemoria — già confermato? €', text: 'Ciao Maria 😀', html: null },
    ]);
  });

  it('uses its own client: two gateways with their own keys and base URLs do not interfere', async () => {
    const other = await startFakeSendGrid();
    try {
      const otherGateway = createSendGridGateway({ apiKey: other.apiKey, apiBaseUrl: other.baseUrl });
      const here = email();
      const there = email();
      await Promise.all([gateway.send(here), otherGateway.send(there)]);
      expect(sentWith(here.reference)).toHaveLength(1);
      expect(other.sent.map((m) => m.customArgs.message_id)).toEqual([there.reference]);
    } finally {
      await other.close();
    }
  });

  it('reports an invalid recipient address (400) as permanent, naming SendGrid’s reason', async () => {
    const message = email({ to: 'maria.rossi.example.com' });
    const error = await gatewayError(gateway.send(message));
    expect(error).toMatchObject({
      code: 'HTTP_400',
      permanent: true,
      maybeAccepted: false,
      httpStatus: 400,
      explanation: "SendGrid refused the recipient's email address: Does not contain a valid address.",
    });
    expect(sentWith(message.reference)).toEqual([]);
  });

  it('reports a missing subject (400) as permanent', async () => {
    const error = await gatewayError(gateway.send(email({ subject: undefined })));
    expect(error).toMatchObject({
      code: 'HTTP_400',
      permanent: true,
      explanation: match.stringContaining("SendGrid refused the email's content: The subject is required."),
    });
  });

  it('reports a rejected key (401) as permanent, pointing at SENDGRID_API_KEY', async () => {
    const wrongKey = createSendGridGateway({ apiKey: 'SG.not-the-key', apiBaseUrl: fake.baseUrl });
    expect(await gatewayError(wrongKey.send(email()))).toMatchObject({
      code: 'HTTP_401',
      permanent: true,
      maybeAccepted: false,
      httpStatus: 401,
      explanation: match.stringContaining('check SENDGRID_API_KEY'),
    });
  });

  it('reports a 429 as transient, and as not accepted', async () => {
    const message = email();
    fake.failNext({ status: 429 });
    expect(await gatewayError(gateway.send(message))).toMatchObject({
      code: 'HTTP_429',
      permanent: false,
      maybeAccepted: false,
    });
    expect(sentWith(message.reference)).toEqual([]);
  });

  it('reports a 500 as transient, and as possibly accepted', async () => {
    fake.failNext({ status: 500, body: { errors: [{ message: 'internal error', field: null }] } });
    expect(await gatewayError(gateway.send(email()))).toMatchObject({
      code: 'HTTP_500',
      permanent: false,
      maybeAccepted: true,
      httpStatus: 500,
    });
  });

  it('reports a dropped connection as transient, and as possibly accepted', async () => {
    fake.failNext({ dropConnection: true });
    const error = await gatewayError(gateway.send(email()));
    expect(error).toMatchObject({ code: 'ECONNRESET', permanent: false, maybeAccepted: true });
    expect(error.httpStatus).toBeUndefined();
  });

  it('reports an unreachable API as transient, and as not accepted', async () => {
    const unreachable = createSendGridGateway({ apiKey: fake.apiKey, apiBaseUrl: 'http://127.0.0.1:1' });
    expect(await gatewayError(unreachable.send(email()))).toMatchObject({
      code: 'ECONNREFUSED',
      permanent: false,
      maybeAccepted: false,
    });
  });
});

describe('createSendGridGateway: timeouts', () => {
  const TIMEOUT_MS = 400;
  // Room for the event loop of a busy 2-core machine; the SDK itself would wait forever.
  const SLACK_MS = 1_000;
  let impatient: MessageGateway;

  beforeAll(() => {
    impatient = createSendGridGateway({ apiKey: fake.apiKey, apiBaseUrl: fake.baseUrl, timeoutMs: TIMEOUT_MS });
  });

  async function timed(call: () => Promise<unknown>): Promise<{ error: GatewayError; elapsedMs: number }> {
    const started = Date.now();
    const error = await gatewayError(call());
    return { error, elapsedMs: Date.now() - started };
  }

  it('ends a send SendGrid accepted and never answered within the timeout, as transient and possibly accepted', async () => {
    const message = email();
    fake.failNext({ hang: true });

    const { error, elapsedMs } = await timed(() => impatient.send(message));
    expect(error).toMatchObject({ permanent: false, maybeAccepted: true });
    expect(elapsedMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(elapsedMs).toBeLessThan(TIMEOUT_MS + SLACK_MS);
    expect(sentWith(message.reference)).toHaveLength(1);
  });

  it('ends a send whose answer trickles in within the timeout too', async () => {
    fake.failNext({ hang: true, trickle: true });
    const { error, elapsedMs } = await timed(() => impatient.send(email()));
    expect(error).toMatchObject({ permanent: false, maybeAccepted: true });
    expect(elapsedMs).toBeLessThan(TIMEOUT_MS + SLACK_MS);
  });

  it('ends an Email Activity query within the timeout', async () => {
    fake.slowEmailActivity(TIMEOUT_MS + 5 * SLACK_MS);
    try {
      const { error, elapsedMs } = await timed(() => impatient.findSent(query(email())));
      expect(error).toMatchObject({ permanent: false });
      expect(elapsedMs).toBeLessThan(TIMEOUT_MS + SLACK_MS);
    } finally {
      fake.slowEmailActivity(0);
    }
  });

  it('uses SENDGRID_HTTP_TIMEOUT_MS unless told otherwise', () => {
    expect(impatient.sendTimeoutMs).toBe(TIMEOUT_MS);
    expect(gateway.sendTimeoutMs).toBe(SENDGRID_HTTP_TIMEOUT_MS);
  });
});

describe('createSendGridGateway: findSent', () => {
  it('finds an email by its reference through the Email Activity API', async () => {
    const message = email();
    const sent = await gateway.send(message);
    const [stored] = sentWith(message.reference);

    expect(await gateway.findSent(query(message))).toEqual([
      { providerId: sent.providerId, status: 'processed', createdAt: match.any(Date) },
    ]);
    const [found] = await gateway.findSent(query(message));
    // SendGrid's timestamps have whole seconds.
    expect(found.createdAt.getTime()).toBe(Math.floor(stored.at.getTime() / 1000) * 1000);
  });

  it('reports what SendGrid says became of it', async () => {
    const message = email();
    await gateway.send(message);
    sentWith(message.reference)[0].status = 'delivered';
    expect(await gateway.findSent(query(message))).toMatchObject([{ status: 'delivered' }]);
  });

  it('finds an email SendGrid accepted although its answer never arrived', async () => {
    const impatient = createSendGridGateway({ apiKey: fake.apiKey, apiBaseUrl: fake.baseUrl, timeoutMs: 300 });
    const message = email();
    fake.failNext({ hang: true });

    expect(await gatewayError(impatient.send(message))).toMatchObject({ maybeAccepted: true });
    const [accepted] = await fake.waitForSent((m) => m.customArgs.message_id === message.reference, 1, 1000);
    expect(await impatient.findSent(query(message))).toMatchObject([{ providerId: accepted.messageId }]);
  });

  it('finds an email that SendGrid took before answering 500', async () => {
    const message = email();
    fake.failNext({ status: 500, accepted: true });
    expect(await gatewayError(gateway.send(message))).toMatchObject({ permanent: false, maybeAccepted: true });
    expect(await gateway.findSent(query(message))).toMatchObject([
      { providerId: sentWith(message.reference)[0].messageId },
    ]);
  });

  it('finds nothing for another reference, even with the same recipient, subject and text', async () => {
    const message = email();
    await gateway.send(message);
    expect(await gateway.findSent(query({ ...message, reference: randomUUID() }))).toEqual([]);
  });

  it('finds nothing without a reference', async () => {
    const message = email();
    await gateway.send(message);
    expect(await gateway.findSent(query({ ...message, reference: undefined }))).toEqual([]);
  });

  it('refuses to guess when the account has no Email Activity API (403): permanent, so nothing is sent twice', async () => {
    fake.setEmailActivityAvailable(false);
    try {
      const error = await gatewayError(gateway.findSent(query(email())));
      expect(error).toMatchObject({
        code: 'EMAIL_ACTIVITY_UNAVAILABLE',
        permanent: true,
        httpStatus: 403,
        explanation: match.stringContaining('not sent again'),
      });
    } finally {
      fake.setEmailActivityAvailable(true);
    }
  });

  it('treats a 404 from the Email Activity API (how some accounts without it answer) the same way', async () => {
    const elsewhere = createSendGridGateway({ apiKey: fake.apiKey, apiBaseUrl: `${fake.baseUrl}/no-activity` });
    expect(await gatewayError(elsewhere.findSent(query(email())))).toMatchObject({
      code: 'EMAIL_ACTIVITY_UNAVAILABLE',
      permanent: true,
      httpStatus: 404,
    });
  });
});

describe('createEmailSimulator', () => {
  it('logs each email as not delivered, with its addresses masked and its texts as lengths, and finds it by reference', async () => {
    const lines: string[] = [];
    const simulator = createEmailSimulator((line) => lines.push(line));
    const message = email();

    const sent = await simulator.send(message);

    expect(simulator).toMatchObject({ channel: 'email', name: 'simulator', sendTimeoutMs: 0 });
    expect(sent).toEqual({ providerId: match.stringMatching(/^SIM[0-9a-f]{32}$/), status: 'simulated' });
    expect(lines).toEqual([
      `SIMULATED, NOT DELIVERED: email to m•••@e•••.com from r•••@s•••.example subject [57 chars] ` +
        `body [100 chars] (id ${sent.providerId}, message ${message.reference})`,
    ]);
    expect(await simulator.findSent(query(message))).toEqual([{ ...sent, createdAt: match.any(Date) }]);
    expect(await simulator.findSent(query({ ...message, reference: randomUUID() }))).toEqual([]);
    expect(await simulator.findSent(query({ ...message, reference: undefined }))).toEqual([]);
  });
});

describe('createEmailGateway', () => {
  it('is SendGrid when a key is configured, and the simulator otherwise', async () => {
    const log = jest.fn<void, [string]>();
    const configured = createEmailGateway({ sendgrid: { apiKey: fake.apiKey, apiBaseUrl: fake.baseUrl } }, log);
    expect(configured).toMatchObject({ channel: 'email', name: 'sendgrid' });
    const message = email();
    await configured.send(message);
    expect(sentWith(message.reference)).toHaveLength(1);

    expect(createEmailGateway({ sendgrid: null }, log)).toMatchObject({ channel: 'email', name: 'simulator' });
    expect(log).not.toHaveBeenCalled();
  });
});
