import { Router } from 'express';
import type { PrismaClient } from '../../db/client';
import { practiceView, updatePractice } from '../../services/practices';

/** The key's own practice: its settings (GET) and changes to them (PATCH, partial). */
export function practiceRoutes(prisma: PrismaClient): Router {
  const router = Router();

  router.get('/', async (_req, res) => {
    res.json(await practiceView(prisma, res.locals.practice.id));
  });

  router.patch('/', async (req, res) => {
    const { view, warnings } = await updatePractice(prisma, res.locals.practice.id, req.body, 'staff');
    res.json({ ...view, warnings });
  });

  return router;
}
