/**
 * MessageGateway over SendGrid's v3 Mail Send API, through the official SDK, finding earlier
 * attempts through SendGrid's Email Activity API.
 */
import { Client } from '@sendgrid/client';
import type { ClientRequest } from '@sendgrid/client/src/request';
import { MailService } from '@sendgrid/mail';
import {
  GatewayError,
  type MessageGateway,
  type OutboundMessage,
  type ProviderMessage,
  type SentMessage,
  type SentMessageQuery,
} from './message-gateway';
import { classifySendGridError } from './sendgrid-errors';
import { errorMessage, numberField, unexpectedFailure } from './transport-errors';

export interface SendGridGatewayOptions {
  apiKey: string;
  /** Send API calls here instead of https://api.sendgrid.com (a proxy, or a fake in tests). */
  apiBaseUrl?: string;
  /** The most one API call may take, answer included; SENDGRID_HTTP_TIMEOUT_MS unless set. */
  timeoutMs?: number;
}

/**
 * The most one call to SendGrid may take, from sending the request to the last byte of the
 * answer (the SDK has no timeout of its own). SendGrid answers a mail send or an activity
 * query in well under a second; the rest is room for a slow day.
 */
export const SENDGRID_HTTP_TIMEOUT_MS = 10_000;

/** API calls one findSent() makes (one Email Activity query). */
export const SENDGRID_FIND_SENT_REQUESTS = 1;

/** The custom arg that carries our message log id; SendGrid's event webhooks echo it. */
export const SENDGRID_REFERENCE_ARG = 'message_id';

// A reference names one message-log row, so one request's email at most; the rest of the
// page is room for a reference that somehow went out twice, which findSent must report.
const FIND_SENT_LIMIT = 10;

export function createSendGridGateway(options: SendGridGatewayOptions): MessageGateway {
  const timeoutMs = options.timeoutMs ?? SENDGRID_HTTP_TIMEOUT_MS;
  // Its own client and mail service, not the SDK's module-level singletons, which any other
  // code in the process (or a second gateway) could reconfigure.
  const client = new DeadlineClient(timeoutMs);
  client.setApiKey(options.apiKey);
  // setApiKey resets the base URL to SendGrid's own, so this must come after it.
  if (options.apiBaseUrl) client.setDefaultRequest('baseUrl', options.apiBaseUrl);
  const mail = new MailService();
  mail.setClient(client);

  return {
    channel: 'email',
    name: 'sendgrid',
    sendTimeoutMs: timeoutMs,

    async send(email: OutboundMessage): Promise<SentMessage> {
      let providerId: string | undefined;
      try {
        const [response] = await mail.send({
          to: email.to,
          from: email.from,
          // SendGrid refuses an email without a subject (400), which says more than a check here.
          subject: email.subject as string,
          text: email.body,
          ...(email.html === undefined ? {} : { html: email.html }),
          ...(email.reference === undefined ? {} : { customArgs: { [SENDGRID_REFERENCE_ARG]: email.reference } }),
        });
        providerId = headerValue(response.headers, 'x-message-id');
      } catch (err) {
        throw classifySendGridError(err);
      }
      if (providerId === undefined) {
        // SendGrid took the email (202) and did not say under which id. Sending again would
        // double it, and no id means no delivery events can be matched to it.
        throw new GatewayError({
          code: 'NO_MESSAGE_ID',
          permanent: true,
          maybeAccepted: true,
          explanation: 'SendGrid accepted the email without giving it an id, so its delivery cannot be followed.',
        });
      }
      return { providerId, status: 'queued' };
    },

    async findSent(query: SentMessageQuery): Promise<ProviderMessage[]> {
      // Only the reference identifies an attempt: to, subject and text are shared by every
      // reminder of one appointment, and SendGrid's activity feed has no text to compare.
      if (query.reference === undefined) return [];
      const search = `unique_args['${SENDGRID_REFERENCE_ARG}']="${query.reference}"`;
      let body: unknown;
      try {
        const [response] = await client.request({
          method: 'GET',
          url: `/v3/messages?query=${encodeURIComponent(search)}&limit=${FIND_SENT_LIMIT}`,
        });
        body = response.body;
      } catch (err) {
        const httpStatus = numberField(err, 'code');
        if (httpStatus === 401 || httpStatus === 403 || httpStatus === 404) {
          throw emailActivityUnavailable(err, httpStatus);
        }
        throw classifySendGridError(err);
      }
      return toProviderMessages(body);
    },

    // Calls to SendGrid are not bounded here (Node's agent opens a connection per call): none waits.
    untilNoCallWaits: () => Promise.resolve(),
  };
}

