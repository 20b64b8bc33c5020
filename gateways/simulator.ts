/**
 * Stand-in MessageGateways for installations without Twilio credentials or a SendGrid key:
 * nothing leaves the machine, and every "send" is logged loudly so nobody mistakes it for a
 * delivery. Like every log line, it shows the recipient masked and the text as its length only
 * (lib/mask.ts): the full message is in the message log (`GET /v1/messages`, by the id logged). One simulator, told apart by channel only where the providers differ: how a
 * message is described in the log, and how findSent() matches (Twilio's message list by
 * to/from/body since a time; SendGrid's activity feed by our reference).
 */
import { randomBytes } from 'node:crypto';
import type { Channel } from '../domain/appointment';
import { maskAddress, maskText } from '../lib/mask';
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
  message: OutboundMessage;
  providerId: string;
  at: Date;
}

const DESCRIBE: Record<Channel, (message: OutboundMessage) => string> = {
  sms: (sms) => `to ${maskAddress(sms.to)} from ${maskAddress(sms.from)} body ${maskText(sms.body)}`,
  email: (email) =>
    `email to ${maskAddress(email.to)} from ${maskAddress(email.from)} subject ${maskText(email.subject)} body ${maskText(email.body)}`,
};

const MATCHES: Record<Channel, (send: SimulatedSend, query: SentMessageQuery) => boolean> = {
  sms: ({ message, at }, query) =>
    at >= query.sentAfter && message.to === query.to && message.from === query.from && message.body === query.body,
  email: ({ message }, query) => query.reference !== undefined && message.reference === query.reference,
};

function createSimulator(channel: Channel, log: (line: string) => void): MessageGateway {
  // In memory only: after a restart findSent forgets earlier sends, which at worst logs a
  // simulated message twice — acceptable, since nothing is delivered.
  const sends: SimulatedSend[] = [];

  return {
    channel,
    name: 'simulator',
    sendTimeoutMs: 0,

    send(message: OutboundMessage): Promise<SentMessage> {
      const providerId = `SIM${randomBytes(16).toString('hex')}`;
      sends.push({ message, providerId, at: new Date() });
      if (sends.length > REMEMBERED_SENDS) sends.shift();
      const reference = message.reference === undefined ? '' : `, message ${message.reference}`;
      log(`SIMULATED, NOT DELIVERED: ${DESCRIBE[channel](message)} (id ${providerId}${reference})`);
      return Promise.resolve({ providerId, status: 'simulated' });
    },

    findSent(query: SentMessageQuery): Promise<ProviderMessage[]> {
      const found = sends
        .filter((send) => MATCHES[channel](send, query))
        .map(({ providerId, at }) => ({ providerId, status: 'simulated', createdAt: at }));
      return Promise.resolve(found);
    },

    untilNoCallWaits: () => Promise.resolve(),
  };
}

export function createSmsSimulator(log: (line: string) => void): MessageGateway {
  return createSimulator('sms', log);
}

export function createEmailSimulator(log: (line: string) => void): MessageGateway {
  return createSimulator('email', log);
}
