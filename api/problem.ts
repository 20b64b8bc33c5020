import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { ConflictError, NotFoundError, ValidationError, type FieldError } from '../lib/errors';
import { isTemporalUnavailable } from '../services/temporal-errors';

// Every error leaves the API as RFC 9457 problem+json, so integrators handle one shape.

/** The body of every error answer (with `type: "about:blank"`); api/openapi/common.ts documents it. */
export interface Problem {
  status: number;
  title: string;
  detail: string;
  errors?: FieldError[];
}

/** Seconds a client should wait before retrying a 503 (a dependency, Temporal, could not serve it). */
const RETRY_AFTER_S = 5;

export class HttpProblem extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
    this.name = 'HttpProblem';
  }
}

function sendProblem(res: Response, problem: Problem): void {
  if (problem.status === 503) res.set('Retry-After', String(RETRY_AFTER_S));
  res
    .status(problem.status)
    .type('application/problem+json')
    .json({ type: 'about:blank', ...problem });
}

function toProblem(err: unknown): Problem | null {
  if (err instanceof HttpProblem) return err.problem;
  if (err instanceof ValidationError) {
    return err.kind === 'malformed'
      ? { status: 400, title: 'Malformed request', detail: err.message, errors: err.errors }
      : { status: 422, title: 'Invalid request', detail: err.message, errors: err.errors };
  }
  if (err instanceof NotFoundError) return { status: 404, title: 'Not found', detail: err.message };
  if (err instanceof ConflictError) return { status: 409, title: 'Conflict', detail: err.message };
  // Only "not now" from Temporal is the client's to retry; anything else it refuses is a request
  // we built wrong (input is validated before it reaches Temporal), so it stays a logged 500.
  if (isTemporalUnavailable(err)) {
    return { status: 503, title: 'Service unavailable', detail: 'Temporal did not answer; retry the request shortly.' };
  }
  const bodyParserType = (err as { type?: string } | null)?.type;
  if (bodyParserType === 'entity.parse.failed') {
    return { status: 400, title: 'Malformed JSON', detail: 'The request body is not valid JSON.' };
  }
  if (bodyParserType === 'entity.too.large') {
    return { status: 413, title: 'Request too large', detail: 'The request body is larger than allowed.' };
  }
  return clientErrorProblem(err);
}

/**
 * Errors Express and its body parsers already judged the client's (http-errors with a 4xx
 * status: an undecodable path, an unsupported charset or encoding, too many parameters) keep
 * that status; their message is shown only when they mark it safe to expose.
 */
function clientErrorProblem(err: unknown): Problem | null {
  if (typeof err !== 'object' || err === null) return null;
  const { status, expose, message } = err as { status?: unknown; expose?: unknown; message?: unknown };
  if (typeof status !== 'number' || status < 400 || status > 499) return null;
  return {
    status,
    title: STATUS_CODES[status] ?? 'Bad request',
    detail: expose === true && typeof message === 'string' ? message : 'The request could not be read.',
  };
}

export const notFoundRoute: RequestHandler = (req, res) => {
  sendProblem(res, { status: 404, title: 'Not found', detail: `No route ${req.method} ${req.path}.` });
};

export const problemHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const problem = toProblem(err);
  if (problem) {
    if (problem.status >= 500) req.log.warn({ err }, problem.detail);
    sendProblem(res, problem);
    return;
  }
  req.log.error({ err }, 'unhandled error');
  sendProblem(res, {
    status: 500,
    title: 'Internal error',
    detail: 'Something went wrong on our side; it has been logged.',
  });
};
