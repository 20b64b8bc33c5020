/**
 * Stand-in MessageGateway for installations without Twilio credentials: nothing leaves the
 * machine, and every "send" is logged loudly so nobody mistakes it for a delivery.
 */
import { randomBytes } from 'node:crypto';
import type {
  OutboundMessage,
  ProviderMessage,
  SentMessage,
  SentMessageQuery,
  MessageGateway,
} from './message-gateway';

// Reconciliation only looks back over recent sends; the cap keeps a long-running
// process from growing without bound.
const REMEMBERED_SENDS = 10_000;

interface SimulatedSend {
  sms: OutboundMessage;
  providerId: string;
  at: Date;
}

export function createSmsSimulator(log: (line: string) => void): MessageGateway {
  // In memory only: after a restart findSent forgets earlier sends, which at worst logs a
  // simulated message twice — acceptable, since nothing is delivered.
  const sends: SimulatedSend[] = [];

  return {
    channel: 'sms',
    name: 'simulator',
    sendTimeoutMs: 0,

    send(sms: OutboundMessage): Promise<SentMessage> {
      const providerId = `SIM${randomBytes(16).toString('hex')}`;
      sends.push({ sms, providerId, at: new Date() });
      if (sends.length > REMEMBERED_SENDS) sends.shift();
      log(
        `SIMULATED, NOT DELIVERED: to ${sms.to} from ${sms.from} body ${JSON.stringify(sms.body)} (id ${providerId})`,
      );
      return Promise.resolve({ providerId, status: 'simulated' });
    },

    findSent(query: SentMessageQuery): Promise<ProviderMessage[]> {
      const found = sends
        .filter(
          ({ sms, at }) =>
            at >= query.sentAfter && sms.to === query.to && sms.from === query.from && sms.body === query.body,
        )
        .map(({ providerId, at }) => ({ providerId, status: 'simulated', createdAt: at }));
      return Promise.resolve(found);
    },
  };
}
