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
  expect(res.body).toMatch(/<Message>[^<]*Practice clinic[^<]*\+390212345678[^<]*<\/Message>/);
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

/** The inboundReply signals a workflow has received, from its history in Temporal. */
async function repliesSignalled(id: string): Promise<number> {
  const { workflowId } = await view(id);
  const history = await system().temporal.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'inboundReply')
    .length;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('effects apply once per MessageSid (a redelivered or replayed webhook)', () => {
  test('a redelivered "C" signals its workflow once', async () => {
    const phone = '+393471110011';
    const id = await book(phone);
    const params = { From: phone, Body: 'C', MessageSid: 'SM00000000000000000000000000000c11' };
    expect((await system().inboundSms(params)).status).toBe(200);
    await eventually(async () => (await view(id)).status === 'confirmed', 15_000, 'confirmed');
    expect((await system().inboundSms(params)).status).toBe(200);
    await pause(1_000);
    expect(await repliesSignalled(id)).toBe(1);
  });

  test('a captured START replayed after a later STOP does not opt the number back in', async () => {
    const phone = '+393471110012';
    const id = await book(phone);
    const start = { From: phone, Body: 'START', MessageSid: 'SM00000000000000000000000000000512' };
    expect((await system().inboundSms({ From: phone, Body: 'STOP' })).status).toBe(200);
    expect((await system().inboundSms(start)).status).toBe(200);
    await eventually(async () => (await view(id)).status === 'scheduled', 15_000, 'opted back in');
    expect((await system().inboundSms({ From: phone, Body: 'STOP' })).status).toBe(200);
    await eventually(async () => (await view(id)).status === 'opted_out', 15_000, 'opted out again');

    expect((await system().inboundSms(start)).status).toBe(200);
    await pause(1_000);
    expect(await system().prisma.optOut.count({ where: { phone, optedInAt: null } })).toBe(1);
    expect((await view(id)).status).toBe('opted_out');
    expect(await system().prisma.message.count({ where: { providerId: start.MessageSid } })).toBe(1);
  });

  test('a captured STOP replayed after a later START does not opt the number out again', async () => {
    const phone = '+393471110013';
    const id = await book(phone);
    const stop = { From: phone, Body: 'STOP', MessageSid: 'SM00000000000000000000000000000513' };
    expect((await system().inboundSms(stop)).status).toBe(200);
    await eventually(async () => (await view(id)).status === 'opted_out', 15_000, 'opted out');
    expect((await system().inboundSms({ From: phone, Body: 'START' })).status).toBe(200);
    await eventually(async () => (await view(id)).status === 'scheduled', 15_000, 'opted back in');

    expect((await system().inboundSms(stop)).status).toBe(200);
    await pause(1_000);
    expect(await system().prisma.optOut.count({ where: { phone, optedInAt: null } })).toBe(0);
    expect((await view(id)).status).toBe('scheduled');
  });

  test('the same STOP delivered three times at once is recorded and signalled once', async () => {
    const phone = '+393471110019';
    const id = await book(phone);
    const params = { From: phone, Body: 'STOP', MessageSid: 'SM00000000000000000000000000000519' };
    const answers = await Promise.all([1, 2, 3].map(() => system().inboundSms(params)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    await eventually(async () => (await view(id)).status === 'opted_out', 15_000, 'opted out');
    await pause(1_000);
    expect(await system().prisma.message.count({ where: { providerId: params.MessageSid } })).toBe(1);
    expect(await system().prisma.optOut.count({ where: { phone } })).toBe(1);
    expect(await repliesSignalled(id)).toBe(1);
  });

  test('a redelivered HELP is answered again, with the same answer', async () => {
    const params = { From: '+393471110014', Body: 'HELP', MessageSid: 'SM00000000000000000000000000000e14' };
    const first = await system().inboundSms(params);
    expect(first.status).toBe(200);
    expect(first.body).toMatch(/<Message>[^<]*Practice clinic/);
    const again = await system().inboundSms(params);
    expect(again.status).toBe(200);
    expect(again.body).toBe(first.body);
  });
});

test('one failing workflow does not keep a STOP from the others; it stays in the outbox for that one', async () => {
  const phone = '+393471110015';
  // A row whose workflow Temporal refuses to signal (INVALID_ARGUMENT: no workflow id), booked first.
  const broken = await system().prisma.appointment.create({
    data: {
      practiceId: 'clinic',
      externalId: 'IN-broken',
      startsAt: new Date(Date.now() + 2 * DAY),
      timeZone: 'Europe/Rome',
      status: 'scheduled',
      workflowId: '',
      clientPhone: phone,
      requestHash: 'none',
    },
  });
  const id = await book(phone);

  const res = await system().inboundSms({ From: phone, Body: 'STOP' });
  expect(res.status).toBe(200);
  await eventually(async () => (await view(id)).status === 'opted_out', 15_000, 'the healthy workflow opted out');
  const message = await system().prisma.message.findFirstOrThrow({ where: { from: phone } });
  expect(message.signalTargets).toEqual([broken.workflowId]);
  expect(message.effectsDueAt).not.toBeNull();
});

test('a reply matches the open appointment, not a cancelled one that texted the number last', async () => {
  const phone = '+393471110016';
  const open = await book(phone, { startsAt: inFuture(4 * DAY) });
  const cancelled = await book(phone);
  expect((await system().api('POST', `/v1/appointments/${cancelled}/cancel`, {})).status).toBe(200);
  await eventually(async () => (await view(cancelled)).status === 'cancelled', 15_000, 'cancelled');
  const cancelledRow = await system().prisma.appointment.findFirstOrThrow({ where: { externalId: cancelled } });
  await system().prisma.message.create({
    data: {
      practiceId: 'clinic',
      appointmentId: cancelledRow.id,
      direction: 'outbound',
      channel: 'sms',
      to: phone,
      from: system().smsFrom,
      body: 'Your appointment is cancelled.',
      segments: 1,
      encoding: 'GSM-7',
      status: 'delivered',
    },
  });

  expect((await system().inboundSms({ From: phone, Body: 'C' })).status).toBe(200);
  await eventually(async () => (await view(open)).status === 'confirmed', 15_000, 'the open appointment confirmed');
  const reply = await system().prisma.message.findFirstOrThrow({ where: { from: phone, direction: 'inbound' } });
  expect(reply).toMatchObject({
    appointmentId: (await system().prisma.appointment.findFirstOrThrow({ where: { externalId: open } })).id,
    needsReview: false,
  });
});

test("a messaging service's number that another practice sends from directly: the service's practice gets the reply", async () => {
  const service = 'MG0123456789abcdef0123456789abcdef';
  await system().addPractice('pooled', service);
  const res = await system().inboundSms({ From: '+393471110017', Body: 'Hello', MessagingServiceSid: service });
  expect(res.status).toBe(200);
  const routed = await system().prisma.message.findFirstOrThrow({ where: { from: '+393471110017' } });
  expect(routed.practiceId).toBe('pooled');

  // Without the service, `To` alone decides.
  await system().inboundSms({ From: '+393471110018', Body: 'Hello' });
  expect((await system().prisma.message.findFirstOrThrow({ where: { from: '+393471110018' } })).practiceId).toBe(
    'clinic',
  );
});
