import { EventWebhook, EventWebhookHeader } from '@sendgrid/eventwebhook';
import express, { Router } from 'express';
import type { SendGridEvent } from '../../domain/delivery-status';
import type { ProductMetrics } from '../../lib/metrics';
import type { DeliveryStatusService } from '../../services/delivery-status';
import { HttpProblem } from '../problem';

/** SendGrid posts batches of events; a large one stays well under this. */
const MAX_BATCH = '5mb';

/**
 * SendGrid's event webhook. It carries no API key: each batch is signed (ECDSA P-256 over the
 * timestamp header followed by the raw body), so the body is kept as bytes until the
 * signature is checked against SENDGRID_WEBHOOK_PUBLIC_KEY. Unset, every post is refused.
 */
export function sendgridWebhookRoutes(options: {
  publicKey: string | null;
  deliveryStatus: DeliveryStatusService;
  metrics: ProductMetrics;
}): Router {
  const router = Router();
  const verifier = new EventWebhook();
  // Config validated the key at start (config/index.ts), so this cannot throw for a configured one.
  const publicKey = options.publicKey === null ? null : verifier.convertPublicKeyToECDSA(options.publicKey);

  router.post('/events', express.raw({ type: () => true, limit: MAX_BATCH }), async (req, res) => {
    if (!publicKey) {
      throw new HttpProblem({
        status: 403,
        title: 'Forbidden',
        detail:
          'The SendGrid event webhook is not configured (SENDGRID_WEBHOOK_PUBLIC_KEY is unset), so no event can be verified.',
      });
    }
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const signature = req.get(EventWebhookHeader.SIGNATURE()) ?? '';
    const timestamp = req.get(EventWebhookHeader.TIMESTAMP()) ?? '';
    if (!signature || !timestamp || !verifies(verifier, publicKey, rawBody, signature, timestamp)) {
      options.metrics.webhookSignatureFailed('sendgrid');
      throw new HttpProblem({
        status: 403,
        title: 'Forbidden',
        detail: `Missing or invalid ${EventWebhookHeader.SIGNATURE()} (or ${EventWebhookHeader.TIMESTAMP()}).`,
      });
    }
    const events = parseBatch(rawBody);
    // Answered once every event is stored: a database failure fails the batch and SendGrid
    // retries all of it, which is safe because a repeated report changes nothing.
    const outcome = await options.deliveryStatus.recordSendGridEvents(events);
    if (outcome.unknown.length > 0)
      req.log.warn({ sgMessageIds: outcome.unknown }, 'SendGrid events for messages not in the message log; ignored');
    if (outcome.deferredBecause)
      req.log.warn(
        { err: outcome.deferredBecause },
        'delivery status stored; its reports to the workflows are left to the outbox',
      );
    res.status(204).end();
  });

  return router;
}

function verifies(
  verifier: EventWebhook,
  publicKey: ReturnType<EventWebhook['convertPublicKeyToECDSA']>,
  rawBody: Buffer,
  signature: string,
  timestamp: string,
): boolean {
  try {
    return verifier.verifySignature(publicKey, rawBody, signature, timestamp);
  } catch {
    // A signature that is not base64 DER at all is as invalid as a wrong one.
    return false;
  }
}

function parseBatch(rawBody: Buffer): SendGridEvent[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new HttpProblem({ status: 400, title: 'Malformed webhook', detail: 'The body is not JSON.' });
  }
  if (!Array.isArray(parsed) || !parsed.every((e) => typeof e === 'object' && e !== null && !Array.isArray(e))) {
    throw new HttpProblem({
      status: 400,
      title: 'Malformed webhook',
      detail: 'The body must be a JSON array of event objects.',
    });
  }
  return parsed as SendGridEvent[];
}
