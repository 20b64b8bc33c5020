import { DateTime } from 'luxon';

/** An ISO 8601 date-time that names its offset (`Z` or `±hh:mm`), so it means one instant. */
export function hasOffset(value: string): boolean {
  return /(Z|[+-]\d{2}:?\d{2})$/.test(value) && DateTime.fromISO(value, { setZone: true }).isValid;
}

/** Why a start is refused when it is not in the future (a field-level message). */
export const STARTS_IN_PAST = 'is in the past; appointments must start in the future';

/** The one rule for "starts in the past", used by request validation, the create service and the workflow's reschedule check. */
export function startsInFuture(startsAt: string, now: Date): boolean {
  return DateTime.fromISO(startsAt).toMillis() > now.getTime();
}

/** ISO start in the appointment's own zone, so views read in local time. */
export function normalizeStartsAt(value: string, zone: string): string {
  return DateTime.fromISO(value, { setZone: true }).setZone(zone).toISO({ suppressMilliseconds: true })!;
}
