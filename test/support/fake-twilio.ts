/**
 * A local stand-in for Twilio's Messages REST API, faithful enough on the wire that the
 * real `twilio` SDK talks to it unchanged (via TWILIO_API_BASE_URL / apiBaseUrl), plus
 * knobs to inject the failures a real provider produces.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { watchArrivals } from './arrivals';
import { countSegments } from '../../domain/segments';

export interface FakeTwilioMessage {
  sid: string;
  accountSid: string;
  to: string;
  from: string | null;
  messagingServiceSid: string | null;
  body: string;
  statusCallback: string | null;
  receivedAt: Date;
  /**
   * When the "carrier" took the message: receivedAt, as the fake hands every message over
   * at once. Set it to null to model a message still queued at Twilio, which the DateSent
   * list filters do not see.
   */
  dateSent: Date | null;
}

/**
 * A failure of one message creation. `status` answers with that error; with `accepted` the
 * message is recorded first, like a provider that queued it and then failed to say so.
 * `hang` records the message and never answers (the client's timeout ends the request); with
 * `trickle` it starts a 201 answer and then sends a space every 100 ms without ever
 * finishing it, like a congested link: no pause long enough for an idle timeout to notice.
 * `dropConnection` closes the socket without accepting anything. `delayMs` accepts the
 * message at once and answers 201 that much later, like a slow provider.
 */
export type FakeTwilioFailure =
  | { status: number; code?: number; message?: string; accepted?: boolean }
  | { hang: true; trickle?: boolean }
  | { dropConnection: true }
  | { delayMs: number };

export interface FakeTwilioOptions {
  accountSid?: string;
  authToken?: string;
  /**
   * Consulted for every creation that no failNext() claimed: a failure to inject, or
   * undefined to accept normally. Lets a fault-injection run fail a share of all sends.
   */
  faults?: (form: Record<string, string>) => FakeTwilioFailure | undefined;
}

export interface FakeTwilio {
  baseUrl: string;
  accountSid: string;
  authToken: string;
  readonly messages: FakeTwilioMessage[];
  /** Resolves with every matching message once at least `count` have arrived. */
  waitForMessages(
    predicate: (m: FakeTwilioMessage) => boolean,
    count: number,
    timeoutMs: number,
  ): Promise<FakeTwilioMessage[]>;
  /** Makes the next message creation whose form matches fail once (see FakeTwilioFailure). */
  failNext(predicate: (form: Record<string, string>) => boolean, failure: FakeTwilioFailure): void;
  /** Delays every answer to a message list by this long (0 to stop), like a slow provider. */
  slowList(delayMs: number): void;
  /** The most message creations that were open at once (from their request to the end of their answer). */
  readonly mostConcurrentCreates: number;
  /**
   * Posts a status callback for message `sid` to the StatusCallback URL it was created with,
   * signed as Twilio signs it (with `signingToken`, the real auth token unless a forgery is
   * wanted), and answers with what the callback's receiver answered.
   */
  reportStatus(
    sid: string,
    status: string,
    errorCode?: string,
    signingToken?: string,
  ): Promise<{ status: number; body: string }>;
  stop(): Promise<void>;
}

const E164 = /^\+[1-9]\d{6,14}$/;
const ALPHANUMERIC_SENDER = /^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$/;
const MESSAGING_SERVICE_SID = /^MG[0-9a-fA-F]{32}$/;
const MESSAGES_PATH = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/;
const MAX_BODY = 1600;

