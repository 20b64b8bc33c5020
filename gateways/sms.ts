/**
 * The contract every SMS sender implements, so activities can switch between Twilio and
 * the simulator without knowing which one is configured.
 */

export interface OutboundSms {
  to: string;
  /** An E.164 number, or a Twilio Messaging Service SID (MG…) to send from its sender pool. */
  from: string;
  body: string;
  statusCallback?: string;
}

export interface SentSms {
  providerId: string;
  status: string;
}

export interface SentSmsQuery {
  to: string;
  from: string;
  body: string;
  sentAfter: Date;
}

export interface SmsGateway {
  readonly name: 'twilio' | 'simulator';
  send(sms: OutboundSms): Promise<SentSms>;
  /**
   * The message with exactly this to/from/body that the provider accepted at or after
   * `sentAfter`, or null. Lets a retried send discover that an earlier attempt already
   * went out (the worker died, or the provider's answer was lost), so nothing is sent twice.
   */
  findSent(query: SentSmsQuery): Promise<SentSms | null>;
}

export interface SmsGatewayErrorInit {
  /** The provider's error code ("21610"), a network error code ("ECONNRESET"), or "HTTP_<status>". */
  code: string;
  /** True when sending the same message again cannot succeed, so retrying is pointless. */
  permanent: boolean;
  /** What went wrong, worded for practice staff. */
  explanation: string;
  /** The provider's own wording, for logs; defaults to the explanation. */
  message?: string;
  httpStatus?: number;
  cause?: unknown;
}

export class SmsGatewayError extends Error {
  readonly code: string;
  readonly permanent: boolean;
  readonly explanation: string;
  readonly httpStatus?: number;

  constructor(init: SmsGatewayErrorInit) {
    super(init.message ?? init.explanation, { cause: init.cause });
    // Temporal names converted activity failures after `name`, so keep it specific.
    this.name = 'SmsGatewayError';
    this.code = init.code;
    this.permanent = init.permanent;
    this.explanation = init.explanation;
    if (init.httpStatus !== undefined) this.httpStatus = init.httpStatus;
  }
}
