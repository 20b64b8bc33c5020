/**
 * MessageGateway over Twilio's Programmable Messaging REST API, through the official SDK.
 */
import { Agent } from 'node:http';
import twilio from 'twilio';
import RequestClient from 'twilio/lib/base/RequestClient';
import type { MessageInstance, MessageListInstanceOptions } from 'twilio/lib/rest/api/v2010/account/message';
import type {
  OutboundMessage,
  ProviderMessage,
  SentMessage,
  SentMessageQuery,
  MessageGateway,
} from './message-gateway';
import { DEFAULT_TWILIO_MAX_CONCURRENT_REQUESTS } from '../config';
import { isMessagingServiceSid } from '../domain/fields';
import { classifyTwilioError } from './twilio-errors';

export interface TwilioGatewayOptions {
  accountSid: string;
  authToken: string;
  /** Send REST calls here instead of https://api.twilio.com (a proxy, or a fake in tests). */
  apiBaseUrl?: string;
  /** The most one REST call may take, answer included; TWILIO_HTTP_TIMEOUT_MS unless set. */
  timeoutMs?: number;
  /** REST calls made at once (config TWILIO_MAX_CONCURRENT_REQUESTS); the rest wait for a connection. */
  maxConcurrentRequests?: number;
}

/**
 * The most one REST call to Twilio may take, from sending the request to the last byte of
 * the answer (the SDK's own default is 30 s, and only until the answer starts). Twilio
 * answers a create or a list in well under a second; the rest is room for a slow day. A
 * send attempt makes at most TWILIO_FIND_SENT_REQUESTS + 1 such calls, and its activity's
 * start-to-close timeout is sized on that (test/unit/sms-timeouts.test.ts).
 */
export const TWILIO_HTTP_TIMEOUT_MS = 10_000;

/** REST calls one findSent() makes (the message list with and without its date filter). */
export const TWILIO_FIND_SENT_REQUESTS = 2;

// A reconciliation looks at the last few messages to one client from one sender since a
// recent instant; a page of this size is far more than that can hold.
const FIND_SENT_LIMIT = 50;

export function createTwilioGateway(options: TwilioGatewayOptions): MessageGateway {
  const timeoutMs = options.timeoutMs ?? TWILIO_HTTP_TIMEOUT_MS;
  const connections = options.maxConcurrentRequests ?? DEFAULT_TWILIO_MAX_CONCURRENT_REQUESTS;
  const httpClient = new DeadlineRequestClient(
    {
      timeout: timeoutMs,
      keepAlive: true,
      maxSockets: connections,
      maxTotalSockets: connections,
    },
    options.apiBaseUrl,
  );
  // No SDK-level retries: Temporal's retry policy owns retrying, with findSent in between.
  const client = twilio(options.accountSid, options.authToken, { autoRetry: false, httpClient });

  async function listMatches(query: SentMessageQuery, filterByDateSent: boolean): Promise<MessageInstance[]> {
    const viaService = isMessagingServiceSid(query.from);
    const filter: MessageListInstanceOptions = { to: query.to, limit: FIND_SENT_LIMIT };
    // Twilio fills a message's `from` from the service's sender pool only once it leaves
    // the queue, so a service-sent message is matched on its service SID instead.
    if (!viaService) filter.from = query.from;
    if (filterByDateSent) filter.dateSentAfter = query.sentAfter;
    // Twilio's timestamps have whole seconds; truncating keeps a message created in the
    // same second as `sentAfter` in range.
    const notBefore = Math.floor(query.sentAfter.getTime() / 1000) * 1000;
    const isMatch = (m: MessageInstance): boolean =>
      m.body === query.body &&
      (viaService ? m.messagingServiceSid === query.from : m.from === query.from) &&
      m.dateCreated.getTime() >= notBefore;
    return (await client.messages.list(filter)).filter(isMatch);
  }

  return {
    channel: 'sms',
    name: 'twilio',
    sendTimeoutMs: timeoutMs,

    async send(sms: OutboundMessage): Promise<SentMessage> {
      try {
        const message = await client.messages.create({
          to: sms.to,
          body: sms.body,
          ...(isMessagingServiceSid(sms.from) ? { messagingServiceSid: sms.from } : { from: sms.from }),
          ...(sms.statusCallback === undefined ? {} : { statusCallback: sms.statusCallback }),
        });
        return { providerId: message.sid, status: message.status };
      } catch (err) {
        throw classifyTwilioError(err);
      }
    },

    async findSent(query: SentMessageQuery): Promise<ProviderMessage[]> {
      try {
        // DateSent narrows the search to messages already handed to the carrier; a message
        // still queued (or accepted by a Messaging Service) has no date_sent yet, so the
        // newest messages to that number are read without the date filter as well.
        const bySid = new Map<string, MessageInstance>();
        for (const m of await listMatches(query, true)) bySid.set(m.sid, m);
        for (const m of await listMatches(query, false)) bySid.set(m.sid, m);
        return [...bySid.values()]
          .sort((a, b) => a.dateCreated.getTime() - b.dateCreated.getTime())
          .map((m) => ({ providerId: m.sid, status: m.status, createdAt: m.dateCreated }));
      } catch (err) {
        throw classifyTwilioError(err);
      }
    },

    untilNoCallWaits: () => httpClient.untilNoRequestWaits(),
  };
}

