import { randomBytes } from 'node:crypto';
import {
  SmsGatewayError,
  type OutboundSms,
  type SentSms,
  type SentSmsQuery,
  type SmsGateway,
} from '../../gateways/sms';

// An SmsGateway for tests of the send activity: it records what it is asked, and each call
// to send() takes the next scripted answer (accept by default).

type Answer = { accept: true } | { fail: SmsGatewayError };

export class InMemorySmsGateway implements SmsGateway {
  readonly name = 'simulator' as const;
  readonly sent: OutboundSms[] = [];
  readonly queries: SentSmsQuery[] = [];
  private readonly script: Answer[] = [];
  private found: SentSms | null = null;

  /** The next send() fails with a permanent provider error (e.g. 21211 invalid number). */
  failPermanently(code: string, explanation: string): this {
    this.script.push({ fail: new SmsGatewayError({ code, permanent: true, explanation }) });
    return this;
  }

  /** The next send() fails with a transient error (5xx, network). */
  failTransiently(code: string, explanation: string): this {
    this.script.push({ fail: new SmsGatewayError({ code, permanent: false, explanation }) });
    return this;
  }

  /** findSent() answers with this message (a send the provider accepted although we never heard back). */
  holdsSent(message: SentSms | null): this {
    this.found = message;
    return this;
  }

  send(sms: OutboundSms): Promise<SentSms> {
    const answer = this.script.shift() ?? { accept: true };
    if ('fail' in answer) return Promise.reject(answer.fail);
    this.sent.push(sms);
    return Promise.resolve({ providerId: `SM${randomBytes(16).toString('hex')}`, status: 'queued' });
  }

  findSent(query: SentSmsQuery): Promise<SentSms | null> {
    this.queries.push(query);
    return Promise.resolve(this.found);
  }
}
