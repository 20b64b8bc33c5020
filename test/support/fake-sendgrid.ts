/**
 * A local stand-in for SendGrid's v3 API, faithful enough on the wire that the real
 * `@sendgrid/mail` and `@sendgrid/client` talk to it unchanged (via SENDGRID_API_BASE_URL /
 * apiBaseUrl): `POST /v3/mail/send` and the Email Activity API's `GET /v3/messages`, plus
 * knobs to inject the failures a real provider produces.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { watchArrivals } from './arrivals';
import type { AddressInfo } from 'node:net';

/** One email SendGrid accepted: one per recipient, as its activity feed lists them. */
export interface FakeSendGridMail {
  to: string;
  from: string;
  subject: string;
  text: string | null;
  html: string | null;
  /** The request's custom_args, with its personalization's own merged over them. */
  customArgs: Record<string, unknown>;
  /** The X-Message-Id SendGrid answered with (shared by every recipient of one request). */
  messageId: string;
  /** The activity feed's msg_id: the X-Message-Id, a dot, and SendGrid's internal suffix. */
  msgId: string;
  at: Date;
  /** What the activity feed reports; tests may change it. */
  status: 'processed' | 'delivered' | 'not_delivered';
}

/**
 * A failure of one mail send. `status` answers with that error (`body` as the JSON answer;
 * SendGrid's `{ errors: [...] }` by default); with `accepted` the mail is recorded first,
 * like a provider that queued it and then failed to say so. `hang` records the mail and
 * never answers (the client's timeout ends the request); with `trickle` it starts the 202
 * answer and then sends a byte every 100 ms without ever finishing it, so no idle timeout
 * notices. `dropConnection` closes the socket without accepting anything.
 */
export type FakeSendGridFailure =
  { status: number; body?: unknown; accepted?: boolean } | { hang: true; trickle?: boolean } | { dropConnection: true };

export interface FakeSendGrid {
  baseUrl: string;
  apiKey: string;
  readonly sent: FakeSendGridMail[];
  /** Resolves with every matching mail once at least `count` have arrived. */
  waitForSent(
    predicate: (mail: FakeSendGridMail) => boolean,
    count: number,
    timeoutMs: number,
  ): Promise<FakeSendGridMail[]>;
  /**
   * Makes the next mail send fail once (see FakeSendGridFailure); with `match`, the next one
   * whose JSON body it accepts.
   */
  failNext(failure: FakeSendGridFailure, match?: (body: Record<string, unknown>) => boolean): void;
  /**
   * false: `GET /v3/messages` answers 403, as for an account without the Email Activity
   * history add-on (or a key without Email Activity access). true (the default) again.
   */
  setEmailActivityAvailable(available: boolean): void;
  /** Delays every Email Activity answer by this long (0 to stop), like a slow provider. */
  slowEmailActivity(delayMs: number): void;
  close(): Promise<void>;
}

interface SendGridError {
  message: string;
  field: string | null;
}

