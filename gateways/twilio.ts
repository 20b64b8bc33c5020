/**
 * SmsGateway over Twilio's Programmable Messaging REST API, through the official SDK.
 */
import twilio from 'twilio';
import RequestClient from 'twilio/lib/base/RequestClient';
import type { MessageInstance, MessageListInstanceOptions } from 'twilio/lib/rest/api/v2010/account/message';
import type { OutboundSms, SentSms, SentSmsQuery, SmsGateway } from './sms';
import { isMessagingServiceSid } from '../domain/fields';
import { classifyTwilioError } from './twilio-errors';

export interface TwilioGatewayOptions {
  accountSid: string;
  authToken: string;
  /** Send REST calls here instead of https://api.twilio.com (a proxy, or a fake in tests). */
  apiBaseUrl?: string;
  /** Per-request timeout; the SDK's default is 30 s. */
  timeoutMs?: number;
}

// A reconciliation looks at the last few messages to one client from one sender since a
// recent instant; a page of this size is far more than that can hold.
const FIND_SENT_LIMIT = 50;

export function createTwilioGateway(options: TwilioGatewayOptions): SmsGateway {
  const client = twilio(options.accountSid, options.authToken, {
    // No SDK-level retries: Temporal's retry policy owns retrying, with findSent in between.
    autoRetry: false,
    timeout: options.timeoutMs,
    httpClient: options.apiBaseUrl
      ? new RebasingRequestClient(options.apiBaseUrl, { timeout: options.timeoutMs })
      : undefined,
  });

  async function latestMatch(query: SentSmsQuery, filterByDateSent: boolean): Promise<SentSms | null> {
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
    const hit = (await client.messages.list(filter)).find(isMatch);
    return hit ? { providerId: hit.sid, status: hit.status } : null;
  }

  return {
    name: 'twilio',

    async send(sms: OutboundSms): Promise<SentSms> {
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

    async findSent(query: SentSmsQuery): Promise<SentSms | null> {
      try {
        // DateSent narrows the search to messages already handed to the carrier; a message
        // still queued (or accepted by a Messaging Service) has no date_sent yet, so fall
        // back to the newest messages to that number without the date filter.
        return (await latestMatch(query, true)) ?? (await latestMatch(query, false));
      } catch (err) {
        throw classifyTwilioError(err);
      }
    },
  };
}

/**
 * The SDK builds absolute https://api.twilio.com/… URLs and has no base-URL option, so
 * this client moves them onto `baseUrl`, keeping path and query (and any path prefix of
 * `baseUrl`, for proxies mounted under one).
 */
class RebasingRequestClient extends RequestClient {
  private readonly baseUrl: string;

  constructor(baseUrl: string, opts: RequestClient.RequestClientOptions) {
    super(opts);
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    const url = new URL(opts.uri);
    // TWILIO_REGION / TWILIO_EDGE turn the host into api.<edge>.<region>.twilio.com.
    const isRestApi = url.hostname === 'api.twilio.com' || /^api\.[a-z0-9.-]+\.twilio\.com$/.test(url.hostname);
    const uri = isRestApi ? `${this.baseUrl}${url.pathname}${url.search}` : opts.uri;
    return super.request({ ...opts, uri });
  }
}
