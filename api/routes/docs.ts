import path from 'node:path';
import express, { type RequestHandler, Router } from 'express';
import { openApiDocument } from '../openapi/document';

// `GET /openapi.json` (the OpenAPI document) and `GET /docs` (Swagger UI over it), served from
// the npm packages: no CDN, and nothing the page loads comes from anywhere but this API.

/** Where npm installed swagger-ui-dist (its package has no type declarations to import it by). */
const SWAGGER_UI_DIR = path.dirname(require.resolve('swagger-ui-dist/package.json'));

/** The files of swagger-ui-dist the page uses; its demo page and initializer (the Petstore) stay out. */
const SWAGGER_UI_FILES = new Set(['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png', 'favicon-16x16.png']);

const DOCS_HEADERS = {
  'Content-Security-Policy': [
    "default-src 'none'",
    "script-src 'self'",
    // Swagger UI sets style attributes on its elements; its icons are data: URIs.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    // "Try it out" calls this API.
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; '),
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>appointment-reminders API</title>
    <link rel="stylesheet" href="/docs/swagger-ui.css" />
    <link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/docs/swagger-ui-bundle.js"></script>
    <script src="/docs/swagger-init.js"></script>
  </body>
</html>
`;

/** Lets through only the named files; anything else under /docs is the app's 404. */
function only(files: Set<string>): RequestHandler {
  return (req, _res, next) => next(files.has(req.path.slice(1)) ? undefined : 'router');
}

export function docsRoutes(): Router {
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });
  router.get('/docs', (_req, res) => {
    res.set(DOCS_HEADERS).type('html').send(PAGE);
  });
  const assets = Router();
  assets.use(express.static(path.join(__dirname, '../openapi/swagger-ui'), { index: false }));
  assets.use(only(SWAGGER_UI_FILES), express.static(SWAGGER_UI_DIR, { index: false }));
  router.use(
    '/docs',
    (_req, res, next) => {
      res.set(DOCS_HEADERS);
      next();
    },
    assets,
  );
  return router;
}
