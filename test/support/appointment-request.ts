import { inFuture } from './system';

const DAY = 24 * 3_600_000;

/**
 * A factory of create requests with ids `<prefix>-1`, `<prefix>-2`, …: an appointment three
 * days ahead for a consenting client with a phone, unless overridden.
 */
export function appointmentRequests(prefix: string) {
  let seq = 0;
  return (overrides: Record<string, unknown> = {}) => {
    seq += 1;
    return {
      appointmentId: `${prefix}-${seq}`,
      startsAt: inFuture(3 * DAY),
      timeZone: 'Europe/Rome',
      client: { name: 'Maria Rossi', phone: '+393471234567', smsConsent: true },
      ...overrides,
    };
  };
}
