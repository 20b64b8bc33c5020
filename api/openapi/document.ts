import { createDocument, type ZodOpenApiPathsObject } from 'zod-openapi';
import { appointmentPaths } from './appointments';
import { API_KEY_SCHEME, apiKeyScheme } from './common';
import { messagePaths } from './messages';
import { operationPaths } from './operations';
import { practicePaths } from './practice';
import { reportPaths } from './reports';
import { webhookPaths } from './webhooks';

// The OpenAPI 3.1 document of the whole HTTP surface, generated from the zod schemas the routes
// validate with. Each route group describes its own paths; test/unit/openapi.test.ts checks that
// every route the app serves is here, and that the document is valid.

type OpenApiDocument = ReturnType<typeof createDocument>;

/** Every group, once each: a path described twice would silently lose one description. */
function merge(...groups: ZodOpenApiPathsObject[]): ZodOpenApiPathsObject {
  const paths: ZodOpenApiPathsObject = {};
  for (const group of groups) {
    for (const [path, item] of Object.entries(group)) {
      const clash = Object.keys(item).find((method) => paths[path] && method in paths[path]);
      if (clash) throw new Error(`OpenAPI: ${clash.toUpperCase()} ${path} is described twice.`);
      paths[path] = { ...paths[path], ...item };
    }
  }
  return paths;
}

function build(): OpenApiDocument {
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'appointment-reminders',
      version: '1',
      description:
        'Durable appointment reminders on Temporal: one workflow per appointment, SMS through Twilio, email through SendGrid, replies close the loop. Errors are RFC 9457 `application/problem+json`; no input, however malformed, gets a 5xx.',
    },
    tags: [
      { name: 'Appointments' },
      { name: 'Messages' },
      { name: 'Contacts' },
      { name: 'Practice' },
      { name: 'Reports' },
      { name: 'Webhooks', description: 'Called by Twilio and SendGrid; signed by them instead of an API key.' },
      { name: 'Confirm links', description: 'The pages behind the confirm link in reminder emails.' },
      { name: 'Operations' },
    ],
    security: [{ [API_KEY_SCHEME]: [] }],
    components: { securitySchemes: { [API_KEY_SCHEME]: apiKeyScheme } },
    paths: merge(appointmentPaths, messagePaths, practicePaths, reportPaths, webhookPaths, operationPaths),
  });
}

let built: OpenApiDocument | null = null;

/** The document; built on first use (it does not change while the process runs). */
export function openApiDocument(): OpenApiDocument {
  built ??= build();
  return built;
}
