import { Router, type RequestHandler } from 'express';
import { UNMATCHED_ROUTE, type ProductMetrics } from '../lib/metrics';
import { routeTemplateOf } from './route-template';

/**
 * Counts and times every request by its route template (api/route-template.ts; mounted after
 * captureRouteTemplate). Requests no route took share one label.
 */
export function httpMetrics(metrics: ProductMetrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.httpRequest(
        { method: req.method, route: routeTemplateOf(res) ?? UNMATCHED_ROUTE, status: res.statusCode },
        seconds,
      );
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
