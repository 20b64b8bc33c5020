import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { signTwilioRequest, type FakeTwilio } from './fake-twilio';

// A steady stream of traffic over several API replicas, as a load balancer spreads it: creates
// of appointments whose one SMS reminder is due seconds later, and the client's signed "C"
// reply to every reminder that reaches the fake Twilio. Each appointment has a phone number of
// its own, so a message's `To` names its appointment and a second message to it is a duplicate.
//
// Like a load balancer, a request that no replica accepted (connection refused or reset before
// any answer: a replica stopping) is sent again to the next one; that is safe because a create
// with the same body and a reply with the same MessageSid take effect once. A create answered
// 5xx (Temporal slow to answer: 503) is sent again too, as the practice system would; a reply
// is not, since Twilio never redelivers an inbound SMS. Every answer is kept.

export interface LoadRequest {
  kind: 'create' | 'reply';
  appointmentId: string;
  phone: string;
  /** HTTP status of the answer, or null when no replica answered. */
  status: number | null;
  /** The replica that answered (or was tried last). */
  backend: string;
  /** Connections that failed before an answer (each followed by a retry on the next replica). */
  connectionErrors: string[];
  /** 5xx answers to a create before the one kept in `status`. */
  retriedStatuses: number[];
  latencyMs: number;
}

export interface SteadyLoadOptions {
  /** The replicas to spread over, read before every request: a stopped one is left out by the caller. */
  backends: () => string[];
  /** Twilio signs webhooks over the public address every replica shares. */
  publicBaseUrl: string;
  apiKey: string;
  twilio: FakeTwilio;
  practiceNumber: string;
  createsPerSecond: number;
  /** How long after its create each reminder is due. */
  reminderDueMs: number;
  /** Distinguishes this run's appointment ids. */
  idPrefix: string;
}

export interface SteadyLoad {
  readonly requests: LoadRequest[];
  /** The phone number of every appointment created so far (2xx or not), by appointment id. */
  readonly phones: ReadonlyMap<string, string>;
  /** Stops creating; replies keep going until `finish`. */
  stopCreating(): Promise<void>;
  /** Waits until every successful create's reminder has arrived and been answered (or the timeout), then stops. */
  finish(timeoutMs: number): Promise<void>;
}

const MAX_ATTEMPTS = 6;
const RETRY_PAUSE_MS = 250;
// Twilio gives up on a webhook after 15 s; a create is given as long.
const REQUEST_TIMEOUT_MS = 15_000;
const HOUR_MS = 3_600_000;

export function startSteadyLoad(options: SteadyLoadOptions): SteadyLoad {
  const requests: LoadRequest[] = [];
  const phones = new Map<string, string>();
  const byPhone = new Map<string, string>();
  const inFlight = new Set<Promise<void>>();
  let next = 0;
  let counter = 0;
  let creating = true;
  let replying = true;
  const replied = new Set<string>();
  let seenMessages = 0;

  const track = (work: Promise<void>): void => {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  };

  async function send(
    kind: LoadRequest['kind'],
    appointmentId: string,
    phone: string,
    build: (backend: string) => { path: string; headers: Record<string, string>; body: string },
  ): Promise<LoadRequest> {
    const started = Date.now();
    const record: LoadRequest = {
      kind,
      appointmentId,
      phone,
      status: null,
      backend: '',
      connectionErrors: [],
      retriedStatuses: [],
      latencyMs: 0,
    };
    for (let attempt = 0; attempt < MAX_ATTEMPTS && record.status === null; attempt++) {
      const backends = options.backends();
      const backend = backends[next++ % Math.max(1, backends.length)] ?? '';
      record.backend = backend;
      const { path, headers, body } = build(backend);
      try {
        const status = await post(`${backend}${path}`, headers, body);
        if (kind === 'create' && status >= 500 && attempt < MAX_ATTEMPTS - 1) {
          record.retriedStatuses.push(status);
          await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS * 4));
        } else {
          record.status = status;
        }
      } catch (err) {
        record.connectionErrors.push(`${backend}: ${err instanceof Error ? err.message : String(err)}`);
        await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS));
      }
    }
    record.latencyMs = Date.now() - started;
    requests.push(record);
    return record;
  }

  function create(): void {
    const n = counter++;
    const appointmentId = `${options.idPrefix}-${n}`;
    const phone = `+39347${String(1_000_000 + n).padStart(7, '0')}`;
    phones.set(appointmentId, phone);
    byPhone.set(phone, appointmentId);
    const body = JSON.stringify({
      appointmentId,
      startsAt: new Date(Date.now() + HOUR_MS).toISOString(),
      client: { name: `Client ${n}`, phone, smsConsent: true },
      reminders: [{ before: `PT${Math.round((HOUR_MS - options.reminderDueMs) / 1000)}S`, channel: 'sms' }],
    });
    track(
      send('create', appointmentId, phone, () => ({
        path: '/v1/appointments',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${options.apiKey}` },
        body,
      })).then(() => undefined),
    );
  }

  function reply(appointmentId: string, phone: string): void {
    // One MessageSid per reply, kept across retries: Twilio's own id for the inbound message.
    const form: Record<string, string> = {
      MessageSid: `SM${randomBytes(16).toString('hex')}`,
      AccountSid: options.twilio.accountSid,
      From: phone,
      To: options.practiceNumber,
      Body: 'C',
      NumMedia: '0',
    };
    const signature = signTwilioRequest(options.twilio.authToken, `${options.publicBaseUrl}/webhooks/twilio/sms`, form);
    track(
      send('reply', appointmentId, phone, () => ({
        path: '/webhooks/twilio/sms',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
        body: new URLSearchParams(form).toString(),
      })).then(() => undefined),
    );
  }

  const createTimer = setInterval(() => {
    if (creating) create();
  }, 1000 / options.createsPerSecond);
  const replyTimer = setInterval(() => {
    if (!replying) return;
    const messages = options.twilio.messages;
    for (; seenMessages < messages.length; seenMessages++) {
      const message = messages[seenMessages];
      const appointmentId = byPhone.get(message.to);
      if (appointmentId === undefined || replied.has(appointmentId)) continue;
      replied.add(appointmentId);
      reply(appointmentId, message.to);
    }
  }, 200);

  return {
    requests,
    phones,
    async stopCreating() {
      creating = false;
      clearInterval(createTimer);
      await Promise.all([...inFlight]);
    },
    async finish(timeoutMs) {
      creating = false;
      clearInterval(createTimer);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        await Promise.all([...inFlight]);
        const created = requests.filter((r) => r.kind === 'create' && isSuccess(r.status));
        if (created.every((r) => replied.has(r.appointmentId)) || Date.now() > deadline) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      replying = false;
      clearInterval(replyTimer);
      await Promise.all([...inFlight]);
    },
  };
}

/** How a request the client gave up waiting for is recorded among the connection errors. */
export const NO_ANSWER = 'no answer';

export const isSuccess = (status: number | null): boolean => status !== null && status >= 200 && status < 300;

/** One connection per request (no keep-alive): an error here means no answer came, never a stale pooled socket. */
function post(url: string, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent: false, headers: { ...headers, 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
        res.once('error', reject);
      },
    );
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`${NO_ANSWER} within ${REQUEST_TIMEOUT_MS} ms`)));
    req.once('error', reject);
    req.end(body);
  });
}
