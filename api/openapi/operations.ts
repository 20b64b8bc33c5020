import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { openOperation } from './common';

// What operators and integrators use around the API: health, metrics, this document and its
// viewer, and the confirm-link pages clients open from their email.

const TAG = ['Operations'];
const HTML = { 'text/html': { schema: z.string() } };

const checks = z
  .record(
    z.string(),
    z.object({
      status: z.enum(['up', 'down']),
      ms: z.number().meta({ description: 'How long the check took.' }),
      reason: z.string().optional().meta({ description: 'Why it is down.' }),
    }),
  )
  .meta({ description: 'Each dependency: `database`, `temporal` (and `worker` on the worker process).' });
const ready = z.object({ status: z.literal('ready'), checks });
const notReady = z.object({
  type: z.string(),
  status: z.literal(503),
  title: z.string(),
  detail: z.string().meta({ description: 'Each failing dependency and why, e.g. `database: …; temporal: …`.' }),
  checks,
});

const confirmToken = z.object({
  token: z.string().meta({ description: 'The signed token of the link (it names only the appointment).' }),
});

const confirmPages = {
  404: { description: 'Not a link of ours (bad token).', content: HTML },
  410: { description: 'The link has expired, or the appointment is cancelled or over.', content: HTML },
  503: { description: 'Temporal did not answer; try again shortly (`Retry-After`).', content: HTML },
};

export const operationPaths: ZodOpenApiPathsObject = {
  '/healthz': {
    get: openOperation({
      tags: TAG,
      operationId: 'healthz',
      summary: 'Liveness: the process can serve requests',
      responses: {
        200: {
          description: 'Alive.',
          content: { 'application/json': { schema: z.object({ status: z.literal('ok') }) } },
        },
      },
    }),
  },
  '/readyz': {
    get: openOperation({
      tags: TAG,
      operationId: 'readyz',
      summary: 'Readiness: PostgreSQL and Temporal answer',
      responses: {
        200: { description: 'Both dependencies answer.', content: { 'application/json': { schema: ready } } },
        503: {
          description: 'A dependency does not answer; the body names it.',
          content: { 'application/problem+json': { schema: notReady } },
        },
      },
    }),
  },
  '/metrics': {
    get: openOperation({
      tags: TAG,
      operationId: 'metrics',
      summary: 'Prometheus metrics',
      responses: {
        200: { description: 'Prometheus text exposition format.', content: { 'text/plain': { schema: z.string() } } },
      },
    }),
  },
  '/openapi.json': {
    get: openOperation({
      tags: TAG,
      operationId: 'openapi',
      summary: 'This document (OpenAPI 3.1)',
      responses: {
        200: {
          description: 'The OpenAPI document, generated from the schemas that validate requests.',
          content: { 'application/json': { schema: z.looseObject({ openapi: z.string() }) } },
        },
      },
    }),
  },
  '/docs': {
    get: openOperation({
      tags: TAG,
      operationId: 'docs',
      summary: 'This document, rendered (Swagger UI)',
      responses: { 200: { description: 'An HTML page.', content: HTML } },
    }),
  },
  '/confirm/{token}': {
    get: openOperation({
      tags: ['Confirm links'],
      operationId: 'showConfirmLink',
      summary: "An email's confirm link: the appointment and a Confirm button",
      description: 'Never confirms by itself (mail scanners fetch links); the button posts to the same URL.',
      requestParams: { path: confirmToken },
      responses: { 200: { description: 'The appointment, with a Confirm button.', content: HTML }, ...confirmPages },
    }),
    post: openOperation({
      tags: ['Confirm links'],
      operationId: 'confirmByLink',
      summary: 'Confirm the appointment (`via: "email"`, idempotent)',
      requestParams: { path: confirmToken },
      responses: { 200: { description: 'Confirmed (or already confirmed).', content: HTML }, ...confirmPages },
    }),
  },
};
