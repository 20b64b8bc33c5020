import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, Response } from 'express';
import { pinoHttp, type HttpLogger } from 'pino-http';
import type { Logger } from '../lib/logger';
import { maskContactsIn, maskPhone } from '../lib/mask';
import { routeTemplateOf } from './route-template';

export const REQUEST_ID_HEADER = 'X-Request-Id';

// A caller's (or a proxy's) request id is kept so one id follows a request across systems.
// Only ids of a sane length and alphabet pass: a header is the caller's text, and this one is
// written on every line. `+` and `@` are left out so no phone number or email address can pass.
const ACCEPTED_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's X-Request-Id when it is a plausible id, else a new one. */
export function requestIdFor(header: string | string[] | undefined): string {
  const given = Array.isArray(header) ? header[0] : header;
  return given !== undefined && ACCEPTED_REQUEST_ID.test(given) ? given : randomUUID();
}

// Probes and scrapes arrive every few seconds; their lines would bury the requests that matter.
const PROBE_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * The route that answered, as declared (api/route-template.ts). A request no route took is
 * shown by its path with email addresses and anything that could be a phone number masked.
 */
function routeOf(req: IncomingMessage, res: ServerResponse): string {
  const template = routeTemplateOf(res as Response);
  if (template !== null) return template;
  const { path } = req as Request;
  return `unmatched ${maskContactsIn(decoded(path ?? '')).replace(/\d{6,}/g, (digits) => maskPhone(digits))}`;
}

function decoded(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function accessFields(req: IncomingMessage, res: ServerResponse, durationMs: number) {
  return { method: req.method, route: routeOf(req, res), status: res.statusCode, durationMs };
}

/**
 * One access line per request ("GET /v1/appointments/:appointmentId 200", with method, route,
 * status and durationMs) and `req.log` for the routes: every line carries `requestId`, which
 * the response echoes in X-Request-Id. Bodies, headers and query strings are never logged.
 */
export function requestLog(log: Logger): HttpLogger {
  return pinoHttp({
    logger: log,
    genReqId(req, res) {
      const id = requestIdFor(req.headers['x-request-id']);
      res.setHeader(REQUEST_ID_HEADER, id);
      return id;
    },
    // Lines logged through req.log carry the request id only, not the whole request.
    quietReqLogger: true,
    quietResLogger: true,
    customAttributeKeys: { reqId: 'requestId' },
    customLogLevel(req, res, err) {
      if (err || res.statusCode >= 500) return 'error';
      if (PROBE_PATHS.has((req as Request).path) && res.statusCode < 400) return 'debug';
      return 'info';
    },
    customSuccessObject: (req, res, fields: { responseTime: number }) => accessFields(req, res, fields.responseTime),
    customErrorObject: (req, res, err, fields: { responseTime: number }) => ({
      ...accessFields(req, res, fields.responseTime),
      err,
    }),
    customSuccessMessage: (req, res) => `${req.method} ${routeOf(req, res)} ${res.statusCode}`,
    customErrorMessage: (req, res) => `${req.method} ${routeOf(req, res)} ${res.statusCode}`,
  });
}
