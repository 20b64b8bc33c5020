import type { Connection } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { APPOINTMENT_SEARCH_ATTRIBUTES } from './search-attributes';

// Kept apart from search-attributes.ts, which the workflow bundle includes: this needs the
// client's operator API.

/**
 * Registers the contract's search attributes on a namespace that lacks them, so the worker
 * runs against any Temporal server. Servers that refuse operator calls (Temporal Cloud API
 * keys without admin rights) must have them registered by an administrator instead.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set(Object.keys(existing.customAttributes ?? {}));
  const missing = APPOINTMENT_SEARCH_ATTRIBUTES.filter((key) => !known.has(key.name));
  if (missing.length > 0) await addSearchAttributes(connection, namespace, missing);
  return missing.map((key) => key.name);
}

/** Adds attributes without listing first: Temporal's time-skipping test server cannot list them. */
export async function addSearchAttributes(
  connection: Connection,
  namespace: string,
  keys = APPOINTMENT_SEARCH_ATTRIBUTES,
): Promise<void> {
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(
      keys.map((key) => [key.name, encodeSearchAttributeIndexedValueType(key.type)!]),
    ),
  });
}
