import { appointmentRequests } from '../support/appointment-request';
import { recordOptOut } from '../../db/opt-outs';
import { workflowIdFor } from '../../domain/appointment';
import { AppointmentIdKey, AppointmentStatusKey, PracticeIdKey } from '../../workflows/search-attributes';
import { match } from '../support/matchers';
import { inFuture, eventually, useTestSystem, type Problem } from '../support/system';

// The appointment API over HTTP against the real app, Temporal and PostgreSQL.

const system = useTestSystem();

const DAY = 24 * 3_600_000;
const appointment = appointmentRequests('A');

async function rowCounts() {
  return {
    appointments: await system().prisma.appointment.count(),
    messages: await system().prisma.message.count(),
  };
}

describe('POST /v1/appointments', () => {
  test('creates the workflow with the practice policy and search attributes', async () => {
    const body = appointment();
    const res = await system().api('POST', '/v1/appointments', body);
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/v1/appointments/${body.appointmentId}`);
    expect(res.body.reminders.map((r) => [r.before, r.state])).toEqual([
      ['P1D', 'pending'],
      ['PT2H', 'pending'],
    ]);
    const description = await system().temporal.workflow.getHandle(res.body.workflowId).describe();
    expect(description.status.name).toBe('RUNNING');
    const attributes = description.typedSearchAttributes;
    expect({
      practiceId: attributes.get(PracticeIdKey),
      appointmentId: attributes.get(AppointmentIdKey),
      status: attributes.get(AppointmentStatusKey),
    }).toEqual({ practiceId: 'clinic', appointmentId: body.appointmentId, status: 'scheduled' });
    const row = await system().prisma.appointment.findFirstOrThrow({ where: { externalId: body.appointmentId } });
    expect(row).toMatchObject({
      practiceId: 'clinic',
      workflowId: workflowIdFor('clinic', body.appointmentId),
      status: 'scheduled',
    });
  });

  test('the same body again is a safe retry (200); a different body is a conflict (409)', async () => {
    const body = appointment();
    const first = await system().api('POST', '/v1/appointments', body);
    expect(first.status).toBe(201);
    const reordered = {
      client: body.client,
      timeZone: body.timeZone,
      startsAt: body.startsAt,
      appointmentId: body.appointmentId,
    };
    const retry = await system().api('POST', '/v1/appointments', reordered);
    expect(retry.status).toBe(200);
    expect(retry.body.runId).toBe(first.body.runId);
    const conflict = await system().api('POST', '/v1/appointments', { ...body, location: 'Elsewhere' });
    expect(conflict.status).toBe(409);
    expect(conflict.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await system().prisma.appointment.count({ where: { externalId: body.appointmentId } })).toBe(1);
  });

  test('identical creates at once: one 201, the others the safe-retry 200, one row and one run', async () => {
    const body = appointment();
    const answers = await Promise.all(Array.from({ length: 6 }, () => system().api('POST', '/v1/appointments', body)));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 200, 201]);
    expect(new Set(answers.map((a) => a.body.runId)).size).toBe(1);
    expect(await system().prisma.appointment.count({ where: { externalId: body.appointmentId } })).toBe(1);
  });

  test('identical creates that meet at the insert: one 201, the others the safe-retry 200 (issue 8, item 13)', async () => {
    const { prisma } = system();
    const body = appointment();
    // An uncommitted row with the same id holds every create at the unique index, so all of
    // them have read "no such appointment" and insert at once when it goes away.
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    let holding = () => {};
    const held = new Promise<void>((resolve) => (holding = resolve));
    const holder = prisma
      .$transaction(
        async (tx) => {
          await tx.appointment.create({
            data: {
              practiceId: 'clinic',
              externalId: body.appointmentId,
              startsAt: new Date(body.startsAt),
              timeZone: body.timeZone,
              status: 'scheduled',
              workflowId: `holder/${body.appointmentId}`,
              requestHash: 'holder',
            },
          });
          holding();
          await released;
          throw new Error('rolled back on purpose');
        },
        { timeout: 60_000 },
      )
      .catch(() => undefined);
    await held;
    const answers = Promise.all(Array.from({ length: 3 }, () => system().api('POST', '/v1/appointments', body)));
    await eventually(
      async () => {
        const [{ waiting }] = await prisma.$queryRaw<{ waiting: number }[]>`
          SELECT count(*)::int AS waiting FROM pg_stat_activity
          WHERE wait_event_type = 'Lock' AND datname = current_database()`;
        return waiting >= 3;
      },
      30_000,
      'the three creates to wait at the unique index',
    );
    release();
    await holder;
    const statuses = (await answers).map((a) => a.status).sort();
    expect(statuses).toEqual([200, 200, 201]);
    expect(new Set((await answers).map((a) => a.body.runId)).size).toBe(1);
  });

  test('the same body after the client texted STOP is still the safe retry (200), not a 422', async () => {
    const body = appointment({ client: { name: 'Ada Neri', phone: '+393471260000', smsConsent: true } });
    const first = await system().api('POST', '/v1/appointments', body);
    expect(first.status).toBe(201);
    await recordOptOut(system().prisma, system().practiceId, '+393471260000', 'STOP', new Date());
    const retry = await system().api('POST', '/v1/appointments', body);
    expect([retry.status, retry.body.runId]).toEqual([200, first.body.runId]);
  });

  test('the same body after the appointment started is still the safe retry (200): the answer to a lost response', async () => {
    const body = appointment({
      startsAt: inFuture(2_000),
      client: { name: 'Ada Neri', phone: '+393471260001', smsConsent: true },
      reminders: [{ before: 'PT1H', channel: 'sms' }],
    });
    const first = await system().api('POST', '/v1/appointments', body);
    expect(first.status).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const retry = await system().api('POST', '/v1/appointments', body);
    expect([retry.status, retry.body.appointmentId]).toEqual([200, body.appointmentId]);
    // A new appointment in the past is still refused.
    const late = await system().api<Problem>('POST', '/v1/appointments', { ...body, appointmentId: 'LATE-1' });
    expect([late.status, late.body.errors?.map((e) => e.path)]).toEqual([422, ['startsAt']]);
  });

  test.each([
    ['an invalid phone', { client: { name: 'M', phone: '+39123', smsConsent: true } }, 422, 'client.phone'],
    ['a start in the past', { startsAt: new Date(Date.now() - 60_000).toISOString() }, 422, 'startsAt'],
    ['a start without offset', { startsAt: '2030-01-01T09:00:00' }, 422, 'startsAt'],
    ['an unknown time zone', { timeZone: 'Mars/Olympus' }, 422, 'timeZone'],
    ['an unknown channel', { reminders: [{ before: 'P1D', channel: 'fax' }] }, 422, 'reminders.0.channel'],
    ['a bad duration', { reminders: [{ before: '1 day', channel: 'sms' }] }, 422, 'reminders.0.before'],
    ['a duration over a year', { reminders: [{ before: 'P300000Y', channel: 'sms' }] }, 422, 'reminders.0.before'],
    [
      'a NUL in a name',
      { client: { name: 'Maria\u0000', phone: '+393471234567', smsConsent: true } },
      422,
      'client.name',
    ],
    ['a lone surrogate in the location', { location: 'Via Roma \ud800' }, 422, 'location'],
    ['no phone or email', { client: { name: 'M' } }, 422, 'client'],
    ['nothing sendable', { client: { name: 'M', phone: '+393471234567', smsConsent: false } }, 422, 'reminders'],
    ['an unknown field', { colour: 'blue' }, 400, 'colour'],
    [
      'an unknown nested field',
      { client: { name: 'M', phone: '+393471234567', smsConsent: true, age: 3 } },
      400,
      'client.age',
    ],
  ])('refuses %s with a field-level problem and writes nothing', async (_what, overrides, status, path) => {
    const before = await rowCounts();
    const res = await system().api<Problem>('POST', '/v1/appointments', appointment(overrides));
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({ status, title: match.any(String), detail: match.any(String) });
    expect(res.body.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ path, message: match.any(String) })]),
    );
    expect(await rowCounts()).toEqual(before);
  });

  test('names every bad field at once', async () => {
    const res = await system().api<Problem>('POST', '/v1/appointments', {
      appointmentId: '',
      startsAt: '2020-01-01T09:00:00Z',
      timeZone: 'Nowhere/City',
      client: { name: '', phone: 'nope' },
    });
    expect(res.status).toBe(422);
    expect(res.body.errors?.map((e) => e.path).sort()).toEqual(
      ['appointmentId', 'client.name', 'client.phone', 'startsAt', 'timeZone'].sort(),
    );
  });

  test('a body that is not JSON is a 415 problem', async () => {
    const res = await system().api('POST', '/v1/appointments', undefined, {
      rawBody: 'appointmentId=A',
      contentType: 'text/plain',
    });
    expect(res.status).toBe(415);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
  });

  test('malformed JSON is a 400 problem', async () => {
    const res = await system().api<Problem>('POST', '/v1/appointments', undefined, { rawBody: '{"appointmentId": ' });
    expect(res.status).toBe(400);
    expect(res.body.title).toBe('Malformed JSON');
  });

  test('a missing, wrong or revoked key is a 401 problem', async () => {
    expect((await system().api('POST', '/v1/appointments', appointment(), { apiKey: null })).status).toBe(401);
    const wrong = await system().api('GET', '/v1/appointments/A-1', undefined, { apiKey: 'ark_00000000_nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('content-type')).toMatch(/application\/problem\+json/);
  });
});

describe('one practice cannot see another', () => {
  test("another practice's appointment is a 404, for reads and for changes", async () => {
    const { apiKey: otherKey } = await system().addPractice('other', '+15005550001');
    const mine = await system().api('POST', '/v1/appointments', appointment());
    expect(mine.status).toBe(201);
    const id = mine.body.appointmentId;
    for (const [method, path, body] of [
      ['GET', `/v1/appointments/${id}`, undefined],
      ['PATCH', `/v1/appointments/${id}`, { location: 'x' }],
      ['POST', `/v1/appointments/${id}/cancel`, {}],
      ['POST', `/v1/appointments/${id}/confirm`, {}],
    ] as const) {
      const res = await system().api(method, path, body, { apiKey: otherKey });
      expect([method, path, res.status]).toEqual([method, path, 404]);
    }
    expect((await system().api('GET', `/v1/appointments/${id}`)).body.status).toBe('scheduled');
    // The same appointmentId is free for the other practice.
    const theirs = await system().api(
      'POST',
      '/v1/appointments',
      { ...appointment(), appointmentId: id },
      { apiKey: otherKey },
    );
    expect(theirs.status).toBe(201);
    expect(theirs.body.workflowId).toBe(`appointment/other/${id}`);
  });
});

describe('changes to a running appointment', () => {
  test('staff confirmation, then reschedule resets it and re-plans', async () => {
    const created = await system().api('POST', '/v1/appointments', appointment());
    const id = created.body.appointmentId;
    const confirmed = await system().api('POST', `/v1/appointments/${id}/confirm`);
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({ status: 'confirmed', confirmation: { via: 'staff' } });

    const newStart = inFuture(5 * DAY);
    const moved = await system().api('PATCH', `/v1/appointments/${id}`, { startsAt: newStart, location: 'Room 2' });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ status: 'scheduled', confirmation: null, location: 'Room 2' });
    expect(Date.parse(moved.body.startsAt)).toBe(Date.parse(newStart));
    expect(moved.body.reminders.map((r) => [r.id, r.state])).toEqual([
      ['r1', 'skipped'],
      ['r2', 'skipped'],
      ['r3', 'pending'],
      ['r4', 'pending'],
    ]);
    await eventually(
      async () => {
        const row = await system().prisma.appointment.findFirstOrThrow({ where: { externalId: id } });
        return row.startsAt.getTime() === Date.parse(newStart) && row.status === 'scheduled';
      },
      15_000,
      'the row to follow the reschedule',
    );
  });

  test('a new phone number before a reminder is due: the reminder goes to the new number', async () => {
    const created = await system().api(
      'POST',
      '/v1/appointments',
      appointment({
        startsAt: inFuture(3_600_000),
        client: { name: 'Sara Blu', phone: '+393471240000', smsConsent: true },
        reminders: [{ before: 'PT59M54S', channel: 'sms' }],
      }),
    );
    const id = created.body.appointmentId;
    const changed = await system().api('PATCH', `/v1/appointments/${id}`, { client: { phone: '+393471240001' } });
    expect(changed.status).toBe(200);
    expect(changed.body.reminders).toEqual(created.body.reminders);
    await system().twilio.waitForMessages((m) => m.to === '+393471240001', 1, 30_000);
    expect(system().twilio.messages.filter((m) => m.to === '+393471240000')).toHaveLength(0);
    await eventually(
      async () =>
        (await system().prisma.appointment.findFirst({ where: { externalId: id } }))?.clientPhone === '+393471240001',
      15_000,
      'the row to follow the new phone',
    );
  });

  test("a new phone carries its own opt-out: the old number's STOP stays behind, the new number's applies", async () => {
    const created = await system().api(
      'POST',
      '/v1/appointments',
      appointment({ client: { name: 'Lia Viola', phone: '+393471250000', smsConsent: true } }),
    );
    const id = created.body.appointmentId;
    expect((await system().inboundSms({ From: '+393471250000', Body: 'STOP' })).status).toBe(200);
    await eventually(
      async () => (await system().api('GET', `/v1/appointments/${id}`)).body.status === 'opted_out',
      15_000,
      'the STOP to reach the workflow',
    );

    const moved = await system().api('PATCH', `/v1/appointments/${id}`, { client: { phone: '+393471250001' } });
    expect(moved.status).toBe(200);
    expect(moved.body.status).toBe('scheduled');
    expect(moved.body.reminders.map((r) => [r.state, r.reason])).toEqual([
      ['pending', null],
      ['pending', null],
    ]);

    await recordOptOut(system().prisma, system().practiceId, '+393471250002', 'STOP', new Date());
    const optedOut = await system().api('PATCH', `/v1/appointments/${id}`, { client: { phone: '+393471250002' } });
    expect(optedOut.body.status).toBe('opted_out');
    expect(optedOut.body.reminders.map((r) => [r.state, r.reason])).toEqual([
      ['skipped', 'opted_out'],
      ['skipped', 'opted_out'],
    ]);
  });

  test('a reschedule into the past or with an unknown field is refused and changes nothing', async () => {
    const created = await system().api('POST', '/v1/appointments', appointment());
    const id = created.body.appointmentId;
    const past = await system().api('PATCH', `/v1/appointments/${id}`, {
      startsAt: new Date(Date.now() - DAY).toISOString(),
    });
    expect(past.status).toBe(422);
    const unknown = await system().api('PATCH', `/v1/appointments/${id}`, { startsAt: inFuture(DAY), room: 3 });
    expect(unknown.status).toBe(400);
    const view = await system().api('GET', `/v1/appointments/${id}`);
    expect(view.body.startsAt).toBe(created.body.startsAt);
    expect(view.body.reminders).toEqual(created.body.reminders);
  });

  test('cancel is idempotent, and a cancelled appointment refuses changes with 409', async () => {
    const created = await system().api('POST', '/v1/appointments', appointment());
    const id = created.body.appointmentId;
    const cancelled = await system().api('POST', `/v1/appointments/${id}/cancel`, { reason: 'patient called' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', cancellation: { reason: 'patient called' } });
    expect(cancelled.body.reminders.every((r) => r.state === 'cancelled')).toBe(true);

    const again = await system().api('POST', `/v1/appointments/${id}/cancel`, {});
    expect(again.status).toBe(200);
    expect(again.body.status).toBe('cancelled');

    const patch = await system().api<Problem>('PATCH', `/v1/appointments/${id}`, { location: 'x' });
    expect(patch.status).toBe(409);
    expect(patch.body.detail).toBe('The appointment is cancelled.');
    const confirm = await system().api('POST', `/v1/appointments/${id}/confirm`);
    expect(confirm.status).toBe(409);
    const view = await system().api('GET', `/v1/appointments/${id}`);
    expect(view.body.status).toBe('cancelled');
    const description = await system().temporal.workflow.getHandle(view.body.workflowId).describe();
    expect(description.status.name).toBe('COMPLETED');
    expect(description.typedSearchAttributes.get(AppointmentStatusKey)).toBe('cancelled');
    // Without notifyClient the client hears nothing.
    expect(system().twilio.messages.filter((m) => m.to === '+393471234567')).toHaveLength(0);
  });

  test('a finished workflow that Temporal no longer keeps is still answered from its final view', async () => {
    const created = await system().api('POST', '/v1/appointments', appointment());
    const id = created.body.appointmentId;
    const cancelled = await system().api('POST', `/v1/appointments/${id}/cancel`, { reason: 'moved away' });
    const row = await eventually(
      async () => (await system().prisma.appointment.findFirstOrThrow({ where: { externalId: id } })).finalView,
      15_000,
      'the final view to be recorded',
    );
    // The stored view is the workflow's; the API adds the link to the Temporal UI (null: none configured).
    expect(row).toEqual({ ...cancelled.body, temporalUiUrl: undefined });
    // After namespace retention Temporal answers "not found" for the closed workflow. The dev
    // server deletes executions asynchronously, so the row is pointed at an id it never had.
    await system().prisma.appointment.updateMany({
      where: { externalId: id },
      data: { workflowId: `${created.body.workflowId}/purged` },
    });
    const view = await system().api('GET', `/v1/appointments/${id}`);
    expect(view.status).toBe(200);
    expect(view.body).toEqual(cancelled.body);
    expect((await system().api('POST', `/v1/appointments/${id}/cancel`, {})).status).toBe(200);
    const patch = await system().api<Problem>('PATCH', `/v1/appointments/${id}`, { location: 'x' });
    expect(patch.status).toBe(409);
    expect(patch.body.detail).toBe('The appointment is cancelled.');
  });

  test('the view shows what the appointment holds, so a PATCH can be seen to have changed it', async () => {
    const created = await system().api(
      'POST',
      '/v1/appointments',
      appointment({
        location: 'Via Roma 1, Milano',
        client: { name: 'Maria Rossi', phone: '+393471234567', smsConsent: true, locale: 'it-IT' },
        practitioner: { name: 'Dr. Bianchi', phone: '+393471112222' },
        recipients: 'both',
        remindersEnabled: true,
      }),
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      location: 'Via Roma 1, Milano',
      client: { name: 'Maria Rossi', phone: '+393471234567', smsConsent: true, emailConsent: false, locale: 'it-IT' },
      practitioner: { name: 'Dr. Bianchi', phone: '+393471112222' },
      recipients: 'both',
      remindersEnabled: true,
    });
    const id = created.body.appointmentId;
    const patched = await system().api('PATCH', `/v1/appointments/${id}`, {
      location: 'Via Dante 2',
      client: { email: 'maria@example.com', emailConsent: true, locale: 'en-GB' },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      location: 'Via Dante 2',
      client: { phone: '+393471234567', email: 'maria@example.com', emailConsent: true, locale: 'en-GB' },
    });
    const bad = await system().api<Problem>('PATCH', `/v1/appointments/${id}`, { client: { locale: 'not a locale' } });
    expect(bad.status).toBe(422);
    expect(bad.body.errors).toEqual([{ path: 'client.locale', message: match.stringMatching(/BCP 47/) }]);
  });

  test('POST …/remind sends a reminder now, even with reminders off; 202 with the view', async () => {
    const phone = '+393471239999';
    const created = await system().api(
      'POST',
      '/v1/appointments',
      appointment({ client: { name: 'Anna Neri', phone, smsConsent: true }, remindersEnabled: false }),
    );
    const id = created.body.appointmentId;
    const res = await system().api('POST', `/v1/appointments/${id}/remind`, { channel: 'sms' });
    expect(res.status).toBe(202);
    expect(res.body.reminders.at(-1)).toMatchObject({ channel: 'sms', recipient: 'client', manual: true });
    const [text] = await system().twilio.waitForMessages((m) => m.to === phone, 1, 20_000);
    expect(text.body).toMatch(/Anna/);
    const log = await eventually(
      async () => {
        const entries = (await system().api<{ event: string }[]>('GET', `/v1/appointments/${id}/log`)).body;
        return entries.some((e) => e.event === 'reminder_sent') ? entries : null;
      },
      15_000,
      'the manual reminder in the appointment log',
    );
    expect(log.map((e) => e.event)).toEqual(expect.arrayContaining(['manual_reminder_requested', 'reminder_sent']));

    const email = await system().api<Problem>('POST', `/v1/appointments/${id}/remind`, { channel: 'email' });
    expect(email.status).toBe(422);
    expect(email.body.errors).toEqual([{ path: 'channel', message: match.stringMatching(/no address|consent/) }]);
    const unknown = await system().api('POST', `/v1/appointments/${id}/remind`, { channel: 'fax' });
    expect(unknown.status).toBe(422);
    expect(system().twilio.messages.filter((m) => m.to === phone)).toHaveLength(1);
  });

  test("an Italian client's reminder goes out in Italian, with the Italian date", async () => {
    const phone = '+393471238888';
    const created = await system().api(
      'POST',
      '/v1/appointments',
      appointment({
        startsAt: '2027-03-02T09:30:00+01:00',
        client: { name: 'Giulia Bruno', phone, smsConsent: true, locale: 'it-IT' },
      }),
    );
    expect(created.status).toBe(201);
    await system().api('POST', `/v1/appointments/${created.body.appointmentId}/remind`, {});
    const [text] = await system().twilio.waitForMessages((m) => m.to === phone, 1, 20_000);
    expect(text.body).toMatch(/Giulia/);
    expect(text.body).toMatch(/mar 2 mar/);
    expect(text.body).toMatch(/09:30/);
    expect(text.body).not.toMatch(/Reply C/);
  });

  test('cancel with notifyClient texts the client once', async () => {
    const created = await system().api(
      'POST',
      '/v1/appointments',
      appointment({ client: { name: 'Luca Verdi', phone: '+393471230000', smsConsent: true } }),
    );
    const id = created.body.appointmentId;
    const res = await system().api('POST', `/v1/appointments/${id}/cancel`, { notifyClient: true });
    expect(res.status).toBe(200);
    const [notice] = await system().twilio.waitForMessages((m) => m.to === '+393471230000', 1, 20_000);
    expect(notice.body).toMatch(/^Practice clinic: your appointment .* has been cancelled\./);
  });

  test('an unknown appointment is a 404 problem', async () => {
    const res = await system().api('GET', '/v1/appointments/nope');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
  });
});

test('GET /healthz answers without a key', async () => {
  const res = await system().api<{ status: string }>('GET', '/healthz', undefined, { apiKey: null });
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ status: 'ok' });
});
