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

/** A message the provider holds, as its message list reports it. */
export interface ProviderSms extends SentSms {
  /** When the provider created it (its clock). */
  createdAt: Date;
}

export interface SentSmsQuery {
  to: string;
  from: string;
  body: string;
  sentAfter: Date;
}

export interface SmsGateway {
  readonly name: 'twilio' | 'simulator';
  /**
   * The longest a send() can take before it settles, answered or not. A caller that must
   * be done by a deadline starts a send only with at least this much time left.
   */
  readonly sendTimeoutMs: number;
  send(sms: OutboundSms): Promise<SentSms>;
  /**
   * Every message with exactly this to/from/body that the provider created at or after
   * `sentAfter`, oldest first. Lets a retried send discover that an earlier attempt already
   * went out (the worker died, or the provider's answer was lost), so nothing is sent twice.
   * Several can match: messages with the same text to the same number (two reminders of one
   * appointment) are indistinguishable at the provider, so the caller decides which is whose.
   */
  findSent(query: SentSmsQuery): Promise<ProviderSms[]>;
}

export interface SmsGatewayErrorInit {
  /** The provider's error code ("21610"), a network error code ("ECONNRESET"), or "HTTP_<status>". */
  code: string;
  /** True when sending the same message again cannot succeed, so retrying is pointless. */
  permanent: boolean;
  /**
   * False only when the failure proves the provider did not take the message (it refused
   * it, or the request never left: connection refused, no DNS). True, the default, when it
   * may have: a timeout, a dropped connection or a 5xx can come after the provider queued
   * it, so the next attempt must ask the provider before sending again.
   */
  maybeAccepted?: boolean;
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
  readonly maybeAccepted: boolean;
  readonly explanation: string;
  readonly httpStatus?: number;

  constructor(init: SmsGatewayErrorInit) {
    super(init.message ?? init.explanation, { cause: init.cause });
    // Temporal names converted activity failures after `name`, so keep it specific.
    this.name = 'SmsGatewayError';
    this.code = init.code;
    this.permanent = init.permanent;
    this.maybeAccepted = init.maybeAccepted ?? true;
    this.explanation = init.explanation;
    if (init.httpStatus !== undefined) this.httpStatus = init.httpStatus;
  }
}
