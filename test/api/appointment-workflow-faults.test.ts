import net from 'node:net';
import type { Server } from 'node:http';
import { appointmentRequests } from '../support/appointment-request';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../../api/app';
import { freePort } from '../../devenv/ports';
import { workflowIdFor } from '../../domain/appointment';
import { createLogger } from '../../lib/logger';
import { repairOrphanedAppointments } from '../../services/appointment-workflows';
import { drainReplyOutbox } from '../../services/reply-outbox';
import { APPOINTMENT_WORKFLOW_TYPE } from '../../workflows/messages';
import { eventually, useTestSystem, type Problem } from '../support/system';

// The appointments row and its workflow out of step (issue 8, items 14 and 15): a start that
// Temporal never got, a start Temporal accepted whose answer was lost, and Temporal errors
// that are not "retry shortly". Each fault is made with real parts: a client pointed at a
// closed port, a TCP line to the real Temporal server that loses answers, the real server
// refusing a request.

const system = useTestSystem();

const appointment = appointmentRequests('F');

interface App {
  baseUrl: string;
  close(): Promise<void>;
}

/** The same API on the same database and task queue, with its own Temporal client. */
async function startApp(temporal: Client, taskQueue = system().config.temporal.taskQueue): Promise<App> {
  const { config, prisma } = system();
  const app = createApp({
    config: { ...config, temporal: { ...config.temporal, taskQueue } },
    prisma,
    temporal,
    log: createLogger('silent'),
    background: system().background,
  });
  const port = await freePort();
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(port, '127.0.0.1', () => resolve(listening));
  });
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A client of a Temporal that is down: nothing listens on its port. */
async function unreachableTemporal(): Promise<Client> {
  return new Client({ connection: Connection.lazy({ address: `127.0.0.1:${await freePort()}` }) });
}

/**
 * A TCP line to the real Temporal server that can start swallowing the server's answers
 * (requests still arrive) and then be cut: the answer to a request the server carried out
 * never reaches the client.
 */
async function startLossyLine(target: string) {
  const [host, port] = target.split(':');
  const sockets = new Set<net.Socket>();
  let swallowing = false;
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port), host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => socket.destroy());
      socket.on('close', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => {
      if (!swallowing) client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    swallowAnswers() {
      swallowing = true;
    },
    /** Closes the line and refuses new connections. */
    cut() {
      server.close();
      for (const socket of sockets) socket.destroy();
    },
  };
}

async function rowOf(appointmentId: string) {
  return system().prisma.appointment.findFirst({ where: { practiceId: 'clinic', externalId: appointmentId } });
}

describe('Temporal unreachable during create', () => {
  let down: App;
  beforeAll(async () => {
    down = await startApp(await unreachableTemporal());
  });
  afterAll(async () => {
    await down.close();
  });

  async function createWhileDown(body: Record<string, unknown>) {
    const res = await system().api<Problem>('POST', '/v1/appointments', body, { baseUrl: down.baseUrl });
    expect(res.status).toBe(503);
    return res;
  }

  test('answers 503 with Retry-After and keeps the row; the retry answers 200 with the started workflow', async () => {
    const body = appointment();
    const res = await createWhileDown(body);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await rowOf(body.appointmentId)).toMatchObject({ workflowStartedAt: null });
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);

    const retry = await system().api('POST', '/v1/appointments', body);
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ appointmentId: body.appointmentId, status: 'scheduled' });
    const description = await system().temporal.workflow.getHandle(retry.body.workflowId).describe();
    expect([description.status.name, description.runId]).toEqual(['RUNNING', retry.body.runId]);
    expect((await rowOf(body.appointmentId))?.workflowStartedAt).toBeInstanceOf(Date);
  });

  type Call = (id: string) => [method: string, path: string, body?: unknown];
  const calls: [string, Call, Record<string, unknown>][] = [
    ['GET', (id) => ['GET', `/v1/appointments/${id}`], { status: 'scheduled' }],
    [
      'PATCH',
      (id) => ['PATCH', `/v1/appointments/${id}`, { location: 'Room 9' }],
      { status: 'scheduled', location: 'Room 9' },
    ],
    ['cancel', (id) => ['POST', `/v1/appointments/${id}/cancel`, {}], { status: 'cancelled' }],
    ['confirm', (id) => ['POST', `/v1/appointments/${id}/confirm`], { status: 'confirmed' }],
  ];
  test.each(calls)(
    '%s of an appointment whose workflow never started starts it from the stored request',
    async (_what, call, expected) => {
      const body = appointment({ location: 'Room 1' });
      await createWhileDown(body);
      const res = await system().api(...call(body.appointmentId));
      expect([res.status, res.body]).toEqual([200, expect.objectContaining(expected)]);
      const description = await system().temporal.workflow.getHandle(res.body.workflowId).describe();
      expect(description.runId).toBe(res.body.runId);
    },
  );

  test('the repair starts the workflow of a row left without one, once, after it is old enough', async () => {
    const { prisma, temporal, config } = system();
    const repair = (olderThanMs: number) =>
      repairOrphanedAppointments({ prisma, temporal, taskQueue: config.temporal.taskQueue, olderThanMs });
    const body = appointment();
    await createWhileDown(body);
    const workflowId = workflowIdFor('clinic', body.appointmentId);

    // A create still on its way to Temporal is not an orphan yet.
    expect((await repair(60_000)).repaired).not.toContain(workflowId);
    const first = await repair(0);
    expect(first.repaired).toContain(workflowId);
    expect(first.failed).toEqual([]);
    expect((await temporal.workflow.getHandle(workflowId).describe()).status.name).toBe('RUNNING');
    expect(await repair(0)).toEqual({ repaired: [], failed: [] });

    const view = await system().api('GET', `/v1/appointments/${body.appointmentId}`);
    expect(view.body.status).toBe('scheduled');
    expect(view.body.reminders.map((r) => r.state)).toEqual(['pending', 'pending']);
  });

  test('a "C" for an appointment whose workflow is not started yet waits in the outbox and confirms once it is', async () => {
    const { prisma, temporal, config } = system();
    const phone = '+393471239876';
    const body = appointment({ client: { name: 'Maria Rossi', phone, smsConsent: true } });
    await createWhileDown(body);
    expect((await system().inboundSms({ From: phone, Body: 'C' })).status).toBe(200);
    const drain = async () => {
      await prisma.message.updateMany({ where: { effectsDueAt: { not: null } }, data: { effectsDueAt: new Date() } });
      await drainReplyOutbox({ prisma, temporal, log: createLogger('silent') });
    };

    await drain();
    const reply = await prisma.message.findFirstOrThrow({ where: { from: phone, direction: 'inbound' } });
    expect(reply).toMatchObject({ needsReview: false, signalTargets: [workflowIdFor('clinic', body.appointmentId)] });

    await repairOrphanedAppointments({ prisma, temporal, taskQueue: config.temporal.taskQueue, olderThanMs: 0 });
    await drain();
    await eventually(
      async () => (await system().api('GET', `/v1/appointments/${body.appointmentId}`)).body.status === 'confirmed',
    );
  });

  test('the repair never restarts a finished appointment that Temporal no longer keeps', async () => {
    const { prisma, temporal, config } = system();
    const created = await system().api('POST', '/v1/appointments', appointment());
    const id = created.body.appointmentId;
    await system().api('POST', `/v1/appointments/${id}/cancel`, {});
    await eventually(async () => (await rowOf(id))?.finalView, 15_000, 'the final view to be recorded');
    // After namespace retention Temporal no longer knows the closed workflow (see appointments.test.ts).
    const gone = `${created.body.workflowId}/purged`;
    await prisma.appointment.updateMany({ where: { externalId: id }, data: { workflowId: gone } });

    const result = await repairOrphanedAppointments({
      prisma,
      temporal,
      taskQueue: config.temporal.taskQueue,
      olderThanMs: 0,
    });
    expect(result.repaired).not.toContain(gone);
    await expect(temporal.workflow.getHandle(gone).describe()).rejects.toThrow(/not found/i);
    expect((await system().api('GET', `/v1/appointments/${id}`)).body.status).toBe('cancelled');
  });
});

