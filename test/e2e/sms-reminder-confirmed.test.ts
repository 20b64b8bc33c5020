import { DateTime } from 'luxon';
import { workflowIdFor } from '../../domain/appointment';
import { stateQuery } from '../../workflows/messages';
import { eventually, inFuture, useTestSystem } from '../support/system';

// The whole path: practice system → API → workflow → real twilio SDK → (fake) Twilio →
// client replies "C" through a signed webhook → workflow → API and Temporal query agree.

const system = useTestSystem();

const CLIENT_PHONE = '+393471234567';

test('a due SMS reminder reaches Twilio and a signed "C" reply confirms the appointment', async () => {
  const startsAt = inFuture(60 * 60_000);
  const created = await system().api('POST', '/v1/appointments', {
    appointmentId: 'E2E-1',
    startsAt,
    timeZone: 'Europe/Rome',
    client: { name: 'Maria Rossi', phone: CLIENT_PHONE, smsConsent: true },
    location: 'Via Roma 1, Milano',
    // Due three seconds from now.
    reminders: [{ before: 'PT59M57S', channel: 'sms' }],
  });
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({ appointmentId: 'E2E-1', status: 'scheduled', timeZone: 'Europe/Rome' });
  expect(created.body.workflowId).toBe(workflowIdFor('clinic', 'E2E-1'));
  expect(created.body.reminders).toEqual([
    expect.objectContaining({ id: 'r1', channel: 'sms', recipient: 'client', state: 'pending' }),
  ]);

  const [sms] = await system().twilio.waitForMessages((m) => m.to === CLIENT_PHONE, 1, 30_000);
  const localTime = DateTime.fromISO(startsAt)
    .setZone('Europe/Rome')
    .setLocale('en-GB')
    .toFormat("ccc d LLL 'at' HH:mm");
  expect(sms.from).toBe(system().smsFrom);
  expect(sms.body).toBe(
    `Hi Maria, a reminder from Practice clinic: your appointment is ${localTime}, Via Roma 1, Milano. ` +
      'Reply C to confirm or STOP to opt out.',
  );

  const awaiting = await eventually(
    async () => {
      const view = (await system().api('GET', '/v1/appointments/E2E-1')).body;
      return view.status === 'awaiting_confirmation' && view;
    },
    15_000,
    'awaiting_confirmation',
  );
  expect(awaiting.reminders[0]).toMatchObject({ state: 'sent', reason: null });
  const { messageId } = awaiting.reminders[0];
  if (messageId === null) throw new Error('the sent reminder has no message id');
  const logged = await system().prisma.message.findUniqueOrThrow({ where: { id: messageId } });
  expect(logged).toMatchObject({
    direction: 'outbound',
    providerId: sms.sid,
    to: CLIENT_PHONE,
    body: sms.body,
    segments: 1,
  });

  const forged = await system().inboundSms({ From: CLIENT_PHONE, Body: 'C' }, 'not-the-auth-token');
  expect(forged.status).toBe(403);
  expect(await system().prisma.message.count({ where: { direction: 'inbound' } })).toBe(0);
  expect((await system().api('GET', '/v1/appointments/E2E-1')).body.status).toBe('awaiting_confirmation');

  const reply = await system().inboundSms({ From: CLIENT_PHONE, Body: ' c. ' });
  expect(reply.status).toBe(200);
  expect(reply.headers.get('content-type')).toMatch(/xml/);

  const confirmed = await eventually(
    async () => {
      const view = (await system().api('GET', '/v1/appointments/E2E-1')).body;
      return view.status === 'confirmed' && view;
    },
    15_000,
    'confirmed',
  );
  expect(confirmed.confirmation).toMatchObject({ via: 'sms' });
  const queried = await system().temporal.workflow.getHandle(workflowIdFor('clinic', 'E2E-1')).query(stateQuery);
  expect(queried.status).toBe('confirmed');
  const inbound = await system().prisma.message.findFirstOrThrow({ where: { direction: 'inbound' } });
  expect(inbound).toMatchObject({
    keyword: 'C',
    needsReview: false,
    from: CLIENT_PHONE,
    appointmentId: logged.appointmentId,
  });
  await eventually(
    async () =>
      (await system().prisma.appointment.findFirst({ where: { externalId: 'E2E-1' } }))?.status === 'confirmed',
    15_000,
    'the appointments row to mirror the confirmation',
  );
  expect(system().twilio.messages).toHaveLength(1);
});
