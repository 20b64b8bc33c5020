import type { Client } from '@temporalio/client';
import express, { type Express } from 'express';
import type { Config } from '../config';
import { resolveLinkSigningSecret } from '../config/link-signing-secret';
import type { PrismaClient } from '../db/client';
import type { Logger } from '../lib/logger';
import { AppointmentService } from '../services/appointments';
import { ConfirmLinkService } from '../services/confirm-links';
import { ContactService } from '../services/contacts';
import { CustomMessageService } from '../services/custom-messages';
import { DeliveryStatusService } from '../services/delivery-status';
import { InboundSmsService } from '../services/inbound-sms';
import { MessageLogService } from '../services/message-log';
import { requireApiKey } from './auth';
import { HttpProblem, notFoundRoute, problemHandler } from './problem';
import { appointmentRoutes } from './routes/appointments';
import { confirmLinkRoutes } from './routes/confirm-links';
import { customMessageRoutes } from './routes/custom-messages';
import { healthRoutes } from './routes/health';
import { messageLogRoutes } from './routes/message-log';
import { practiceRoutes } from './routes/practice';
import { sendgridWebhookRoutes } from './routes/sendgrid-webhooks';
import { twilioWebhookRoutes } from './routes/twilio-webhooks';

export interface ApiDependencies {
  config: Pick<
    Config,
    | 'publicBaseUrl'
    | 'twilio'
    | 'twilioDevWebhookToken'
    | 'temporal'
    | 'sendgrid'
    | 'linkSigningSecret'
    | 'sendgridWebhookPublicKey'
  >;
  prisma: PrismaClient;
  temporal: Client;
  log: Logger;
}

/** The whole HTTP surface, built from its dependencies so tests run the same app as production. */
export function createApp({ config, prisma, temporal, log }: ApiDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(healthRoutes());
  const deliveryStatus = new DeliveryStatusService({ prisma, temporal });
  app.use(
    '/webhooks/twilio',
    twilioWebhookRoutes({
      // Without Twilio, the development token (if any) signs simulated webhooks (`simulate reply`).
      authToken: config.twilio?.authToken ?? config.twilioDevWebhookToken ?? null,
      // Signatures cover the URL Twilio called, which a proxy in front of us hides; PUBLIC_BASE_URL names it.
      publicBaseUrl: config.publicBaseUrl,
      inbound: new InboundSmsService({ prisma, temporal }),
      deliveryStatus,
      log,
    }),
  );
  app.use(
    '/webhooks/sendgrid',
    sendgridWebhookRoutes({ publicKey: config.sendgridWebhookPublicKey, deliveryStatus, log }),
  );

  const v1 = express.Router();
  v1.use(express.json({ limit: '100kb', strict: false }));
  v1.use(requireApiKey(prisma));
  v1.use((req, _res, next) => {
    // An empty POST (confirm, cancel) needs no content type; any actual body must be JSON.
    const hasContent = req.get('content-length') !== '0';
    if (hasContent && req.is('application/json') === false) {
      throw new HttpProblem({
        status: 415,
        title: 'Unsupported media type',
        detail: 'Send JSON with Content-Type: application/json.',
      });
    }
    next();
  });
  const appointments = new AppointmentService({
    prisma,
    temporal,
    taskQueue: config.temporal.taskQueue,
    temporalUiUrl: config.temporal.uiUrl,
  });
  v1.use('/appointments', appointmentRoutes(appointments));
  v1.use('/practice', practiceRoutes(prisma));
  v1.use(messageLogRoutes(new MessageLogService({ prisma }), new ContactService({ prisma })));
  v1.use(customMessageRoutes(new CustomMessageService({ prisma, temporal, taskQueue: config.temporal.taskQueue })));
  app.use('/v1', v1);

  const linkSigningSecret = resolveLinkSigningSecret(config, (line) => log.warn(line));
  app.use(
    '/confirm',
    confirmLinkRoutes(new ConfirmLinkService({ prisma, temporal, appointments, linkSigningSecret }), log),
  );

  app.use(notFoundRoute);
  app.use(problemHandler(log));
  return app;
}
