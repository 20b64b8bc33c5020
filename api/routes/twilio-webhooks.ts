import express, { Router } from 'express';
import twilio from 'twilio';
import type { ProductMetrics } from '../../lib/metrics';
import type { DeliveryStatusService } from '../../services/delivery-status';
import type { InboundSmsService } from '../../services/inbound-sms';
import { HttpProblem } from '../problem';

/** The most media Twilio attaches to one message. */
const MAX_MEDIA = 10;

/** The webhook's answer: Twilio texts the sender each <Message> of it (none: no answer). */
function twiml(answer: string | null): string {
  const response = new twilio.twiml.MessagingResponse();
  if (answer) response.message(answer);
  return response.toString();
}

/**
 * Twilio webhooks. They carry no API key: each request is authenticated by its
 * X-Twilio-Signature, computed over PUBLIC_BASE_URL + path, so the URL Twilio was given must
 * be exactly the one configured here. `authToken` is Twilio's, or in development without
 * Twilio the token `simulate reply` signs with.
 */
export function twilioWebhookRoutes(options: {
  authToken: string | null;
  publicBaseUrl: string;
  inbound: InboundSmsService;
  deliveryStatus: DeliveryStatusService;
  metrics: ProductMetrics;
}): Router {
  const router = Router();
  router.use(express.urlencoded({ extended: false, limit: '100kb' }));

  router.use((req, _res, next) => {
    if (!options.authToken) {
      throw new HttpProblem({
        status: 403,
        title: 'Forbidden',
        detail:
          'Twilio is not configured (TWILIO_AUTH_TOKEN is unset) and no development token is set ' +
          '(TWILIO_DEV_WEBHOOK_TOKEN), so no webhook can be verified.',
      });
    }
    const url = `${options.publicBaseUrl}${req.originalUrl}`;
    const params = (req.body ?? {}) as Record<string, string>;
    if (!twilio.validateRequest(options.authToken, req.get('x-twilio-signature') ?? '', url, params)) {
      options.metrics.webhookSignatureFailed('twilio');
      throw new HttpProblem({ status: 403, title: 'Forbidden', detail: 'Invalid X-Twilio-Signature.' });
    }
    next();
  });

  router.post('/sms', async (req, res) => {
    const params = req.body as Record<string, string>;
    if (!params.MessageSid || !params.From || !params.To) {
      throw new HttpProblem({
        status: 400,
        title: 'Malformed webhook',
        detail: 'MessageSid, From and To are required.',
      });
    }
    const mediaCount = Number(params.NumMedia ?? 0);
    // Twilio sends at most 10 media per message; anything else is not Twilio's.
    if (!Number.isInteger(mediaCount) || mediaCount < 0 || mediaCount > MAX_MEDIA) {
      throw new HttpProblem({
        status: 400,
        title: 'Malformed webhook',
        detail: `NumMedia must be a whole number from 0 to ${MAX_MEDIA}.`,
      });
    }
    // Answers once the message and its effects are stored: the signals to the workflows follow
    // (the reply outbox delivers them if Temporal is slow or down), so Temporal never delays
    // the answer. Only a database failure fails the request, so that Twilio's retry (or the
    // sender's) can try again.
    const outcome = await options.inbound.receive({
      providerId: params.MessageSid,
      from: params.From,
      to: params.To,
      messagingServiceSid: params.MessagingServiceSid ?? null,
      body: params.Body ?? '',
      mediaUrls: Array.from({ length: mediaCount }, (_, i) => params[`MediaUrl${i}`]).filter(Boolean),
    });
    if (!outcome) req.log.warn({ to: params.To }, 'inbound SMS for a number no practice sends from; ignored');
    if (outcome?.unansweredBecause) {
      req.log.error(
        { err: outcome.unansweredBecause, messageSid: params.MessageSid },
        "inbound SMS stored with its effects; its answer could not be rendered from the practice's templates",
      );
    }
    if (outcome?.passedOver) {
      req.log.warn(
        { to: params.To, messagingServiceSid: params.MessagingServiceSid, passedOver: outcome.passedOver },
        "inbound SMS routed to the messaging service's practice; another practice sends from its To number too",
      );
    }
    res.type('text/xml').send(twiml(outcome?.reply ?? null));
  });

  // Status callbacks (the StatusCallback of every send). Answered once the status is stored,
  // like the inbound webhook; a callback about a message we do not know is acknowledged, or
  // Twilio would keep retrying it.
  router.post('/status', async (req, res) => {
    const params = req.body as Record<string, string>;
    if (!params.MessageSid || !params.MessageStatus) {
      throw new HttpProblem({
        status: 400,
        title: 'Malformed webhook',
        detail: 'MessageSid and MessageStatus are required.',
      });
    }
    const outcome = await options.deliveryStatus.recordTwilioCallback({
      MessageSid: params.MessageSid,
      MessageStatus: params.MessageStatus,
      ErrorCode: params.ErrorCode,
    });
    const messageSid = params.MessageSid;
    if (outcome.unknown.length > 0)
      req.log.warn({ messageSid }, 'status callback for a message not in the message log; ignored');
    if (outcome.effects[0] === 'ignored')
      req.log.info({ messageSid, status: params.MessageStatus }, 'status callback says nothing about delivery');
    if (outcome.deferredBecause)
      req.log.warn(
        { err: outcome.deferredBecause, messageSid },
        'delivery status stored; its report to the workflow is left to the outbox',
      );
    res.status(204).end();
  });

  return router;
}
