import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

const INDEXED_TYPE = {
  Keyword: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Datetime: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
} as const;

/**
 * Registers the contract's search attributes on a namespace that lacks them, so the worker
 * runs against any Temporal server. Servers that refuse operator calls (Temporal Cloud API
 * keys without admin rights) must have them registered by an administrator instead.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set(Object.keys(existing.customAttributes ?? {}));
  const missing = Object.keys(SEARCH_ATTRIBUTES).filter((name) => !known.has(name));
  if (missing.length > 0) await addSearchAttributes(connection, namespace, missing);
  return missing;
}

/** Adds attributes without listing first: Temporal's time-skipping test server cannot list them. */
export async function addSearchAttributes(
  connection: Connection,
  namespace: string,
  names: string[] = Object.keys(SEARCH_ATTRIBUTES),
): Promise<void> {
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(names.map((name) => [name, INDEXED_TYPE[SEARCH_ATTRIBUTES[name]]])),
  });
}
