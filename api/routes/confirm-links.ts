import { type ErrorRequestHandler, type Response, Router } from 'express';
import type { ConfirmLinkService } from '../../services/confirm-links';
import { isTemporalUnavailable } from '../../services/temporal-errors';
import { type ConfirmPage, renderConfirmPage } from '../pages/confirm-page';

// `GET /confirm/:token` shows the appointment with a Confirm button and never confirms (mail
// scanners and link previews fetch links); the button's `POST` confirms. A person reads every
// answer, so each one, errors included, is an HTML page: never JSON, never a stack trace.

/** Seconds a visitor's browser is told to wait before trying again when Temporal did not answer. */
const RETRY_AFTER_S = 30;

const PAGE_HEADERS = {
  'Cache-Control': 'no-store',
  // The token in the URL is the visitor's credential: never sent on to anyone as a Referer.
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'X-Robots-Tag': 'noindex',
  'Content-Security-Policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
};

function answer(res: Response, page: ConfirmPage): void {
  const { status, html } = renderConfirmPage(page);
  if (status === 503) res.set('Retry-After', String(RETRY_AFTER_S));
  res.status(status).set(PAGE_HEADERS).type('text/html; charset=utf-8').send(html);
}

export function confirmLinkRoutes(links: ConfirmLinkService): Router {
  const router = Router();
  router.get('/:token', async (req, res) => {
    answer(res, await links.show(req.params.token));
  });
  router.post('/:token', async (req, res) => {
    answer(res, await links.confirm(req.params.token));
  });
  // Anything else under /confirm (no token, a path that is not one, another method) is not a link of ours.
  router.use((_req, res) => answer(res, { kind: 'invalid' }));

  const pageForError: ErrorRequestHandler = (err, req, res, _next) => {
    if (isTemporalUnavailable(err)) {
      req.log.warn({ err, method: req.method }, 'confirm link: Temporal did not answer');
      answer(res, { kind: 'unavailable' });
      return;
    }
    // Express's own 4xx (a path that cannot be decoded): a link that is not one of ours.
    const status = (err as { status?: unknown } | null)?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      answer(res, { kind: 'invalid' });
      return;
    }
    req.log.error({ err, method: req.method }, 'confirm link: unhandled error');
    answer(res, { kind: 'error' });
  };
  router.use(pageForError);
  return router;
}
