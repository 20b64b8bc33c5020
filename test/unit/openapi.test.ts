import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Client } from '@temporalio/client';
import type { Express } from 'express';
import { createApp } from '../../api/app';
import { openApiDocument } from '../../api/openapi/document';
import type { Config } from '../../config';
import { createPrismaClient } from '../../db/client';
import { BackgroundWork } from '../../lib/background-work';
import { createLogger } from '../../lib/logger';

// The OpenAPI document (GET /openapi.json) against the app it describes: valid OpenAPI 3.1,
// every route the app serves documented (and nothing documented that it does not serve), the
// API key and problem+json errors where they apply, and /docs served without any other origin.
// The app is built with lazy clients: nothing here reaches PostgreSQL or Temporal.

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

function testApp(): Express {
  const config = {
    publicBaseUrl: 'http://127.0.0.1:1',
    twilio: null,
    twilioDevWebhookToken: null,
    temporal: { address: '127.0.0.1:1', namespace: 'default', taskQueue: 'openapi-test', cliPath: null, uiUrl: null },
    sendgrid: null,
    linkSigningSecret: 'test-link-signing-secret-0123456789abcdef',
    sendgridWebhookPublicKey: null,
  } satisfies Parameters<typeof createApp>[0]['config'] & Pick<Config, 'temporal'>;
  const log = createLogger('silent');
  return createApp({
    config,
    prisma: createPrismaClient('postgresql://nobody@127.0.0.1:1/none'),
    temporal: new Client(),
    log,
    background: new BackgroundWork(log),
  });
}

interface Layer {
  rawPath?: unknown;
  route?: { path: string; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
}

/** Every `METHOD /path` the app routes, with Express's `:param` written as OpenAPI's `{param}`. */
function servedRoutes(app: Express): string[] {
  const routes: string[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      const here = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
      if (layer.route) {
        const full = (prefix + layer.route.path).replace(/\/$/, '') || '/';
        for (const method of Object.keys(layer.route.methods).filter((m) => m !== '_all'))
          routes.push(`${method.toUpperCase()} ${full.replace(/:(\w+)/g, '{$1}')}`);
      } else if (layer.handle.stack) {
        walk(layer.handle.stack, prefix + here);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return routes;
}

function documentedRoutes(): string[] {
  return Object.entries(openApiDocument().paths ?? {}).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((m) => `${m.toUpperCase()} ${path}`),
  );
}

function operations() {
  return Object.entries(openApiDocument().paths ?? {}).flatMap(([path, item]) =>
    METHODS.flatMap((m) => (item[m] ? [{ path, method: m, operation: item[m] }] : [])),
  );
}

/** The validator is an ES module, which jest's CommonJS runtime cannot load: it runs in a Node of its own. */
interface Validation {
  valid: boolean;
  version: string;
  errors?: unknown;
}

function validateOpenApi(document: unknown): Promise<Validation> {
  const script = `
    import { Validator } from '@seriousme/openapi-schema-validator';
    let input = '';
    for await (const chunk of process.stdin) input += chunk;
    const validator = new Validator();
    const result = await validator.validate(JSON.parse(input));
    process.stdout.write(JSON.stringify({ ...result, version: validator.version }));
  `;
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      ['--input-type=module', '-e', script],
      { cwd: process.cwd() },
      (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout) as Validation),
    );
    child.stdin!.end(JSON.stringify(document));
  });
}

test('the document is valid OpenAPI 3.1', async () => {
  const result = await validateOpenApi(openApiDocument());
  expect(result.errors).toBeUndefined();
  expect(result).toMatchObject({ valid: true, version: '3.1' });
});

test('every route the app serves is documented, and every documented route is served', () => {
  const served = servedRoutes(testApp());
  const documented = documentedRoutes();
  // The walk itself must see the app's routes, or the comparison below would prove nothing.
  expect(served).toEqual(expect.arrayContaining(['POST /v1/appointments', 'GET /confirm/{token}', 'GET /docs']));
  expect(served.filter((route) => !documented.includes(route))).toEqual([]);
  expect(documented.filter((route) => !served.includes(route))).toEqual([]);
});

test('every path parameter is declared by its operation', () => {
  for (const { path, method, operation } of operations()) {
    const declared = (operation.parameters ?? []).flatMap((p) => ('in' in p && p.in === 'path' ? [p.name] : []));
    const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    expect({ route: `${method} ${path}`, declared: declared.sort() }).toEqual({
      route: `${method} ${path}`,
      declared: templated.sort(),
    });
  }
});

test('the API key guards /v1 and nothing else, and /v1 errors are problem+json', () => {
  const doc = openApiDocument();
  expect(doc.components?.securitySchemes?.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
  for (const { path, method, operation } of operations()) {
    const route = `${method.toUpperCase()} ${path}`;
    if (path.startsWith('/v1/')) {
      expect({ route, security: operation.security }).toEqual({ route, security: [{ apiKey: [] }] });
      for (const status of ['400', '401']) {
        const response: unknown = operation.responses?.[status];
        expect({ route, status, response }).toMatchObject({
          route,
          status,
          response: { content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
        });
      }
    } else {
      expect({ route, security: operation.security }).toEqual({ route, security: [] });
    }
  }
  // Webhooks answer an unsigned request with a 403 problem.
  for (const path of ['/webhooks/twilio/sms', '/webhooks/twilio/status', '/webhooks/sendgrid/events']) {
    expect(doc.paths?.[path]?.post?.responses).toMatchObject({
      403: { content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
    });
  }
});

test('the request bodies are the schemas the routes validate with', () => {
  const body = openApiDocument().paths?.['/v1/appointments']?.post?.requestBody;
  const media = body && 'content' in body ? body.content['application/json'] : undefined;
  const schema = media && 'schema' in media ? media.schema : undefined;
  // Strict like createAppointmentSchema: unknown fields are refused (400), required as it requires.
  expect(schema).toMatchObject({
    additionalProperties: false,
    required: ['appointmentId', 'startsAt', 'client'],
    properties: { reminders: { maxItems: 10 }, client: { additionalProperties: false } },
  });
});

describe('GET /docs and /openapi.json', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = testApp().listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  test('/openapi.json serves the document', async () => {
    const res = await fetch(`${base}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
  });

  test('/docs is an HTML page whose scripts and styles all come from this API', async () => {
    const res = await fetch(`${base}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'(;|$)/);
    const html = await res.text();
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script>/);
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(assets).toEqual(
      expect.arrayContaining(['/docs/swagger-ui.css', '/docs/swagger-ui-bundle.js', '/docs/swagger-init.js']),
    );
    for (const asset of assets) {
      const loaded = await fetch(`${base}${asset}`);
      expect({ asset, status: loaded.status }).toEqual({ asset, status: 200 });
      if (asset.endsWith('.js')) expect(loaded.headers.get('content-type')).toMatch(/javascript/);
      if (asset.endsWith('.css')) expect(loaded.headers.get('content-type')).toMatch(/^text\/css/);
      if (asset === '/docs/swagger-init.js') {
        const init = await loaded.text();
        expect(init).toMatch(/url: '\/openapi\.json'/);
        expect(init).toMatch(/validatorUrl: null/);
      } else await loaded.arrayBuffer();
    }
  });

  test("swagger-ui-dist's own demo page and Petstore initializer are not served", async () => {
    for (const file of ['index.html', 'swagger-initializer.js', 'package.json']) {
      const res = await fetch(`${base}/docs/${file}`);
      expect({ file, status: res.status }).toEqual({ file, status: 404 });
      await res.arrayBuffer();
    }
  });
});
