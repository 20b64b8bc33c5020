import type { Config } from '../config';
import { createEmailSimulator, createSmsSimulator } from './simulator';
import type { MessageGateway } from './message-gateway';
import { createSendGridGateway } from './sendgrid';
import { createTwilioGateway } from './twilio';

/** Twilio when credentials are configured; otherwise the simulator, which delivers nothing. */
export function createSmsGateway(config: Pick<Config, 'twilio'>, log: (line: string) => void): MessageGateway {
  if (!config.twilio) return createSmsSimulator(log);
  return createTwilioGateway({
    accountSid: config.twilio.accountSid,
    authToken: config.twilio.authToken,
    ...(config.twilio.apiBaseUrl ? { apiBaseUrl: config.twilio.apiBaseUrl } : {}),
    maxConcurrentRequests: config.twilio.maxConcurrentRequests,
  });
}

/** SendGrid when a key is configured; otherwise the simulator, which delivers nothing. */
export function createEmailGateway(config: Pick<Config, 'sendgrid'>, log: (line: string) => void): MessageGateway {
  if (!config.sendgrid) return createEmailSimulator(log);
  return createSendGridGateway({
    apiKey: config.sendgrid.apiKey,
    ...(config.sendgrid.apiBaseUrl ? { apiBaseUrl: config.sendgrid.apiBaseUrl } : {}),
  });
}
