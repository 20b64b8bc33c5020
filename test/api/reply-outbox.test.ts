import { createServer, type Socket } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { freePort } from '../../devenv/ports';
import { createLogger } from '../../lib/logger';
import { drainReplyOutbox, INLINE_DELIVERY_MS, startReplyOutbox } from '../../services/reply-outbox';
import { eventually, inFuture, useTestSystem } from '../support/system';

// Promise 3: a signed webhook answered 2xx always has its effect, even when Temporal was
// down when it came. The API here talks to a Temporal that is paused (it accepts
// connections and never answers) or stopped (nothing listens); its effects reach the
// workflows later through the outbox drain, with a client that works.

const system = useTestSystem();

const DAY = 24 * 3_600_000;
let seq = 0;
async function book(phone: string, startsInMs = 3 * DAY) {
  seq += 1;
  const res = await system().api('POST', '/v1/appointments', {
    appointmentId: `OB-${seq}`,
    startsAt: inFuture(startsInMs),
    client: { name: 'Anna Neri', phone, smsConsent: true },
  });
  expect(res.status).toBe(201);
  return res.body.appointmentId;
}
const log = createLogger('silent');
/** Drains with the test system's working client until nothing is due (a due time in the future is brought forward). */
async function drainAll() {
  await system().prisma.message.updateMany({
    where: { effectsDueAt: { not: null } },
    data: { effectsDueAt: new Date() },
  });
  return drainReplyOutbox({ prisma: system().prisma, temporal: system().temporal, log });
}
const view = async (id: string) => (await system().api('GET', `/v1/appointments/${id}`)).body;

/** A Temporal frontend that is down in the given way, and a client pointed at it. */
async function downTemporal(kind: 'paused' | 'stopped') {
  const port = await freePort();
  const sockets: Socket[] = [];
  // Paused: the TCP connection opens, nothing ever answers (a SIGSTOPped server, a hung proxy).
  const blackHole = kind === 'paused' ? createServer((socket) => sockets.push(socket)) : null;
  if (blackHole) await new Promise<void>((resolve) => blackHole.listen(port, '127.0.0.1', resolve));
  const connection = Connection.lazy({ address: `127.0.0.1:${port}` });
  const temporal = new Client({ connection, namespace: 'default' });
  return {
    temporal,
    async stop() {
      await connection.close();
      for (const socket of sockets) socket.destroy();
      if (blackHole) await new Promise((resolve) => blackHole.close(resolve));
    },
  };
}

describe.each(['paused', 'stopped'] as const)('Temporal %s when replies arrive', (kind) => {
  test('"C" and STOP are answered 2xx at once, recorded, and reach the workflows once Temporal is back', async () => {
    const down = await downTemporal(kind);
    const api = await system().startApi(down.temporal);
    try {
      const confirming = await book(`+39347222${kind === 'paused' ? '1' : '2'}001`);
      const stoppingPhone = `+39347222${kind === 'paused' ? '1' : '2'}002`;
      const stopping = [await book(stoppingPhone), await book(stoppingPhone, 4 * DAY)];

      for (const [phone, body] of [
        [`+39347222${kind === 'paused' ? '1' : '2'}001`, 'C'],
        [stoppingPhone, 'STOP'],
      ]) {
        const res = await api.inboundSms({ From: phone, Body: body });
        // Answered once stored, without waiting for Temporal: a paused one would hold a signal
        // for the whole inline bound.
        expect({ status: res.status, beforeSignalling: res.answeredInMs < INLINE_DELIVERY_MS }).toEqual({
          status: 200,
          beforeSignalling: true,
        });
      }
      // The opt-out is the database's as soon as the webhook answered.
      expect(await system().prisma.optOut.count({ where: { phone: stoppingPhone, optedInAt: null } })).toBe(1);
      expect((await view(confirming)).status).toBe('scheduled');
      expect(await system().prisma.message.count({ where: { effectsDueAt: { not: null } } })).toBe(2);

      // A worker's round while Temporal is still down gives up on the whole batch after one deadline.
      await system().prisma.message.updateMany({
        where: { effectsDueAt: { not: null } },
        data: { effectsDueAt: new Date() },
      });
      const started = Date.now();
      expect(
        await drainReplyOutbox({ prisma: system().prisma, temporal: down.temporal, log, perSignalMs: 1_000 }),
      ).toEqual({ taken: 2, stillPending: 2 });
      expect(Date.now() - started).toBeLessThan(2_000);

      // Temporal is back: a worker's outbox round delivers what the webhooks recorded. The test
      // system's own worker drains the outbox every second too, so this round may find them taken.
      expect((await drainAll()).stillPending).toBe(0);
      await eventually(async () => (await view(confirming)).status === 'confirmed', 15_000, 'confirmed');
      for (const id of stopping) {
        await eventually(async () => (await view(id)).status === 'opted_out', 15_000, `${id} opted out`);
      }
      expect(await system().prisma.message.count({ where: { effectsDueAt: { not: null } } })).toBe(0);
    } finally {
      await api.stop();
      await down.stop();
    }
  }, 60_000);
});

