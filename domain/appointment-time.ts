import { DateTime } from 'luxon';

/** ISO start in the appointment's own zone, so views read in local time. */
export function normalizeStartsAt(value: string, zone: string): string {
  return DateTime.fromISO(value, { setZone: true }).setZone(zone).toISO({ suppressMilliseconds: true })!;
}
