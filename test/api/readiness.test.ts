import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../../api/app';
import { createPrismaClient, type PrismaClient } from '../../db/client';
import { freePort } from '../../devenv/ports';
import { createLogger } from '../../lib/logger';
import { eventually, useTestSystem } from '../support/system';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';

// GET /readyz against real dependencies: the test system's PostgreSQL and Temporal when they
// answer, and a database or a Temporal nobody listens on when they do not.

const system = useTestSystem({ worker: false });
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const anyMs: unknown = expect.any(Number);
const matching = (pattern: RegExp): unknown => expect.stringMatching(pattern);

interface ReadyzBody {
  status: string | number;
  title?: string;
  detail?: string;
  checks: Record<string, { status: 'up' | 'down'; reason?: string }>;
}

async function readyz(baseUrl: string) {
  const started = Date.now();
  const response = await fetch(`${baseUrl}/readyz`);
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    body: (await response.json()) as ReadyzBody,
    ms: Date.now() - started,
  };
}

/** The same app as the test system's, on other dependencies. */
async function apiWith(deps: { prisma?: PrismaClient; temporal?: Client }): Promise<string> {
  const app = createApp({
    config: system().config,
    prisma: deps.prisma ?? system().prisma,
    temporal: deps.temporal ?? system().temporal,
    log: createLogger('silent'),
    background: system().background,
  });
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test('ready: 200 when PostgreSQL and Temporal both answer', async () => {
  const answer = await readyz(system().baseUrl);
  expect(answer.status).toBe(200);
  expect(answer.contentType).toMatch(/^application\/json/);
  expect(answer.body).toEqual({
    status: 'ready',
    checks: {
      database: { status: 'up', ms: anyMs },
      temporal: { status: 'up', ms: anyMs },
    },
  });
  // Liveness is unchanged.
  expect((await fetch(`${system().baseUrl}/healthz`)).status).toBe(200);
});

test('not ready: 503 naming `database` when PostgreSQL does not answer', async () => {
  // Nothing listens on this port.
  const prisma = createPrismaClient(`postgresql://postgres@127.0.0.1:${await freePort()}/reminders`);
  cleanups.push(() => prisma.$disconnect());
  const answer = await readyz(await apiWith({ prisma }));
  expect(answer.status).toBe(503);
  expect(answer.contentType).toMatch(/^application\/problem\+json/);
  expect(answer.body).toMatchObject({
    status: 503,
    title: 'Not ready',
    detail: matching(/^database: Can.t reach database server at 127.0.0.1:\d+$/),
    checks: { database: { status: 'down' }, temporal: { status: 'up' } },
  });
  expect(answer.body.detail).not.toMatch(/temporal/);
});

test('not ready: 503 naming `temporal` when Temporal does not answer, within the check timeout', async () => {
  const connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}` });
  cleanups.push(() => connection.close());
  const answer = await readyz(await apiWith({ temporal: new Client({ connection, namespace: 'default' }) }));
  expect(answer.status).toBe(503);
  expect(answer.body).toMatchObject({
    status: 503,
    detail: matching(/^temporal: /),
    checks: { database: { status: 'up' }, temporal: { status: 'down' } },
  });
  expect(answer.body.detail).not.toMatch(/database/);
  expect(answer.ms).toBeLessThan(5_000);
});

test("the worker process answers /readyz on its ops server: database, Temporal and the worker's own state", async () => {
  const worker: WorkerProcess = startWorkerProcess(system(), { logLevel: 'info' });
  cleanups.push(() => Promise.resolve(worker.kill()));
  let port = 0;
  await eventually(
    () => {
      const started = worker
        .stdout()
        .split('\n')
        .flatMap((line) => {
          try {
            return [JSON.parse(line) as { msg?: string; httpPort?: number }];
          } catch {
            return [];
          }
        })
        .find((line) => line.msg === 'worker started');
      port = started?.httpPort ?? 0;
      return Promise.resolve(port > 0);
    },
    60_000,
    "the worker process's 'worker started' line",
  );
  let answer: Awaited<ReturnType<typeof readyz>> | undefined;
  await eventually(
    async () => {
      answer = await readyz(`http://127.0.0.1:${port}`);
      return answer.status === 200;
    },
    20_000,
    'the worker process to be ready',
  );
  expect(answer!.body).toEqual({
    status: 'ready',
    checks: {
      database: { status: 'up', ms: anyMs },
      temporal: { status: 'up', ms: anyMs },
      worker: { status: 'up', ms: anyMs },
    },
  });
});
