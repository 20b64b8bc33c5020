import { Router } from 'express';

/** Liveness only: it answers while the process can serve requests, whatever its dependencies do. */
export function healthRoutes(): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  return router;
}
