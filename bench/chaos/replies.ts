import { randomBytes } from 'node:crypto';
import { signTwilioRequest } from '../../test/support/fake-twilio';
import type { ReplyKeyword } from './scenario';

// Inbound SMS as Twilio posts them: form-encoded, signed with the auth token over the full
// URL, with a fresh MessageSid. Twilio gives up on a webhook after 15 seconds and does not
// redeliver an inbound message, so an answer later than that, or not 2xx, is a lost reply.

export const TWILIO_WEBHOOK_TIMEOUT_MS = 15_000;

export interface ReplyRecord {
  appointmentId: string;
  phone: string;
  keyword: ReplyKeyword;
  messageSid: string;
  sentAtMs: number;
  /** ms until the answer, or null when none came within Twilio's timeout. */
  latencyMs: number | null;
  /** HTTP status, or null for no answer. */
  status: number | null;
  error: string | null;
  temporalDown: boolean;
  /** PostgreSQL was down when it was posted: nothing can record it, and a refusal is the honest answer. */
  postgresDown: boolean;
}

export async function postReply(
  target: { baseUrl: string; accountSid: string; authToken: string; practiceNumber: string },
  reply: { appointmentId: string; phone: string; keyword: ReplyKeyword },
  down: { temporal: boolean; postgres: boolean },
): Promise<ReplyRecord> {
  const form: Record<string, string> = {
    MessageSid: `SM${randomBytes(16).toString('hex')}`,
    AccountSid: target.accountSid,
    From: reply.phone,
    To: target.practiceNumber,
    Body: reply.keyword,
    NumMedia: '0',
  };
  const url = `${target.baseUrl}/webhooks/twilio/sms`;
  const sentAtMs = Date.now();
  const record: ReplyRecord = {
    ...reply,
    messageSid: form.MessageSid,
    sentAtMs,
    latencyMs: null,
    status: null,
    error: null,
    temporalDown: down.temporal,
    postgresDown: down.postgres,
  };
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': signTwilioRequest(target.authToken, url, form),
      },
      body: new URLSearchParams(form).toString(),
      signal: AbortSignal.timeout(TWILIO_WEBHOOK_TIMEOUT_MS),
    });
    await response.text();
    record.status = response.status;
    record.latencyMs = Date.now() - sentAtMs;
  } catch (err) {
    record.error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }
  return record;
}
