/**
 * SendGrid's signed event webhook, as a test needs it: a P-256 key pair made for the test
 * (the public half is what SENDGRID_WEBHOOK_PUBLIC_KEY holds, base64 DER as SendGrid's
 * settings page shows it) and a poster that signs event batches exactly as SendGrid does:
 * ECDSA with SHA-256 over the timestamp header followed by the raw body, the signature
 * base64 DER in X-Twilio-Email-Event-Webhook-Signature.
 */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Twilio-Email-Event-Webhook-Signature';
export const TIMESTAMP_HEADER = 'X-Twilio-Email-Event-Webhook-Timestamp';

export interface SendGridEventSigner {
  /** The verification key as SendGrid shows it: base64 of the SPKI DER. */
  publicKey: string;
  /** The same key as PEM. */
  publicKeyPem: string;
  /** The headers SendGrid sends with `rawBody` at `timestamp` (unix seconds). */
  sign(rawBody: string, timestamp?: string): Record<string, string>;
  /**
   * Posts `events` (or a raw body) to `url`. `headers` replaces the signed ones, e.g. none at
   * all or another key's signature.
   */
  post(
    url: string,
    events: unknown[] | { rawBody: string },
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: string; contentType: string | null }>;
}

export function createSendGridEventSigner(): SendGridEventSigner {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const signer: SendGridEventSigner = {
    publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    sign: (rawBody, timestamp = String(Math.floor(Date.now() / 1000))) => signed(privateKey, rawBody, timestamp),
    async post(url, events, headers) {
      const rawBody = Array.isArray(events) ? JSON.stringify(events) : events.rawBody;
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(headers ?? signer.sign(rawBody)) },
        body: rawBody,
        signal: AbortSignal.timeout(15_000),
      });
      return {
        status: response.status,
        body: await response.text(),
        contentType: response.headers.get('content-type'),
      };
    },
  };
  return signer;
}

function signed(privateKey: KeyObject, rawBody: string, timestamp: string): Record<string, string> {
  const signature = sign('sha256', Buffer.from(timestamp + rawBody, 'utf8'), privateKey).toString('base64');
  return { [SIGNATURE_HEADER]: signature, [TIMESTAMP_HEADER]: timestamp };
}
