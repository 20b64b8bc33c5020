/**
 * Stand-in MessageGateway for installations without a SendGrid key: nothing leaves the
 * machine, and every "send" is logged loudly so nobody mistakes it for a delivery.
 */
import { randomBytes } from 'node:crypto';
import type {
  MessageGateway,
  OutboundMessage,
  ProviderMessage,
  SentMessage,
  SentMessageQuery,
} from './message-gateway';

// Reconciliation only looks back over recent sends; the cap keeps a long-running
// process from growing without bound.
const REMEMBERED_SENDS = 10_000;

interface SimulatedSend {
  reference: string;
  providerId: string;
  at: Date;
}

export function createEmailSimulator(log: (line: string) => void): MessageGateway {
  // In memory only: after a restart findSent forgets earlier sends, which at worst logs a
  // simulated email twice — acceptable, since nothing is delivered.
  const sends: SimulatedSend[] = [];

  return {
    channel: 'email',
    name: 'simulator',
    sendTimeoutMs: 0,

    send(email: OutboundMessage): Promise<SentMessage> {
      const providerId = `SIM${randomBytes(16).toString('hex')}`;
      if (email.reference !== undefined) {
        sends.push({ reference: email.reference, providerId, at: new Date() });
        if (sends.length > REMEMBERED_SENDS) sends.shift();
      }
      // Subject and addresses say which email it was; the body (a confirm link among it) stays out of the log.
      log(
        `SIMULATED, NOT DELIVERED: email to ${email.to} from ${email.from} subject ${JSON.stringify(email.subject ?? '')} (id ${providerId})`,
      );
      return Promise.resolve({ providerId, status: 'simulated' });
    },

    // Like SendGrid's, by reference only.
    findSent(query: SentMessageQuery): Promise<ProviderMessage[]> {
      const found = sends
        .filter(({ reference }) => query.reference !== undefined && reference === query.reference)
        .map(({ providerId, at }) => ({ providerId, status: 'simulated', createdAt: at }));
      return Promise.resolve(found);
    },
  };
}
