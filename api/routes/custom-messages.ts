import { Router } from 'express';
import { customMessageSchema, resendMessageSchema } from '../../domain/custom-message';
import { parseBody } from '../../lib/parse';
import type { CustomMessageService } from '../../services/custom-messages';

/** Custom messages: send now or later, cancel until sent, resend; and any one message by id. */
export function customMessageRoutes(messages: CustomMessageService): Router {
  const router = Router();

  router.post('/messages', async (req, res) => {
    const message = await messages.send(res.locals.practice, parseBody(customMessageSchema, req.body));
    res.status(202).location(`/v1/messages/${message.id}`).json(message);
  });

  router.get('/messages/:messageId', async (req, res) => {
    res.json(await messages.message(res.locals.practice.id, req.params.messageId));
  });

  router.delete('/messages/:messageId', async (req, res) => {
    res.json(await messages.cancel(res.locals.practice.id, req.params.messageId));
  });

  router.post('/messages/:messageId/resend', async (req, res) => {
    const request = parseBody(resendMessageSchema, req.body);
    const message = await messages.resend(res.locals.practice, req.params.messageId, request);
    res.status(202).location(`/v1/messages/${message.id}`).json(message);
  });

  return router;
}
