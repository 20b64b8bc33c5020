import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// The search attributes of the contract, defined once: the workflow upserts them, the client
// sets them at start, and the dev server / worker register them on the namespace.
export const PracticeIdKey = defineSearchAttributeKey('PracticeId', SearchAttributeType.KEYWORD);
export const AppointmentIdKey = defineSearchAttributeKey('AppointmentId', SearchAttributeType.KEYWORD);
export const AppointmentStatusKey = defineSearchAttributeKey('AppointmentStatus', SearchAttributeType.KEYWORD);
export const AppointmentStartsAtKey = defineSearchAttributeKey('AppointmentStartsAt', SearchAttributeType.DATETIME);

/** Name → type, in the form `temporal server start-dev --search-attribute` and the operator API take. */
export const SEARCH_ATTRIBUTES: Record<string, 'Keyword' | 'Datetime'> = {
  [PracticeIdKey.name]: 'Keyword',
  [AppointmentIdKey.name]: 'Keyword',
  [AppointmentStatusKey.name]: 'Keyword',
  [AppointmentStartsAtKey.name]: 'Datetime',
};
