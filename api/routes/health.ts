import type { Client } from '@temporalio/client';
import { Router } from 'express';
import type { PrismaClient } from '../../db/client';
import { checkReadiness, readinessAnswer } from '../../services/readiness';

/**
 * Liveness (/healthz) answers while the process can serve requests, whatever its dependencies
 * do; readiness (/readyz) only while PostgreSQL and Temporal answer too.
 */
export function healthRoutes({ prisma, temporal }: { prisma: PrismaClient; temporal: Client }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', (_req, res, next) => {
    checkReadiness({ prisma, temporal: temporal.connection, namespace: temporal.options.namespace })
      .then((readiness) => {
        const answer = readinessAnswer(readiness);
        res.status(answer.status).type(answer.contentType).send(answer.body);
      })
      .catch(next);
  });
  return router;
}
