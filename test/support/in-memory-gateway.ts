import { randomBytes } from 'node:crypto';
import {
  GatewayError,
  type OutboundMessage,
  type ProviderMessage,
  type SentMessage,
  type SentMessageQuery,
  type MessageGateway,
} from '../../gateways/message-gateway';
import type { Channel } from '../../domain/appointment';

// A MessageGateway for tests of the send activity, for either channel. It plays the provider
// too: every message it accepted is kept with its id and creation time, and findSent()
// searches them the way the provider does: Twilio's message list by to, from, body and
// creation time; SendGrid's activity feed by our reference. Each call to send() takes the
// next scripted answer (accept by default).

type Answer = { accept: true } | { fail: GatewayError; accepted: boolean };

export interface StoredMessage extends OutboundMessage {
  providerId: string;
  status: string;
  createdAt: Date;
}

export class InMemoryGateway implements MessageGateway {
  readonly name = 'simulator';
  /** An in-memory call ends at once; set it to model a provider call that may take this long. */
  sendTimeoutMs = 0;
  /** Every message the provider took, in order, whatever it answered (what reached the client). */
  readonly sent: OutboundMessage[] = [];
  readonly queries: SentMessageQuery[] = [];
  readonly messages: StoredMessage[] = [];
  private readonly script: Answer[] = [];
  private queueGone: Promise<void> = Promise.resolve();

  constructor(readonly channel: Channel = 'sms') {}

  /** The next send() fails with a permanent provider error (e.g. 21211 invalid number). */
  failPermanently(code: string, explanation: string): this {
    this.script.push({ fail: new GatewayError({ code, permanent: true, explanation }), accepted: false });
    return this;
  }

  /**
   * The next send() fails with a transient error the provider may have accepted the message
   * behind (5xx, timeout, dropped connection); here it did not.
   */
  failTransiently(code: string, explanation: string): this {
    this.script.push({ fail: new GatewayError({ code, permanent: false, explanation }), accepted: false });
    return this;
  }

  /** The next send() is refused in a way that proves the provider never took it (connection refused, 429). */
  refuseTransiently(code: string, explanation: string): this {
    const fail = new GatewayError({ code, permanent: false, maybeAccepted: false, explanation });
    this.script.push({ fail, accepted: false });
    return this;
  }

  /** The next send() is accepted by the provider, and then fails as if its answer was lost (a 500 after queuing). */
  acceptThenFail(code: string, explanation: string): this {
    this.script.push({ fail: new GatewayError({ code, permanent: false, explanation }), accepted: true });
    return this;
  }

  /** The provider holds this message although nobody heard of it (an attempt whose answer was lost). */
  holds(sms: OutboundMessage, createdAt = new Date()): StoredMessage {
    const message = { ...sms, providerId: newSid(), status: 'sent', createdAt };
    this.messages.push(message);
    this.sent.push(sms);
    return message;
  }

  send(sms: OutboundMessage): Promise<SentMessage> {
    const answer = this.script.shift() ?? { accept: true };
    if ('fail' in answer) {
      if (answer.accepted) this.holds(sms);
      return Promise.reject(answer.fail);
    }
    const message = this.holds(sms);
    return Promise.resolve({ providerId: message.providerId, status: 'queued' });
  }

  findSent(query: SentMessageQuery): Promise<ProviderMessage[]> {
    this.queries.push(query);
    const found = this.messages
      .filter((m) =>
        this.channel === 'email'
          ? m.reference === query.reference
          : m.to === query.to && m.from === query.from && m.body === query.body,
      )
      .filter((m) => m.createdAt >= query.sentAfter)
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
      .map(({ providerId, status, createdAt }) => ({ providerId, status, createdAt }));
    return Promise.resolve(found);
  }

  untilNoCallWaits(): Promise<void> {
    return this.queueGone;
  }

  /**
   * From now on calls wait for a connection (a burst behind the provider's limit), as
   * untilNoCallWaits() reports, until the returned function lets them through.
   */
  queueCalls(): () => void {
    let release: () => void = () => undefined;
    this.queueGone = new Promise((resolve) => (release = resolve));
    return () => {
      this.queueGone = Promise.resolve();
      release();
    };
  }
}

function newSid(): string {
  return `SM${randomBytes(16).toString('hex')}`;
}
