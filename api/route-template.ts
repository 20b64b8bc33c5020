import type { RequestHandler, Response } from 'express';

// The route that answered a request, as declared (`/v1/appointments/:appointmentId`), never
// its URL, which carries ids, phone numbers and confirm tokens: the access log and the HTTP
// metrics label requests with it. Express sets `req.route` when a route matches, while
// `req.baseUrl` is the mount path of the router it runs in; by the time the answer finishes,
// an error handled at the top has reset `baseUrl`, so the template is taken at the moment the
// route is assigned.

/** Records each request's route template as Express assigns the route; mount it before the routes. */
export const captureRouteTemplate: RequestHandler = (req, res, next) => {
  let route: unknown;
  Object.defineProperty(req, 'route', {
    configurable: true,
    enumerable: true,
    get: () => route,
    set(value: { path?: unknown } | undefined) {
      route = value;
      // A router's own root ('/') is its mount path: `/v1/appointments`, not `/v1/appointments/`.
      if (typeof value?.path === 'string')
        res.locals.routeTemplate = value.path === '/' ? req.baseUrl || '/' : req.baseUrl + value.path;
    },
  });
  next();
};

/** The template captureRouteTemplate recorded; null when no route took the request (404s, and requests refused before their route). */
export function routeTemplateOf(res: Pick<Response, 'locals'>): string | null {
  const template: unknown = res.locals.routeTemplate;
  return typeof template === 'string' ? template : null;
}
