import { randomBytes } from 'node:crypto';
import { appointmentsOfSender } from '../../db/open-appointments';
import { match } from '../support/matchers';
import { useTestDatabase } from '../support/postgres';
import { createOwnPractice } from '../support/practices';

// Which open appointments a reply's number has, and which one the reply is about, against a
// real PostgreSQL: the rules the inbound webhook routes every reply by.

const db = useTestDatabase('open_appointments');

const HOUR = 3_600_000;
const NOW = new Date('2026-12-01T08:00:00Z');
const CLIENT = '+393471230001';
const PRACTITIONER = '+393471239999';

/** A practice of its own per test, so appointments never mix. */
async function practice(): Promise<string> {
  return (await createOwnPractice(db.prisma)).id;
}

/** An appointment row `hoursAhead` of NOW. */
async function appointment(
  practiceId: string,
  hoursAhead: number,
  fields: { clientPhone?: string | null; practitionerPhone?: string; status?: string; ended?: boolean } = {},
): Promise<string> {
  const externalId = randomBytes(4).toString('hex');
  const row = await db.prisma.appointment.create({
    data: {
      practiceId,
      externalId,
      startsAt: new Date(NOW.getTime() + hoursAhead * HOUR),
      timeZone: 'UTC',
      status: fields.status ?? 'scheduled',
      workflowId: `${practiceId}/${externalId}`,
      clientPhone: fields.clientPhone === undefined ? CLIENT : fields.clientPhone,
      practitionerPhone: fields.practitionerPhone ?? null,
      requestHash: 'h',
      details: { client: { name: 'Maria' } },
      ...(fields.ended ? { finalView: { status: 'unconfirmed' } } : {}),
    },
  });
  return row.id;
}

/** An outbound SMS about `appointmentId` to CLIENT, sent `hoursAgo` before NOW. */
async function texted(
  practiceId: string,
  appointmentId: string,
  hoursAgo: number,
  fields: { status?: string; purpose?: string; sent?: boolean } = {},
): Promise<void> {
  const at = new Date(NOW.getTime() - hoursAgo * HOUR);
  await db.prisma.message.create({
    data: {
      practiceId,
      appointmentId,
      direction: 'outbound',
      channel: 'sms',
      to: CLIENT,
      from: '+15005550006',
      body: 'Reminder',
      status: fields.status ?? 'delivered',
      purpose: fields.purpose ?? 'reminder',
      createdAt: at,
      sentAt: fields.sent === false ? null : at,
    },
  });
}

const ids = (found: { id: string }[]) => found.map((a) => a.id);

test("a client's open appointments, soonest first; started, cancelled and ended ones are not open", async () => {
  const p = await practice();
  const later = await appointment(p, 48);
  const sooner = await appointment(p, 2);
  await appointment(p, -1);
  await appointment(p, 5, { status: 'cancelled' });
  await appointment(p, 6, { ended: true });
  await appointment(p, 3, { clientPhone: '+393471230002' });

  const found = await appointmentsOfSender(db.prisma, p, CLIENT, NOW);
  expect(found.sender).toBe('client');
  expect(ids(found.open)).toEqual([sooner, later]);
  // Nothing was texted: the next upcoming one.
  expect(found.matched?.id).toBe(sooner);
  expect(found.open[0]).toMatchObject({
    workflowId: match.stringMatching(/^p-/),
    startsAt: new Date(NOW.getTime() + 2 * HOUR),
    timeZone: 'UTC',
    details: { client: { name: 'Maria' } },
  });
});

test('a reply is about the open appointment whose text last reached the number', async () => {
  const p = await practice();
  const sooner = await appointment(p, 2);
  const later = await appointment(p, 48);
  await texted(p, sooner, 5);
  await texted(p, later, 1);
  expect((await appointmentsOfSender(db.prisma, p, CLIENT, NOW)).matched?.id).toBe(later);
});

test('texts that never reached the number, were never sent, or answered a reply do not decide', async () => {
  const p = await practice();
  const sooner = await appointment(p, 2);
  const later = await appointment(p, 48);
  await texted(p, sooner, 5);
  await texted(p, later, 1, { status: 'undelivered' });
  await texted(p, later, 0.9, { status: 'failed' });
  await texted(p, later, 0.8, { sent: false, status: 'pending' });
  await texted(p, later, 0.5, { purpose: 'reply', status: 'sent' });
  expect((await appointmentsOfSender(db.prisma, p, CLIENT, NOW)).matched?.id).toBe(sooner);
});

test('a text about an appointment no longer open does not decide', async () => {
  const p = await practice();
  const upcoming = await appointment(p, 48);
  const cancelled = await appointment(p, 2, { status: 'cancelled' });
  const sooner = await appointment(p, 24);
  await texted(p, upcoming, 5);
  await texted(p, cancelled, 1);
  expect((await appointmentsOfSender(db.prisma, p, CLIENT, NOW)).matched?.id).toBe(upcoming);
  expect(ids((await appointmentsOfSender(db.prisma, p, CLIENT, NOW)).open)).toEqual([sooner, upcoming]);
});

test("a practitioner's number: their open appointments, the next one matched", async () => {
  const p = await practice();
  const first = await appointment(p, 3, { practitionerPhone: PRACTITIONER });
  const second = await appointment(p, 30, { practitionerPhone: PRACTITIONER });
  const found = await appointmentsOfSender(db.prisma, p, PRACTITIONER, NOW);
  expect(found.sender).toBe('practitioner');
  expect(ids(found.open)).toEqual([first, second]);
  expect(found.matched?.id).toBe(first);
});

test("a number that is a practitioner's and also a client's is the client's, with only the client's appointments", async () => {
  const p = await practice();
  await appointment(p, 3, { clientPhone: '+393471230003', practitionerPhone: CLIENT });
  const own = await appointment(p, 30);
  const found = await appointmentsOfSender(db.prisma, p, CLIENT, NOW);
  expect(found.sender).toBe('client');
  expect(ids(found.open)).toEqual([own]);
  expect(found.matched?.id).toBe(own);
});

test("nobody's number, and another practice's appointments, are nobody's", async () => {
  const p = await practice();
  const other = await practice();
  await appointment(other, 3);
  expect(await appointmentsOfSender(db.prisma, p, CLIENT, NOW)).toEqual({ sender: null, open: [], matched: null });
});