const EMAIL = /^[^\s@<>()",;:]+@[^\s@<>()",;:]+\.[^\s@<>()",;:]+$/;
const MAX_ACTIVITY_LIMIT = 1000;

export async function startFakeSendGrid(options: { apiKey?: string } = {}): Promise<FakeSendGrid> {
  const apiKey =
    options.apiKey ?? `SG.${randomBytes(11).toString('base64url')}.${randomBytes(32).toString('base64url')}`;
  const sent: FakeSendGridMail[] = [];
  const arrivals = watchArrivals(sent, { provider: 'Fake SendGrid', noun: 'mail(s)', summarize });
  const failures: Array<{ failure: FakeSendGridFailure; match?: (body: Record<string, unknown>) => boolean }> = [];
  let activityAvailable = true;
  let activityDelayMs = 0;
  let requests = 0;

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendErrors(res, 500, [{ message: String(err), field: null }]);
    });
  });
  // Longer than any test, so Node never closes an idle keep-alive socket at the moment
  // the SDK reuses it (a spurious ECONNRESET).
  server.keepAliveTimeout = 120_000;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake-sendgrid');
    const raw = await readBody(req);
    if (req.headers.authorization !== `Bearer ${apiKey}`) {
      return sendErrors(res, 401, [
        { message: 'The provided authorization grant is invalid, expired, or revoked', field: null },
      ]);
    }
    if (url.pathname === '/v3/mail/send') {
      if (req.method !== 'POST') return sendErrors(res, 405, [{ message: 'Method Not Allowed', field: null }]);
      return mailSend(raw, req, res);
    }
    if (url.pathname === '/v3/messages') {
      if (req.method !== 'GET') return sendErrors(res, 405, [{ message: 'Method Not Allowed', field: null }]);
      if (!activityAvailable) return sendErrors(res, 403, [{ message: 'access forbidden', field: null }]);
      if (activityDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, activityDelayMs));
      return listMessages(url, res);
    }
    return sendErrors(res, 404, [{ message: 'Not Found', field: null }]);
  }

  function mailSend(raw: string, req: IncomingMessage, res: ServerResponse): void {
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return sendErrors(res, 400, [{ message: 'Bad Request', field: null }]);
    }
    if (!isObject(body)) return sendErrors(res, 400, [{ message: 'Bad Request', field: null }]);
    const index = failures.findIndex((f) => f.match === undefined || f.match(body));
    const failure = index === -1 ? undefined : failures.splice(index, 1)[0].failure;
    if (failure && 'dropConnection' in failure) {
      req.socket.destroy();
      return;
    }
    if (failure && 'status' in failure && !failure.accepted) return sendFailure(res, failure);
    const invalid = validateMailSend(body);
    if (invalid.length > 0) return sendErrors(res, 400, invalid);

    const messageId = randomBytes(16).toString('base64url');
    sent.push(...toMails(body, messageId, ++requests));
    arrivals.arrived();
    if (failure && 'status' in failure) return sendFailure(res, failure);
    // A hung request stays open until the client gives up or close() ends every connection.
    if (failure) {
      if (failure.trickle) {
        res.writeHead(202, { 'X-Message-Id': messageId, 'Content-Type': 'text/plain' });
        const timer = setInterval(() => res.write(' '), 100);
        res.on('close', () => clearInterval(timer));
      }
      return;
    }
    res.writeHead(202, { 'X-Message-Id': messageId });
    res.end();
  }

  function listMessages(url: URL, res: ServerResponse): void {
    const limitParam = url.searchParams.get('limit');
    const limit = limitParam === null ? 10 : Number(limitParam);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_ACTIVITY_LIMIT) {
      return sendErrors(res, 400, [{ message: `limit must be between 1 and ${MAX_ACTIVITY_LIMIT}`, field: 'limit' }]);
    }
    const query = url.searchParams.get('query');
    let accepts: (mail: FakeSendGridMail) => boolean = () => true;
    if (query !== null) {
      const parsed = parseActivityQuery(query);
      if (!parsed) return sendErrors(res, 400, [{ message: 'invalid query', field: 'query' }]);
      accepts = parsed;
    }
    const messages = sent
      .filter(accepts)
      .sort((a, b) => b.at.getTime() - a.at.getTime())
      .slice(0, limit)
      .map((mail) => ({
        from_email: mail.from,
        msg_id: mail.msgId,
        subject: mail.subject,
        to_email: mail.to,
        status: mail.status,
        opens_count: 0,
        clicks_count: 0,
        last_event_time: mail.at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      }));
    sendJson(res, 200, { messages });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    apiKey,
    sent,

    waitForSent: (predicate, count, timeoutMs) => arrivals.waitFor(predicate, count, timeoutMs),

    failNext(failure, match) {
      failures.push(match === undefined ? { failure } : { failure, match });
    },

    setEmailActivityAvailable(available) {
      activityAvailable = available;
    },

    slowEmailActivity(delayMs) {
      activityDelayMs = delayMs;
    },

    async close() {
      arrivals.abortAll('Fake SendGrid closed while waiting for mail');
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** SendGrid's checks of a mail send, in the essentials, with its own wording and field paths. */
function validateMailSend(body: Record<string, unknown>): SendGridError[] {
  const errors: SendGridError[] = [];
  const personalizations = body.personalizations;
  if (!Array.isArray(personalizations) || personalizations.length === 0) {
    errors.push({
      field: 'personalizations',
      message: 'The personalizations field is required and must have at least one personalization.',
    });
  } else {
    personalizations.forEach((p: unknown, i) => {
      const to = isObject(p) ? p.to : undefined;
      if (!Array.isArray(to) || to.length === 0) {
        errors.push({
          field: `personalizations.${i}.to`,
          message:
            'The to array is required for all personalization objects, and must have at least one email object with a valid email address.',
        });
        return;
      }
      to.forEach((recipient: unknown, j) => {
        if (!isEmail(isObject(recipient) ? recipient.email : undefined)) {
          errors.push({ field: `personalizations.${i}.to.${j}.email`, message: 'Does not contain a valid address.' });
        }
      });
    });
  }

  const from = body.from;
  if (!isObject(from) || from.email === undefined) {
    errors.push({
      field: 'from',
      message:
        'The from object must be provided for every email send. It is an object that requires the email parameter, but may also contain a name parameter.',
    });
  } else if (!isEmail(from.email)) {
    errors.push({ field: 'from.email', message: 'The from email does not contain a valid address.' });
  }

  const everyPersonalizationHasSubject =
    Array.isArray(personalizations) &&
    personalizations.length > 0 &&
    personalizations.every((p: unknown) => isObject(p) && isText(p.subject));
  if (!isText(body.subject) && !everyPersonalizationHasSubject) {
    errors.push({
      field: 'subject',
      message:
        'The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined.',
    });
  }

  const content = body.content;
  if (!Array.isArray(content) || content.length === 0) {
    errors.push({
      field: 'content',
      message:
        'Unless a valid template_id is provided, the content parameter is required. There must be at least one defined content block. We typically suggest both text/plain and text/html blocks are included, but only one block is required.',
    });
  } else {
    content.forEach((block: unknown, i) => {
      if (!isObject(block) || !isText(block.type)) {
        errors.push({
          field: `content.${i}.type`,
          message: 'The content type must be a string at least one character in length.',
        });
      } else if (!isText(block.value)) {
        errors.push({
          field: `content.${i}.value`,
          message: 'The content value must be a string at least one character in length.',
        });
      }
    });
    const plainAt = content.findIndex((block: unknown) => isObject(block) && block.type === 'text/plain');
    if (plainAt > 0) {
      errors.push({
        field: 'content',
        message: 'If present, text/plain content must be first, followed by text/html, followed by any other content.',
      });
    }
  }
  return errors;
}

/** One record per recipient, as SendGrid's activity feed lists a request with several. */
function toMails(body: Record<string, unknown>, messageId: string, request: number): FakeSendGridMail[] {
  const at = new Date();
  const blocks = (body.content as Array<{ type: string; value: string }>) ?? [];
  const part = (type: string): string | null => blocks.find((b) => b.type === type)?.value ?? null;
  const from = (body.from as { email: string }).email;
  const topArgs = isObject(body.custom_args) ? body.custom_args : {};
  const mails: FakeSendGridMail[] = [];
  let n = 0;
  for (const p of body.personalizations as Array<Record<string, unknown>>) {
    const customArgs = { ...topArgs, ...(isObject(p.custom_args) ? p.custom_args : {}) };
    const subject = isText(p.subject) ? p.subject : (body.subject as string);
    for (const recipient of p.to as Array<{ email: string }>) {
      mails.push({
        to: recipient.email,
        from,
        subject,
        text: part('text/plain'),
        html: part('text/html'),
        customArgs,
        messageId,
        msgId: `${messageId}.filterdrecv-fake-${request}-${Math.floor(at.getTime() / 1000)
          .toString(16)
          .toUpperCase()}-${n++}.0`,
        at,
        status: 'processed',
      });
    }
  }
  return mails;
}

/**
 * The Email Activity query language, as far as findSent and tests use it: clauses joined by
 * AND, each `unique_args['<name>']="<value>"` or `to_email="<value>"`. Anything else is
 * refused, so a query the fake does not understand never silently matches everything.
 */
function parseActivityQuery(query: string): ((mail: FakeSendGridMail) => boolean) | undefined {
  const tests: Array<(mail: FakeSendGridMail) => boolean> = [];
  for (const clause of query.split(/\s+AND\s+/i)) {
    const uniqueArg = /^unique_args\['([^']+)'\]="([^"]*)"$/.exec(clause.trim());
    if (uniqueArg) {
      const [, name, value] = uniqueArg;
      tests.push((mail) => mail.customArgs[name] === value);
      continue;
    }
    const toEmail = /^to_email="([^"]*)"$/.exec(clause.trim());
    if (toEmail) {
      const value = toEmail[1].toLowerCase();
      tests.push((mail) => mail.to.toLowerCase() === value);
      continue;
    }
    return undefined;
  }
  return (mail) => tests.every((accepts) => accepts(mail));
}

function sendFailure(res: ServerResponse, failure: { status: number; body?: unknown }): void {
  if (failure.body !== undefined) return sendJson(res, failure.status, failure.body);
  sendErrors(res, failure.status, [{ message: `Injected failure (HTTP ${failure.status})`, field: null }]);
}

function sendErrors(res: ServerResponse, status: number, errors: SendGridError[]): void {
  sendJson(res, status, { errors: errors.map((e) => ({ ...e, help: null })) });
}

function sendJson(res: ServerResponse, status: number, payload: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
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

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isText(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

function isEmail(value: unknown): boolean {
  return typeof value === 'string' && EMAIL.test(value);
}

function summarize(m: FakeSendGridMail): string {
  return `${m.messageId} to ${m.to} from ${m.from} subject ${JSON.stringify(m.subject)} args ${JSON.stringify(m.customArgs)}`;
}
