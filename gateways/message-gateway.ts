/**
 * The contract every message sender implements (Twilio and SendGrid, and the simulators that
 * stand in for them), so one send activity serves both channels without knowing which
 * provider is configured.
 */
import type { Channel } from '../domain/appointment';

export interface OutboundMessage {
  /** A phone number (SMS) or an email address. */
  to: string;
  /** An E.164 number or a Twilio Messaging Service SID (MG…) for SMS; the sender's address for email. */
  from: string;
  /** The text: the SMS itself, or an email's plain-text part. */
  body: string;
  /** Emails only. */
  subject?: string;
  /** Emails only: the HTML part. */
  html?: string;
  /**
   * Our message log id. A provider that can carry it (SendGrid's custom args) echoes it in
   * its event webhooks and finds the message by it; Twilio cannot, and ignores it.
   */
  reference?: string;
  /** Where the provider posts delivery status changes (Twilio's StatusCallback). */
  statusCallback?: string;
}

export interface SentMessage {
  providerId: string;
  status: string;
}

/** A message the provider holds, as its message list reports it. */
export interface ProviderMessage extends SentMessage {
  /** When the provider created it (its clock). */
  createdAt: Date;
}

export interface SentMessageQuery {
  to: string;
  from: string;
  body: string;
  subject?: string;
  /** Our message log id, for providers that find messages by it. */
  reference?: string;
  sentAfter: Date;
}

export interface MessageGateway {
  readonly channel: Channel;
  /** Which provider this is, for logs ("twilio", "sendgrid", "simulator"). */
  readonly name: string;
  /**
   * The longest a send() can take before it settles, answered or not. A caller that must
   * be done by a deadline starts a send only with at least this much time left.
   */
  readonly sendTimeoutMs: number;
  send(message: OutboundMessage): Promise<SentMessage>;
  /**
   * Every message with exactly this to/from/body (and reference, where the provider keeps
   * one) that the provider created at or after `sentAfter`, oldest first. Lets a retried
   * send discover that an earlier attempt already went out (the worker died, or the
   * provider's answer was lost), so nothing is sent twice. Several can match: messages with
   * the same text to the same number (two reminders of one appointment) are
   * indistinguishable at Twilio, so the caller decides which is whose.
   */
  findSent(query: SentMessageQuery): Promise<ProviderMessage[]>;
  /**
   * Resolves once no call to the provider waits for a connection (at once when none does; a
   * provider without a connection limit never makes one wait). Work that can wait, such as
   * recording a message the provider took, yields to sends queued behind the limit.
   */
  untilNoCallWaits(): Promise<void>;
}

export interface GatewayErrorInit {
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

export class GatewayError extends Error {
  readonly code: string;
  readonly permanent: boolean;
  readonly maybeAccepted: boolean;
  readonly explanation: string;
  readonly httpStatus?: number;

  constructor(init: GatewayErrorInit) {
    super(init.message ?? init.explanation, { cause: init.cause });
    // Temporal names converted activity failures after `name`, so keep it specific.
    this.name = 'GatewayError';
    this.code = init.code;
    this.permanent = init.permanent;
    this.maybeAccepted = init.maybeAccepted ?? true;
    this.explanation = init.explanation;
    if (init.httpStatus !== undefined) this.httpStatus = init.httpStatus;
  }
}