export async function startFakeTwilio(options: FakeTwilioOptions = {}): Promise<FakeTwilio> {
  const accountSid = options.accountSid ?? `AC${hex(16)}`;
  const authToken = options.authToken ?? hex(16);
  const messages: FakeTwilioMessage[] = [];
  const arrivals = watchArrivals(messages, { provider: 'Fake Twilio', noun: 'message(s)', summarize });
  const failures: Array<{ predicate: (form: Record<string, string>) => boolean; failure: FakeTwilioFailure }> = [];
  let listDelayMs = 0;
  let openCreates = 0;
  let mostConcurrentCreates = 0;

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { code: 20500, message: String(err), status: 500 });
    });
  });
  // Longer than any test, so Node never closes an idle keep-alive socket at the moment
  // the SDK reuses it (a spurious ECONNRESET).
  server.keepAliveTimeout = 120_000;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake-twilio');
    const form = Object.fromEntries(new URLSearchParams(await readBody(req)));
    if (!hasValidCredentials(req)) {
      res.setHeader('WWW-Authenticate', 'Basic realm="Twilio API"');
      return sendTwilioError(res, 401, 20003, 'Authenticate');
    }
    const path = MESSAGES_PATH.exec(url.pathname);
    if (!path || path[1] !== accountSid) {
      return sendTwilioError(res, 404, 20404, `The requested resource ${url.pathname} was not found`);
    }
    if (req.method === 'POST') {
      openCreates++;
      mostConcurrentCreates = Math.max(mostConcurrentCreates, openCreates);
      res.once('close', () => openCreates--);
      return createMessage(form, req, res);
    }
    if (req.method === 'GET') {
      if (listDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, listDelayMs));
      return listMessages(url, res);
    }
    return sendTwilioError(res, 405, 20004, 'Method not allowed');
  }

  function hasValidCredentials(req: IncomingMessage): boolean {
    const [scheme, encoded] = (req.headers.authorization ?? '').split(' ');
    if (scheme !== 'Basic' || !encoded) return false;
    return Buffer.from(encoded, 'base64').toString('utf8') === `${accountSid}:${authToken}`;
  }

  function createMessage(form: Record<string, string>, req: IncomingMessage, res: ServerResponse): void {
    const index = failures.findIndex((f) => f.predicate(form));
    const failure = index === -1 ? options.faults?.(form) : failures.splice(index, 1)[0].failure;
    if (failure && 'dropConnection' in failure) {
      req.socket.destroy();
      return;
    }
    if (failure && 'status' in failure && !failure.accepted) {
      const message = failure.message ?? STATUS_CODES[failure.status] ?? 'Error';
      return sendTwilioError(res, failure.status, failure.code, message);
    }
    const invalid = validateCreate(form);
    if (invalid) return sendTwilioError(res, 400, invalid.code, invalid.message);

    const receivedAt = new Date();
    const message: FakeTwilioMessage = {
      sid: `SM${hex(16)}`,
      accountSid,
      to: form.To,
      from: form.From ?? null,
      messagingServiceSid: form.MessagingServiceSid ?? null,
      body: form.Body,
      statusCallback: form.StatusCallback ?? null,
      receivedAt,
      dateSent: receivedAt,
    };
    messages.push(message);
    arrivals.arrived();
    if (failure && 'status' in failure) {
      const text = failure.message ?? STATUS_CODES[failure.status] ?? 'Error';
      return sendTwilioError(res, failure.status, failure.code, text);
    }
    if (failure && 'delayMs' in failure) {
      setTimeout(() => sendJson(res, 201, toResource(message, null)), failure.delayMs);
      return;
    }
    // A hung request stays open until the client gives up or stop() closes every connection.
    if (failure) {
      if (failure.trickle) {
        res.writeHead(201, { 'Content-Type': 'application/json; charset=utf-8' });
        const timer = setInterval(() => res.write(' '), 100);
        res.on('close', () => clearInterval(timer));
      }
      return;
    }
    // Twilio answers before the message leaves its queue: no date_sent yet.
    sendJson(res, 201, toResource(message, null));
  }

  function listMessages(url: URL, res: ServerResponse): void {
    const query = url.searchParams;
    let dateFilters: Array<(m: FakeTwilioMessage) => boolean>;
    try {
      dateFilters = (['DateSent', 'DateSent>', 'DateSent<'] as const)
        .filter((name) => query.has(name))
        .map((name) => dateSentFilter(name, query.get(name)!));
    } catch (err) {
      return sendJson(res, 400, { message: (err as Error).message, status: 400 });
    }
    const to = query.get('To');
    const from = query.get('From');
    const found = messages
      .filter((m) => (to === null || m.to === to) && (from === null || m.from === from))
      .filter((m) => dateFilters.every((accepts) => accepts(m)))
      .sort((a, b) => b.receivedAt.getTime() - a.receivedAt.getTime());

    const pageSize = Math.min(Math.max(Number(query.get('PageSize')) || 50, 1), 1000);
    const page = Math.max(Number(query.get('Page')) || 0, 0);
    const start = page * pageSize;
    const pageUri = (n: number): string => {
      const params = new URLSearchParams(query);
      params.set('Page', String(n));
      params.set('PageSize', String(pageSize));
      return `${url.pathname}?${params.toString()}`;
    };
    const items = found.slice(start, start + pageSize);
    sendJson(res, 200, {
      messages: items.map((m) => toResource(m, m.dateSent)),
      page,
      page_size: pageSize,
      start,
      end: start + Math.max(items.length - 1, 0),
      uri: pageUri(page),
      first_page_uri: pageUri(0),
      previous_page_uri: page > 0 ? pageUri(page - 1) : null,
      next_page_uri: start + pageSize < found.length ? pageUri(page + 1) : null,
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    accountSid,
    authToken,
    messages,

    waitForMessages: (predicate, count, timeoutMs) => arrivals.waitFor(predicate, count, timeoutMs),

    failNext(predicate, failure) {
      failures.push({ predicate, failure });
    },

    get mostConcurrentCreates() {
      return mostConcurrentCreates;
    },
    slowList(delayMs) {
      listDelayMs = delayMs;
    },

    async reportStatus(sid, status, errorCode, signingToken = authToken) {
      const message = messages.find((m) => m.sid === sid);
      if (!message) throw new Error(`Fake Twilio: no message ${sid}`);
      if (!message.statusCallback) throw new Error(`Fake Twilio: message ${sid} was created without a StatusCallback`);
      // The fields Twilio posts to a StatusCallback (SmsSid and SmsStatus are its older names).
      const form: Record<string, string> = {
        AccountSid: accountSid,
        ApiVersion: '2010-04-01',
        MessageSid: sid,
        SmsSid: sid,
        MessageStatus: status,
        SmsStatus: status,
        To: message.to,
        ...(message.from === null ? {} : { From: message.from }),
        ...(message.messagingServiceSid === null ? {} : { MessagingServiceSid: message.messagingServiceSid }),
        ...(errorCode === undefined ? {} : { ErrorCode: errorCode }),
      };
      const response = await fetch(message.statusCallback, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': signTwilioRequest(signingToken, message.statusCallback, form),
        },
        body: new URLSearchParams(form).toString(),
        // Twilio gives up on a callback after 15 s.
        signal: AbortSignal.timeout(15_000),
      });
      return { status: response.status, body: await response.text() };
    },

    async stop() {
      arrivals.abortAll('Fake Twilio stopped while waiting for messages');
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The X-Twilio-Signature Twilio puts on a webhook request: HMAC-SHA1, keyed with the auth
 * token, over the full URL followed by each POST parameter's name and value in name order.
 */
export function signTwilioRequest(authToken: string, url: string, params: Record<string, string>): string {
  const signed = Object.keys(params)
    .sort()
    .reduce((data, name) => data + name + params[name], url);
  return createHmac('sha1', authToken).update(signed, 'utf8').digest('base64');
}

/** The first check Twilio fails, with its error code and wording. */
function validateCreate(form: Record<string, string>): { code: number; message: string } | null {
  const { To: to, From: from, MessagingServiceSid: service, Body: body } = form;
  if (!to) return { code: 21604, message: "A 'To' phone number is required." };
  if (!E164.test(to)) return { code: 21211, message: `The 'To' number ${to} is not a valid phone number.` };
  if (!from && !service) return { code: 21603, message: "A 'From' phone number is required." };
  if (service !== undefined && !MESSAGING_SERVICE_SID.test(service)) {
    return { code: 21705, message: 'The Messaging Service Sid is invalid.' };
  }
  if (from !== undefined && !E164.test(from) && !ALPHANUMERIC_SENDER.test(from)) {
    return {
      code: 21212,
      message: `The 'From' number ${from} is not a valid phone number, shortcode, or alphanumeric sender ID.`,
    };
  }
  if (!body) return { code: 21602, message: 'Message body is required.' };
  if (body.length > MAX_BODY) {
    return { code: 21617, message: 'The concatenated message body exceeds the 1600 character limit.' };
  }
  return null;
}

/** Twilio's DateSent, DateSent> and DateSent< take a GMT date or a full timestamp. */
function dateSentFilter(
  name: 'DateSent' | 'DateSent>' | 'DateSent<',
  value: string,
): (m: FakeTwilioMessage) => boolean {
  const dayOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const start = Date.parse(dayOnly ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(start)) throw new Error(`Invalid ${name} value: ${value}`);
  // A bare date stands for the whole GMT day; a timestamp for its whole second.
  const end = start + (dayOnly ? 86_400_000 : 1000);
  return (m) => {
    if (m.dateSent === null) return false;
    const sent = m.dateSent.getTime();
    if (name === 'DateSent>') return sent >= start;
    if (name === 'DateSent<') return sent < end;
    return sent >= start && sent < end;
  };
}

function toResource(m: FakeTwilioMessage, dateSent: Date | null): Record<string, unknown> {
  const status = dateSent ? 'sent' : m.from === null ? 'accepted' : 'queued';
  const uri = `/2010-04-01/Accounts/${m.accountSid}/Messages/${m.sid}.json`;
  return {
    account_sid: m.accountSid,
    api_version: '2010-04-01',
    body: m.body,
    date_created: rfc2822(m.receivedAt),
    date_sent: dateSent ? rfc2822(dateSent) : null,
    date_updated: rfc2822(dateSent ?? m.receivedAt),
    direction: 'outbound-api',
    error_code: null,
    error_message: null,
    from: m.from,
    messaging_service_sid: m.messagingServiceSid,
    num_media: '0',
    num_segments: String(countSegments(m.body).segments),
    price: null,
    price_unit: 'USD',
    sid: m.sid,
    status,
    subresource_uris: { media: uri.replace(/\.json$/, '/Media.json') },
    to: m.to,
    uri,
  };
}

function sendTwilioError(res: ServerResponse, status: number, code: number | undefined, message: string): void {
  sendJson(
    res,
    status,
    code === undefined
      ? { message, status }
      : { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status },
  );
}

function sendJson(res: ServerResponse, status: number, payload: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(payload));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Twilio's timestamp format, e.g. "Mon, 16 Aug 2010 03:45:01 +0000". */
function rfc2822(date: Date): string {
  return date.toUTCString().replace('GMT', '+0000');
}

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

function summarize(m: FakeTwilioMessage): string {
  return `${m.sid} to ${m.to} from ${m.from ?? m.messagingServiceSid} body ${JSON.stringify(m.body)}`;
}
