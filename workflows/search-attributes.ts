import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

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