/**
 * The SDK's RequestClient with three changes:
 * - every request ends by its timeout, answer included. The SDK's `timeout` only bounds the
 *   wait for the answer to start (and then each pause between its bytes), so a trickling
 *   answer could outlast the activity attempt and overlap its retry; an AbortSignal does not.
 * - with `baseUrl`, the absolute https://api.twilio.com/… URLs the SDK builds (it has no
 *   base-URL option) move onto it, keeping path and query (and any path prefix of
 *   `baseUrl`, for proxies mounted under one).
 * - it counts the requests it has under way, so that the gateway can tell when none waits
 *   for one of the `maxSockets` connections (untilNoCallWaits).
 */
class DeadlineRequestClient extends RequestClient {
  private readonly baseUrl: string | undefined;
  private readonly connections: number;
  /** Requests made and not yet settled: past `connections`, the rest wait for one. */
  private inFlight = 0;
  private noneWaiting: (() => void)[] = [];

  constructor(
    opts: RequestClient.RequestClientOptions & { timeout: number; maxSockets: number },
    baseUrl: string | undefined,
  ) {
    super(opts);
    this.baseUrl = baseUrl?.replace(/\/+$/, '');
    this.connections = opts.maxSockets;
    // The SDK bounds its https connections only; a plain http base URL (a proxy, the fake in
    // tests and benchmarks) gets the same bound, so it is measured as production runs.
    this.axios.defaults.httpAgent = new Agent({ keepAlive: true, maxSockets: opts.maxSockets });
    const timeout = opts.timeout;
    this.axios.interceptors.request.use((config) => {
      config.signal = AbortSignal.timeout(config.timeout || timeout);
      return config;
    });
  }

  override async request<TData>(opts: RequestClient.RequestOptions<TData>) {
    this.inFlight++;
    try {
      return await super.request(this.onBaseUrl(opts));
    } finally {
      this.inFlight--;
      // After this answer has reached its caller, and after the socket events already due.
      if (this.inFlight <= this.connections && this.noneWaiting.length > 0) setImmediate(() => this.releaseWaiters());
    }
  }

  /** Resolves once no request waits for a connection. */
  untilNoRequestWaits(): Promise<void> {
    if (this.inFlight <= this.connections) return Promise.resolve();
    return new Promise((resolve) => this.noneWaiting.push(resolve));
  }

  private releaseWaiters(): void {
    if (this.inFlight > this.connections) return;
    const waiters = this.noneWaiting;
    this.noneWaiting = [];
    for (const resolve of waiters) resolve();
  }

  private onBaseUrl<TData>(opts: RequestClient.RequestOptions<TData>): RequestClient.RequestOptions<TData> {
    if (this.baseUrl === undefined) return opts;
    const url = new URL(opts.uri);
    // TWILIO_REGION / TWILIO_EDGE turn the host into api.<edge>.<region>.twilio.com.
    const isRestApi = url.hostname === 'api.twilio.com' || /^api\.[a-z0-9.-]+\.twilio\.com$/.test(url.hostname);
    return isRestApi ? { ...opts, uri: `${this.baseUrl}${url.pathname}${url.search}` } : opts;
  }
}
