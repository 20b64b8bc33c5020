import type { Config } from '../config';
import { createSmsSimulator } from './sms-simulator';
import type { MessageGateway } from './message-gateway';
import { createTwilioGateway } from './twilio';

/** Twilio when credentials are configured; otherwise the simulator, which delivers nothing. */
export function createSmsGateway(config: Pick<Config, 'twilio'>, log: (line: string) => void): MessageGateway {
  if (!config.twilio) return createSmsSimulator(log);
  return createTwilioGateway({
    accountSid: config.twilio.accountSid,
    authToken: config.twilio.authToken,
    ...(config.twilio.apiBaseUrl ? { apiBaseUrl: config.twilio.apiBaseUrl } : {}),
  });
}
