import { Router } from 'express';
import { attentionQuerySchema, reminderReportQuerySchema } from '../../domain/reports';
import { parseQuery } from '../../lib/parse';
import type { ReportService } from '../../services/reports';

/** The staff reports, scoped to the key's practice, and marking a reply reviewed (it leaves the attention report). */
export function reportRoutes(reports: ReportService): Router {
  const router = Router();

  router.get('/reports/reminders', async (req, res) => {
    res.json(await reports.reminders(res.locals.practice, parseQuery(reminderReportQuerySchema, req.query)));
  });

  router.get('/reports/attention', async (req, res) => {
    parseQuery(attentionQuerySchema, req.query);
    res.json(await reports.attention(res.locals.practice.id));
  });

  router.post('/messages/:messageId/reviewed', async (req, res) => {
    res.json(await reports.markReviewed(res.locals.practice.id, req.params.messageId));
  });

  return router;
}
