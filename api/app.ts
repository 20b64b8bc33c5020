import type { Client } from '@temporalio/client';
import express, { type Express } from 'express';
import type { Config } from '../config';
import { resolveLinkSigningSecret } from '../config/link-signing-secret';
import type { PrismaClient } from '../db/client';
import type { BackgroundWork } from '../lib/background-work';
import type { Logger } from '../lib/logger';
import { ProductMetrics } from '../lib/metrics';
import { AppointmentService } from '../services/appointments';
import { ConfirmLinkService } from '../services/confirm-links';
import { ContactService } from '../services/contacts';
import { CustomMessageService } from '../services/custom-messages';
import { DeliveryStatusService } from '../services/delivery-status';
import { InboundSmsService } from '../services/inbound-sms';
import { MessageLogService } from '../services/message-log';
import { ReportService } from '../services/reports';
import { requireApiKey } from './auth';
import { httpMetrics, metricsRoutes } from './metrics';
import { HttpProblem, notFoundRoute, problemHandler } from './problem';
import { requestLog } from './request-log';
import { captureRouteTemplate } from './route-template';
import { appointmentRoutes } from './routes/appointments';
import { confirmLinkRoutes } from './routes/confirm-links';
import { customMessageRoutes } from './routes/custom-messages';
import { docsRoutes } from './routes/docs';
import { healthRoutes } from './routes/health';
import { messageLogRoutes } from './routes/message-log';
import { practiceRoutes } from './routes/practice';
import { reportRoutes } from './routes/reports';
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
  /** The process's metrics (shared with its worker, if it runs one); by default the app's own. */
  metrics?: ProductMetrics;
  /**
   * Work the app's requests leave running after they answered (a webhook's signals). Whoever
   * owns the Temporal connection awaits its `idle()` before closing it, so it is theirs to give.
   */
  background: BackgroundWork;
}

/** The whole HTTP surface, built from its dependencies so tests run the same app as production. */
export function createApp({
  config,
  prisma,
  temporal,
  log,
  metrics = new ProductMetrics(),
  background,
}: ApiDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(requestLog(log));
  app.use(captureRouteTemplate);
  app.use(httpMetrics(metrics));
  app.use(healthRoutes({ prisma, temporal }));
  app.use(metricsRoutes(metrics));
  app.use(docsRoutes());
  const deliveryStatus = new DeliveryStatusService({ prisma, temporal, metrics });
  app.use(
    '/webhooks/twilio',
    twilioWebhookRoutes({
      // Without Twilio, the development token (if any) signs simulated webhooks (`simulate reply`).
      authToken: config.twilio?.authToken ?? config.twilioDevWebhookToken ?? null,
      // Signatures cover the URL Twilio called, which a proxy in front of us hides; PUBLIC_BASE_URL names it.
      publicBaseUrl: config.publicBaseUrl,
      inbound: new InboundSmsService({ prisma, temporal, background, log, metrics }),
      deliveryStatus,
      metrics,
    }),
  );
  app.use(
    '/webhooks/sendgrid',
    sendgridWebhookRoutes({ publicKey: config.sendgridWebhookPublicKey, deliveryStatus, metrics }),
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
  v1.use(reportRoutes(new ReportService({ prisma })));
  app.use('/v1', v1);

  const linkSigningSecret = resolveLinkSigningSecret(config, (line) => log.warn(line));
  app.use('/confirm', confirmLinkRoutes(new ConfirmLinkService({ prisma, temporal, appointments, linkSigningSecret })));

  app.use(notFoundRoute);
  app.use(problemHandler);
  return app;
}