test('an appointment whose workflow ran and is gone without a final view is a 409 for reads and changes, never a 500', async () => {
  const created = await system().api('POST', '/v1/appointments', appointment());
  const id = created.body.appointmentId;
  // As if its workflow had ended without recording its view and Temporal's retention removed it.
  await system().prisma.appointment.updateMany({
    where: { externalId: id },
    data: { workflowId: `${created.body.workflowId}/purged` },
  });
  for (const [method, path, body] of [
    ['GET', `/v1/appointments/${id}`, undefined],
    ['PATCH', `/v1/appointments/${id}`, { location: 'x' }],
    ['POST', `/v1/appointments/${id}/cancel`, {}],
    ['POST', `/v1/appointments/${id}/confirm`, undefined],
  ] as const) {
    const res = await system().api<Problem>(method, path, body);
    expect([method, path, res.status]).toEqual([method, path, 409]);
  }
});

test('a start Temporal carried out but whose answer was lost: the row stays, and GET, the retry and cancel reach that workflow', async () => {
  const address = process.env.TEST_TEMPORAL_ADDRESS!;
  const line = await startLossyLine(address);
  const connection = await Connection.connect({ address: line.address });
  const app = await startApp(new Client({ connection }));
  try {
    const body = appointment();
    const workflowId = workflowIdFor('clinic', body.appointmentId);
    line.swallowAnswers();
    const answer = system().api<Problem>('POST', '/v1/appointments', body, { baseUrl: app.baseUrl });
    const runId = await eventually(
      async () => (await system().temporal.workflow.getHandle(workflowId).describe()).runId,
      15_000,
      'Temporal to start the workflow',
    );
    line.cut();
    const res = await answer;
    expect(res.status).toBe(503);

    const view = await system().api('GET', `/v1/appointments/${body.appointmentId}`);
    expect([view.status, view.body.runId]).toEqual([200, runId]);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    const retry = await system().api('POST', '/v1/appointments', body);
    expect([retry.status, retry.body.runId]).toEqual([200, runId]);
    const cancelled = await system().api('POST', `/v1/appointments/${body.appointmentId}/cancel`, {});
    expect([cancelled.status, cancelled.body.status]).toEqual([200, 'cancelled']);
  } finally {
    line.cut();
    await app.close();
    await connection.close();
  }
});

test('a request Temporal refuses as invalid is our fault: a 500 with a generic detail, not "retry shortly"', async () => {
  // Temporal refuses task queue names longer than its id limit (1,000 characters) with
  // INVALID_ARGUMENT (gRPC 3): a configuration error, nothing the client can fix or wait out.
  const taskQueue = 'q'.repeat(1_001);
  await expect(
    system().temporal.workflow.start(APPOINTMENT_WORKFLOW_TYPE, { workflowId: 'probe', taskQueue, args: [] }),
  ).rejects.toMatchObject({ cause: { code: 3 } });
  const app = await startApp(system().temporal, taskQueue);
  try {
    const res = await system().api<Problem>('POST', '/v1/appointments', appointment(), { baseUrl: app.baseUrl });
    expect(res.status).toBe(500);
    expect(res.headers.get('retry-after')).toBeNull();
    expect(res.body).toMatchObject({ status: 500, detail: 'Something went wrong on our side; it has been logged.' });
  } finally {
    await app.close();
  }
});