/** An inbound reply stored with signals still to deliver, as the webhook leaves it. */
function pendingReply(body: string, signalTargets: string[], from = '+393472229999') {
  return system().prisma.message.create({
    data: {
      practiceId: 'clinic',
      direction: 'inbound',
      channel: 'sms',
      to: system().smsFrom,
      from,
      body,
      segments: 1,
      encoding: 'GSM-7',
      status: 'received',
      signalTargets,
      effectsDueAt: new Date(Date.now() - 1_000),
    },
  });
}

test('workers draining at once each take different replies; a "C" whose workflow is gone is flagged for review', async () => {
  const replies = await Promise.all(
    Array.from({ length: 12 }, (_, i) => pendingReply('C', [`appointment/clinic/gone-${i}`])),
  );
  const drainer = async () => {
    let taken = 0;
    for (;;) {
      const round = await drainReplyOutbox({ prisma: system().prisma, temporal: system().temporal, log, batchSize: 2 });
      if (round.taken === 0) return taken;
      taken += round.taken;
    }
  };
  const taken = await Promise.all([drainer(), drainer(), drainer()]);
  // The test system's own worker drains the outbox in the background too, so it may take some:
  // the drainers together take each reply at most once, and every reply ends handled.
  const total = taken.reduce((a, b) => a + b);
  expect(total).toBeGreaterThan(0);
  expect(total).toBeLessThanOrEqual(replies.length);
  // A reply the background drainer holds may still be in its hands when ours find nothing left.
  await eventually(
    async () => {
      const after = await system().prisma.message.findMany({ where: { id: { in: replies.map((r) => r.id) } } });
      return after.every((m) => m.needsReview && m.effectsDueAt === null && m.signalTargets.length === 0);
    },
    15_000,
    'every reply handled and flagged for review',
  );
});

test('the outbox delivers to every workflow it can and keeps the reply for the one that refused it', async () => {
  const phone = '+393472223001';
  const id = await book(phone);
  const { workflowId } = await view(id);
  // '' stands for a workflow Temporal refuses to signal (INVALID_ARGUMENT), listed first.
  const reply = await pendingReply('STOP', ['', workflowId], phone);

  expect(await drainReplyOutbox({ prisma: system().prisma, temporal: system().temporal, log })).toEqual({
    taken: 1,
    stillPending: 1,
  });
  await eventually(async () => (await view(id)).status === 'opted_out', 15_000, 'opted out');
  const after = await system().prisma.message.findUniqueOrThrow({ where: { id: reply.id } });
  expect(after.signalTargets).toEqual(['']);
  expect(after.effectsDueAt!.getTime()).toBeGreaterThan(Date.now());
  await system().prisma.message.update({ where: { id: reply.id }, data: { signalTargets: [], effectsDueAt: null } });
});

test('startReplyOutbox delivers due replies in the background until stopped', async () => {
  const phone = '+393472223002';
  const id = await book(phone);
  const { workflowId } = await view(id);
  const stop = startReplyOutbox({ prisma: system().prisma, temporal: system().temporal, log, intervalMs: 100 });
  try {
    await pendingReply('STOP', [workflowId], phone);
    await eventually(async () => (await view(id)).status === 'opted_out', 15_000, 'opted out by the outbox');
  } finally {
    await stop();
  }
});