/**
 * The SDK's client with every request ended by its deadline, answer included. The SDK has
 * no timeout by default, and axios's `timeout` only bounds each pause on the socket, so a
 * trickling answer could outlast the activity attempt and overlap its retry; an AbortSignal
 * does not. Every call (mail.send and the activity query) builds its request here.
 */
class DeadlineClient extends Client {
  constructor(private readonly timeoutMs: number) {
    super();
  }

  override createRequest(data: ClientRequest): ClientRequest {
    // The SDK's request type lists no `signal`, but the request goes to axios as it is.
    return { ...super.createRequest(data), signal: AbortSignal.timeout(this.timeoutMs) } as ClientRequest;
  }
}

/**
 * Without the Email Activity API nobody can tell whether an attempt whose answer was lost
 * reached SendGrid. Never doubled wins over never lost: the email is not sent again.
 */
function emailActivityUnavailable(err: unknown, httpStatus: number): GatewayError {
  const reason = classifySendGridError(err).message;
  return new GatewayError({
    code: 'EMAIL_ACTIVITY_UNAVAILABLE',
    permanent: true,
    maybeAccepted: true,
    httpStatus,
    explanation:
      'An earlier attempt to send this email may have reached SendGrid, and SendGrid would not say whether it did: ' +
      `its Email Activity API answered HTTP ${httpStatus} (${reason}). It needs the Email Activity history add-on ` +
      'and an API key with Email Activity access. The email is not sent again, so that it cannot arrive twice.',
    message: reason,
    cause: err,
  });
}

interface ActivityMessage {
  msg_id?: unknown;
  status?: unknown;
  last_event_time?: unknown;
}

/** The activity feed's messages, one per X-Message-Id, oldest first. */
function toProviderMessages(body: unknown): ProviderMessage[] {
  const messages = (body as { messages?: unknown } | null | undefined)?.messages;
  if (!Array.isArray(messages)) {
    throw unexpectedFailure(new Error(`SendGrid's Email Activity answer has no messages list: ${preview(body)}`));
  }
  const byId = new Map<string, ProviderMessage>();
  for (const message of messages as ActivityMessage[]) {
    if (typeof message.msg_id !== 'string' || message.msg_id === '') continue;
    // msg_id is the X-Message-Id, a dot, and SendGrid's per-recipient suffix.
    const providerId = message.msg_id.split('.')[0];
    const lastEvent = typeof message.last_event_time === 'string' ? Date.parse(message.last_event_time) : NaN;
    const found: ProviderMessage = {
      providerId,
      status: typeof message.status === 'string' ? message.status : 'unknown',
      // The feed has no creation time; its last event is at or after it, which is all the
      // caller's "sent after" reading needs.
      createdAt: Number.isNaN(lastEvent) ? new Date() : new Date(lastEvent),
    };
    const earlier = byId.get(providerId);
    if (!earlier || found.createdAt < earlier.createdAt) byId.set(providerId, found);
  }
  return [...byId.values()].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
}

/** A header of the SDK's response: axios lower-cases names, and may hold them in an AxiosHeaders. */
function headerValue(headers: unknown, name: string): string | undefined {
  const value: unknown =
    typeof headers === 'object' && headers !== null ? (headers as Record<string, unknown>)[name] : undefined;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function preview(value: unknown): string {
  try {
    return JSON.stringify(value)?.slice(0, 200) ?? String(value);
  } catch (err) {
    return errorMessage(err);
  }
}
