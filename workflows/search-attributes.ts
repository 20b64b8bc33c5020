import { defineSearchAttributeKey, type SearchAttributePair, SearchAttributeType } from '@temporalio/common';

// The search attributes of the contract, defined once: the workflow upserts them, the client
// sets them at start, and the dev server and the worker register them from this list.
export const PracticeIdKey = defineSearchAttributeKey('PracticeId', SearchAttributeType.KEYWORD);
export const AppointmentIdKey = defineSearchAttributeKey('AppointmentId', SearchAttributeType.KEYWORD);
export const AppointmentStatusKey = defineSearchAttributeKey('AppointmentStatus', SearchAttributeType.KEYWORD);
export const AppointmentStartsAtKey = defineSearchAttributeKey('AppointmentStartsAt', SearchAttributeType.DATETIME);

export const APPOINTMENT_SEARCH_ATTRIBUTES = [
  PracticeIdKey,
  AppointmentIdKey,
  AppointmentStatusKey,
  AppointmentStartsAtKey,
];

/**
 * What a new appointment's workflow is started with: it shows as `scheduled` from its start,
 * and the workflow upserts the status only once it changes (the upsert is a billed action).
 */
export function startingSearchAttributes(input: {
  practiceId: string;
  appointmentId: string;
  details: { startsAt: string };
}): SearchAttributePair[] {
  return [
    { key: PracticeIdKey, value: input.practiceId },
    { key: AppointmentIdKey, value: input.appointmentId },
    { key: AppointmentStatusKey, value: 'scheduled' },
    { key: AppointmentStartsAtKey, value: new Date(input.details.startsAt) },
  ];
}
