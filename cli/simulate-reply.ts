import { randomBytes } from 'node:crypto';
import twilio from 'twilio';
import { loadConfig } from '../config';
import type { PrismaClient } from '../db/client';
import { isE164Phone, isMessagingServiceSid } from '../domain/fields';
import { NotFoundError } from '../lib/errors';

// `npm run cli -- simulate reply`: plays a client texting the practice, without Twilio. It posts
// an inbound SMS to the running API's real webhook (/webhooks/twilio/sms), signed as Twilio signs
// it, and prints the answer the API gives Twilio to text back. Signed with Twilio's auth token
// when it is configured, else with the development token `npm run dev` keeps in `.data/` (which
// the API accepts only while Twilio is not configured).

/** The command cannot run as asked; the message says why, in one line. */
export class SimulateReplyError extends Error {}

export const SIMULATE_REPLY_USAGE = `simulate reply --from <E.164> --body <text> [--to <practice number> | --practice <id>] [--url <base>]
                  texts the running API as a client would (through Twilio's webhook, signed) and
                  prints its answer, or "no answer"; --practice defaults to demo, --url to PUBLIC_BASE_URL`;

/** Twilio gives up on a webhook after 15 s. */
const TIMEOUT_MS = 15_000;

export const simulateReplyCommand = {
  usage: SIMULATE_REPLY_USAGE,
  options: {
    from: { type: 'string' },
    body: { type: 'string' },
    to: { type: 'string' },
    practice: { type: 'string' },
    url: { type: 'string' },
  } as Record<string, { type: 'string' }>,
  run: (prisma: PrismaClient, values: Record<string, string | string[] | undefined>) =>
    simulateReply(prisma, values as Record<string, string | undefined>),
};

async function simulateReply(prisma: PrismaClient, v: Record<string, string | undefined>): Promise<string> {
  const from = v.from ?? '';
  if (!isE164Phone(from))
    throw new SimulateReplyError("--from must be the client's number in E.164, e.g. +393471234567.");
  if (v.body === undefined) throw new SimulateReplyError('--body is required: the text the client sends, e.g. C.');
  if (v.to !== undefined && v.practice !== undefined)
    throw new SimulateReplyError('Give --to or --practice, not both.');
  if (v.to !== undefined && !isE164Phone(v.to))
    throw new SimulateReplyError('--to must be the practice number in E.164, e.g. +15005550006.');

  const config = loadConfig();
  const token = config.twilio?.authToken ?? config.twilioDevWebhookToken;
  if (!token) {
    throw new SimulateReplyError(
      'No token to sign the webhook with: start the API with `npm run dev` (without Twilio it makes one in .data/), ' +
        'or set TWILIO_DEV_WEBHOOK_TOKEN to the token the API was given.',
    );
  }
  const params: Record<string, string> = {
    MessageSid: `SM${randomBytes(16).toString('hex')}`,
    AccountSid: config.twilio?.accountSid ?? `AC${'0'.repeat(32)}`,
    From: from,
    Body: v.body,
    NumMedia: '0',
    ...(await recipientOf(prisma, v)),
  };
  const base = (v.url ?? config.publicBaseUrl).replace(/\/+$/, '');
  const url = `${base}/webhooks/twilio/sms`;

  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilio.getExpectedTwilioSignature(token, url, params),
      },
      body: new URLSearchParams(params).toString(),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new SimulateReplyError(
      `Could not reach the API at ${base} (${cause}): is \`npm run dev\` running? Give --url if it listens elsewhere.`,
    );
  }
  const text = await response.text();
  if (response.status === 403) {
    throw new SimulateReplyError(
      `The API refused the signature (403: ${detailOf(text)}). It accepts the development token only while Twilio is ` +
        'not configured, and checks signatures against its PUBLIC_BASE_URL: --url must be that address.',
    );
  }
  if (!response.ok) throw new SimulateReplyError(`The API answered ${response.status}: ${detailOf(text)}`);
  const answers = messagesOf(text);
  return answers.length > 0 ? answers.join('\n') : 'no answer';
}

/** `To` (and the messaging service, for a practice that sends through one) of the practice texted. */
async function recipientOf(prisma: PrismaClient, v: Record<string, string | undefined>) {
  if (v.to !== undefined) return { To: v.to };
  const id = v.practice ?? 'demo';
  const practice = await prisma.practice.findUnique({ where: { id } });
  if (!practice) throw new NotFoundError(`No practice "${id}"; give --practice <id> or --to <its number>.`);
  if (isMessagingServiceSid(practice.smsFrom)) {
    throw new SimulateReplyError(
      `Practice "${id}" sends through a messaging service (${practice.smsFrom}): give --to <one of its numbers>.`,
    );
  }
  return { To: practice.smsFrom };
}

function detailOf(body: string): string {
  try {
    const problem = JSON.parse(body) as { detail?: unknown };
    if (typeof problem.detail === 'string') return problem.detail;
  } catch {
    // not problem+json: the text itself
  }
  return body.trim().slice(0, 200) || '(empty answer)';
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** The texts of a TwiML answer's <Message> elements, as Twilio would send them. */
export function messagesOf(twiml: string): string[] {
  return [...twiml.matchAll(/<Message(?:\s[^>]*)?>([\s\S]*?)<\/Message>/g)].map((found) =>
    found[1].replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (entity: string, name: string) => {
      if (name.startsWith('#x') || name.startsWith('#X')) return String.fromCodePoint(parseInt(name.slice(2), 16));
      if (name.startsWith('#')) return String.fromCodePoint(Number(name.slice(1)));
      return ENTITIES[name] ?? entity;
    }),
  );
}
