import { Router, type RequestHandler } from 'express';
import { UNMATCHED_ROUTE, type ProductMetrics } from '../lib/metrics';

/**
 * Counts and times every request by its route template (`/v1/appointments/:appointmentId`,
 * never the URL itself, which carries ids). Express sets `req.route` when a route matches,
 * while `req.baseUrl` is the mount path of the router it is in; by the time the answer
 * finishes, an error handled at the top has reset `baseUrl`, so the template is taken at the
 * moment the route is assigned. Requests no route took (404s, and those refused before
 * their route, such as a missing API key) share one label.
 */
export function httpMetrics(metrics: ProductMetrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    let template: string | null = null;
    let route: unknown;
    Object.defineProperty(req, 'route', {
      configurable: true,
      enumerable: true,
      get: () => route,
      set(value: { path?: unknown } | undefined) {
        route = value;
        // A router's own root ('/') is its mount path: `/v1/appointments`, not `/v1/appointments/`.
        if (typeof value?.path === 'string')
          template = value.path === '/' ? req.baseUrl || '/' : req.baseUrl + value.path;
      },
    });
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.httpRequest({ method: req.method, route: template ?? UNMATCHED_ROUTE, status: res.statusCode }, seconds);
    });
    next();
  };
}

/** GET /metrics: Prometheus text (lib/metrics.ts says what it holds). */
export function metricsRoutes(metrics: ProductMetrics): Router {
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    const { contentType, body } = await metrics.exposition();
    res.set('content-type', contentType).send(body);
  });
  return router;
}
