import { z } from 'zod';
import type {
  ZodOpenApiOperationObject,
  ZodOpenApiResponseObject,
  ZodOpenApiResponsesObject,
  ZodOpenApiSecuritySchemeObject,
} from 'zod-openapi';
import type { Problem } from '../problem';

// Pieces every part of the OpenAPI document uses: the problem+json error, the API key, and
// the check that keeps a response schema equal to the type the code returns.

/** The type with intersections merged into one object, at every depth, so equal shapes compare equal. */
type Flat<T> = T extends object ? { [K in keyof T]: Flat<T[K]> } : T;

/** True only when A and B have the same shape (not merely assignable either way: optional fields count). */
type Same<A, B> = (<T>() => T extends Flat<A> ? 1 : 2) extends <T>() => T extends Flat<B> ? 1 : 2 ? true : false;

/**
 * A response schema for the type `T` the services return: it compiles only while the schema's
 * output type is exactly `T`, so a field added to (or removed from) a view without its
 * documentation fails the type check instead of leaving the document behind.
 */
export function documents<T>() {
  return <S extends z.ZodType>(
    schema: S & (Same<z.output<S>, T> extends true ? unknown : { mismatch: [z.output<S>, T] }),
  ): S => schema;
}

export const fieldErrorSchema = z.object({
  path: z
    .string()
    .meta({ description: 'The field or parameter at fault, dotted (`client.phone`); empty for the whole body.' }),
  message: z.string().meta({ description: 'What is wrong with it, in words.' }),
});

export const problemSchema = documents<{ type: 'about:blank' } & Problem>()(
  z
    .object({
      type: z.literal('about:blank'),
      status: z.int().meta({ description: 'The HTTP status code, repeated.' }),
      title: z.string().meta({ description: 'A short summary of the kind of problem.' }),
      detail: z.string().meta({ description: 'What went wrong with this request, for a person to read.' }),
      errors: z
        .array(fieldErrorSchema)
        .optional()
        .meta({ description: 'Validation problems (400, 422): every bad field, one message each.' }),
    })
    .meta({ id: 'Problem', description: 'An RFC 9457 problem: every error the API answers has this shape.' }),
);

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export const API_KEY_SCHEME = 'apiKey';

export const apiKeyScheme: ZodOpenApiSecuritySchemeObject = {
  type: 'http',
  scheme: 'bearer',
  description:
    "`Authorization: Bearer <api key>`. A key is created by the operator (`npm run cli -- apikey create --practice <id>`) and sees only its practice's data: another practice's appointment, message or contact is a 404.",
};

/** What each error status means when an operation does not say more. */
const PROBLEM_MEANING: Record<number, string> = {
  400: 'Malformed request: the body is not valid JSON, it has an unknown field or query parameter (each named in `errors`), or the path cannot be decoded.',
  401: 'No API key, or an unknown or revoked one (`WWW-Authenticate: Bearer`).',
  403: 'The request is not signed by the provider (or the webhook is not configured).',
  404: "Not found, or another practice's (indistinguishable on purpose).",
  409: 'Conflict with the current state.',
  413: 'The body is larger than allowed.',
  415: 'A body that is not `application/json` (or in a charset other than UTF-8).',
  422: 'Well-formed, but a value cannot be accepted: `errors` names every field and why.',
  503: 'Temporal did not answer; retry after the `Retry-After` seconds.',
};

/** A problem+json answer for `status`, described by `description` or the general meaning. */
export function problemResponse(status: number, description?: string): ZodOpenApiResponseObject {
  return {
    description: description ?? PROBLEM_MEANING[status],
    content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } },
  };
}

export function jsonContent(schema: z.ZodType) {
  return { 'application/json': { schema } };
}

type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 503;

/** Error answers for an operation: each status with its own description, or `true` for the general one. */
export type Problems = Partial<Record<ErrorStatus, string | true>>;

export function problemResponses(problems: Problems): ZodOpenApiResponsesObject {
  return Object.fromEntries(
    Object.entries(problems).map(([status, text]) => [
      status,
      problemResponse(Number(status), text === true ? undefined : text),
    ]),
  );
}

/**
 * An operation under /v1: the API key is required, and every such request can be malformed
 * (400) or unauthenticated (401); one with a body can also be too large (413) or not JSON (415).
 */
export function v1Operation(
  operation: Omit<ZodOpenApiOperationObject, 'security' | 'responses'> & {
    responses: ZodOpenApiResponsesObject;
    problems?: Problems;
  },
): ZodOpenApiOperationObject {
  const { problems = {}, responses, ...rest } = operation;
  const withBody: Problems = rest.requestBody ? { 413: true, 415: true } : {};
  return {
    ...rest,
    security: [{ [API_KEY_SCHEME]: [] }],
    responses: { ...responses, ...problemResponses({ 400: true, 401: true, ...withBody, ...problems }) },
  };
}

/** An operation open to anyone (health, documentation) or authenticated otherwise (webhook signatures). */
export function openOperation(operation: ZodOpenApiOperationObject): ZodOpenApiOperationObject {
  return { ...operation, security: [] };
}
