import { Router } from 'express';
import {
  appointmentMessagesQuerySchema,
  contactPathSchema,
  contactQuerySchema,
  messageLogQuerySchema,
} from '../../domain/message-log-query';
import { parseQuery } from '../../lib/parse';
import type { ContactService } from '../../services/contacts';
import type { MessageLogService } from '../../services/message-log';

/** The message log and contacts, read-only and scoped to the key's practice. */
export function messageLogRoutes(log: MessageLogService, contacts: ContactService): Router {
  const router = Router();

  router.get('/messages', async (req, res) => {
    res.json(await log.list(res.locals.practice.id, parseQuery(messageLogQuerySchema, req.query)));
  });

  router.get('/appointments/:appointmentId/messages', async (req, res) => {
    const query = parseQuery(appointmentMessagesQuerySchema, req.query);
    res.json(await log.forAppointment(res.locals.practice.id, req.params.appointmentId, query));
  });

  router.get('/contacts/:phone', async (req, res) => {
    parseQuery(contactQuerySchema, req.query);
    const { phone } = parseQuery(contactPathSchema, { phone: req.params.phone });
    res.json(await contacts.contact(res.locals.practice, phone));
  });

  return router;
}
