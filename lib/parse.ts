import type { z } from 'zod';
import { ValidationError, type FieldError } from './errors';

/**
 * Parses a body with a zod schema, naming every bad field. Unknown fields make the request
 * malformed (400); everything else is a value problem (422).
 */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  return parse(schema, body ?? {}, 'field');
}

/** The same for query (or path) parameters. */
export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.infer<S> {
  return parse(schema, query ?? {}, 'parameter');
}

function parse<S extends z.ZodType>(schema: S, input: unknown, noun: 'field' | 'parameter'): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const unknown: FieldError[] = [];
  const invalid: FieldError[] = [];
  for (const issue of result.error.issues) {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        unknown.push({ path: path ? `${path}.${key}` : key, message: `is not a known ${noun}` });
    } else if (!invalid.some((e) => e.path === path)) {
      // One message per field: the first rule it breaks is the one to fix first.
      invalid.push({ path, message: issue.message });
    }
  }
  if (unknown.length > 0) throw new ValidationError(unknown, 'malformed');
  throw new ValidationError(invalid);
}
