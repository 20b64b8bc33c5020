import { match } from '../support/matchers';
import { eventually, inFuture, useTestSystem, type Problem } from '../support/system';

// Inbound SMS through the signed webhook, against the real app, Temporal and PostgreSQL.

const system = useTestSystem();

const DAY = 24 * 3_600_000;
let seq = 0;
async function book(phone: string, overrides: Record<string, unknown> = {}) {
  seq += 1;
  const res = await system().api('POST', '/v1/appointments', {
    appointmentId: `IN-${seq}`,
    startsAt: inFuture(3 * DAY),
    client: { name: 'Anna Neri', phone, smsConsent: true },
    ...overrides,
  });
  expect(res.status).toBe(201);
  return res.body.appointmentId;
}

const view = async (id: string) => (await system().api('GET', `/v1/appointments/${id}`)).body;

test('STOP opts the number out for every active appointment; START opts it back in', async () => {
  const phone = '+393471110001';
  const first = await book(phone);
  const second = await book(phone, { startsAt: inFuture(4 * DAY) });
  const other = await book('+393471110002');

  const stop = await system().inboundSms({ From: phone, Body: 'Stop' });
  expect(stop.status).toBe(200);
  for (const id of [first, second]) {
    await eventually(async () => (await view(id)).status === 'opted_out', 15_000, `${id} opted out`);
    expect((await view(id)).reminders.every((r) => r.state === 'skipped' && r.reason === 'opted_out')).toBe(true);
  }
  expect((await view(other)).status).toBe('scheduled');
  const optOut = await system().prisma.optOut.findFirstOrThrow({ where: { phone } });
  expect(optOut).toMatchObject({ practiceId: 'clinic', keyword: 'STOP', optedInAt: null });

  // A new appointment for an opted-out number with only SMS reminders has nothing to send.
  const refused = await system().api<Problem>('POST', '/v1/appointments', {
    appointmentId: 'IN-refused',
    startsAt: inFuture(3 * DAY),
    client: { name: 'Anna Neri', phone, smsConsent: true },
  });
  expect(refused.status).toBe(422);
  expect(refused.body.errors?.[0]).toMatchObject({ path: 'reminders', message: match.stringMatching(/opted_out/) });

  const start = await system().inboundSms({ From: phone, Body: 'START' });
  expect(start.status).toBe(200);
  await eventually(async () => (await view(first)).status === 'scheduled', 15_000, 'opted back in');
  expect((await view(first)).reminders.every((r) => r.state === 'pending')).toBe(true);
  expect(await system().prisma.optOut.findFirstOrThrow({ where: { phone } })).toMatchObject({
    optInKeyword: 'START',
    optedInAt: match.any(Date),
  });
});

test('HELP answers with the practice name and help phone in TwiML', async () => {
  const res = await system().inboundSms({ From: '+393471110003', Body: 'help' });
  expect(res.status).toBe(200);
  expect(res.body).toContain('<Message>Practice clinic appointment reminders. For help call +390212345678.');
});

test('free text is kept, matched to the upcoming appointment and flagged for review', async () => {
  const phone = '+393471110004';
  const id = await book(phone);
  const res = await system().inboundSms({ From: phone, Body: 'Can I come at 10 instead?' });
  expect(res.status).toBe(200);
  const message = await system().prisma.message.findFirstOrThrow({
    where: { from: phone },
    include: { appointment: true },
  });
  expect(message).toMatchObject({
    direction: 'inbound',
    needsReview: true,
    keyword: null,
    body: 'Can I come at 10 instead?',
  });
  expect(message.appointment?.externalId).toBe(id);
  expect((await view(id)).status).toBe('scheduled');
});

test('a "C" from a number with no appointment confirms nothing and is flagged for review', async () => {
  const res = await system().inboundSms({ From: '+393471110005', Body: 'C' });
  expect(res.status).toBe(200);
  const message = await system().prisma.message.findFirstOrThrow({ where: { from: '+393471110005' } });
  expect(message).toMatchObject({ appointmentId: null, needsReview: true, keyword: 'C' });
});

test('a redelivered webhook (same MessageSid) is logged once', async () => {
  const phone = '+393471110006';
  await book(phone);
  const params = { From: phone, Body: 'C', MessageSid: 'SM00000000000000000000000000000042' };
  expect((await system().inboundSms(params)).status).toBe(200);
  expect((await system().inboundSms(params)).status).toBe(200);
  expect(await system().prisma.message.count({ where: { providerId: params.MessageSid } })).toBe(1);
});

test('a forged signature gets 403 and changes nothing', async () => {
  const phone = '+393471110007';
  const id = await book(phone);
  const before = await system().prisma.message.count();
  const res = await system().inboundSms({ From: phone, Body: 'STOP' }, 'forged-token');
  expect(res.status).toBe(403);
  expect(await system().prisma.message.count()).toBe(before);
  expect(await system().prisma.optOut.count({ where: { phone } })).toBe(0);
  expect((await view(id)).status).toBe('scheduled');
});

test('an SMS to a number no practice uses is acknowledged and ignored', async () => {
  const before = await system().prisma.message.count();
  const res = await system().inboundSms({ From: '+393471110008', Body: 'C', To: '+15005559999' });
  expect(res.status).toBe(200);
  expect(await system().prisma.message.count()).toBe(before);
});
