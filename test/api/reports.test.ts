import { DateTime } from 'luxon';
import { countSegments } from '../../domain/segments';
import type { AttentionReport } from '../../services/reports';
import type { ReminderReport } from '../../domain/reports';
import { match } from '../support/matchers';
import { eventually, inFuture, useTestSystem, type Problem } from '../support/system';

// The two staff reports over the real system: reminders go out through the worker and the real
// twilio and SendGrid SDKs to the fake providers, Twilio reports delivery through signed status
// callbacks, clients confirm by "C", by the email's link, and staff by the API; one texts STOP,
// one writes a question. Then the reports must show exactly that, on the practice's own day.

const system = useTestSystem();
const HOUR = 3_600_000;
const MINUTE = 60_000;

interface View {
  status: string;
  reminders: { state: string; channel: string }[];
}

const viewOf = async (id: string, apiKey?: string) =>
  (await system().api<View>('GET', `/v1/appointments/${id}`, undefined, { apiKey })).body;

async function book(
  appointmentId: string,
  startsInMs: number,
  client: { phone?: string; email?: string },
  reminders: { before: string; channel: 'sms' | 'email' }[],
  apiKey?: string,
) {
  const created = await system().api(
    'POST',
    '/v1/appointments',
    {
      appointmentId,
      startsAt: inFuture(startsInMs),
      timeZone: 'Europe/Rome',
      client: {
        name: `Client ${appointmentId}`,
        ...client,
        smsConsent: client.phone !== undefined,
        emailConsent: client.email !== undefined,
      },
      reminders,
    },
    { apiKey },
  );
  expect(created.status).toBe(201);
}

/** The first text to `phone`, once the fake Twilio has it. */
async function textTo(phone: string) {
  const [message] = await system().twilio.waitForMessages((m) => m.to === phone, 1, 30_000);
  return message;
}

async function untilView(id: string, check: (view: View) => boolean, what: string, apiKey?: string) {
  return eventually(async () => check(await viewOf(id, apiKey)), 30_000, `${id}: ${what}`);
}

test('the reminder report counts each figure on the practice’s own day; the attention list says what to act on, most urgent first', async () => {
  // A zone whose date differs from UTC's right now (and for the next hour at least), so a
  // report grouped by UTC days would show everything on the wrong day.
  const utcHour = new Date().getUTCHours();
  const timeZone = utcHour < 10 ? 'Pacific/Pago_Pago' : 'Pacific/Kiritimati';
  expect((await system().api<unknown>('PATCH', '/v1/practice', { timeZone })).status).toBe(200);
  const localToday = DateTime.now().setZone(timeZone).toISODate()!;
  const utcToday = DateTime.utc().toISODate();
  expect(localToday).not.toBe(utcToday);

  // Confirmed by "C", after the text was delivered.
  await book('R-TEXT', 3 * HOUR, { phone: '+393471240001' }, [{ before: 'P1D', channel: 'sms' }]);
  // Confirmed with the email's link.
  await book('R-MAIL', 3 * HOUR, { email: 'r-mail@example.com' }, [{ before: 'P1D', channel: 'email' }]);
  // Confirmed by staff on the phone, after the text was delivered.
  await book('R-STAFF', 3 * HOUR, { phone: '+393471240003' }, [{ before: 'P1D', channel: 'sms' }]);
  // A number that is not a mobile: refused, and the email fallback goes instead.
  system().twilio.failNext((form) => form.To === '+393471240004', { status: 400, code: 21614 });
  await book('R-FALLBACK', 3 * HOUR, { phone: '+393471240004', email: 'r-fallback@example.com' }, [
    { before: 'P1D', channel: 'sms' },
  ]);
  // Undelivered, no email to fall back to: nothing reached the client, three days ahead.
  await book('R-UNDELIVERED', 72 * HOUR, { phone: '+393471240005' }, [{ before: 'P4D', channel: 'sms' }]);
  // Texted, then the client texts STOP.
  await book('R-STOP', 3 * HOUR + 10 * MINUTE, { phone: '+393471240006' }, [{ before: 'P1D', channel: 'sms' }]);
  // Texted, then the client asks something only staff can answer.
  await book('R-QUESTION', 3 * HOUR + 20 * MINUTE, { phone: '+393471240007' }, [{ before: 'P1D', channel: 'sms' }]);
  // Its only reminder is an hour before: nothing has reached the client yet.
  await book('R-NOTHING', 3 * HOUR + 30 * MINUTE, { phone: '+393471240008' }, [{ before: 'PT1H', channel: 'sms' }]);
  // Days ahead with its reminder still to come: nothing to do yet.
  await book('R-LATER', 72 * HOUR, { phone: '+393471240009' }, [{ before: 'P1D', channel: 'sms' }]);
  // Another practice's reminder and confirmation never show in this one's reports.
  const other = await system().addPractice('other', '+15005550077');
  await book('R-OTHER', 3 * HOUR, { phone: '+393471240010' }, [{ before: 'P1D', channel: 'sms' }], other.apiKey);

  const text = await textTo('+393471240001');
  expect((await system().twilio.reportStatus(text.sid, 'delivered')).status).toBe(204);
  await untilView('R-TEXT', (v) => v.reminders[0].state === 'delivered', 'delivered');
  expect((await system().inboundSms({ From: '+393471240001', Body: 'C' })).status).toBe(200);
  await untilView('R-TEXT', (v) => v.status === 'confirmed', 'confirmed by text');

  const [mail] = await system().sendgrid.waitForSent((m) => m.to === 'r-mail@example.com', 1, 30_000);
  const link = /http:\/\/127\.0\.0\.1:\d+\/confirm\/[A-Za-z0-9_.-]+/.exec(mail.text ?? '')?.[0];
  if (!link) throw new Error(`no confirm link in ${mail.text}`);
  await untilView('R-MAIL', (v) => v.reminders[0].state === 'sent', 'email sent');
  expect((await fetch(link, { method: 'POST' })).status).toBe(200);

  const staffText = await textTo('+393471240003');
  expect((await system().twilio.reportStatus(staffText.sid, 'delivered')).status).toBe(204);
  await untilView('R-STAFF', (v) => v.reminders[0].state === 'delivered', 'delivered');
  expect((await system().api('POST', '/v1/appointments/R-STAFF/confirm')).status).toBe(200);

  await system().sendgrid.waitForSent((m) => m.to === 'r-fallback@example.com', 1, 30_000);
  await untilView('R-FALLBACK', (v) => v.reminders[0].state === 'sent', 'fallback sent');

  const undelivered = await textTo('+393471240005');
  expect((await system().twilio.reportStatus(undelivered.sid, 'undelivered', '30003')).status).toBe(204);
  await untilView('R-UNDELIVERED', (v) => v.status === 'failed', 'failed');

  await textTo('+393471240006');
  await untilView('R-STOP', (v) => v.status === 'awaiting_confirmation', 'texted');
  expect((await system().inboundSms({ From: '+393471240006', Body: 'STOP' })).status).toBe(200);
  await untilView('R-STOP', (v) => v.status === 'opted_out', 'opted out');

  await textTo('+393471240007');
  await untilView('R-QUESTION', (v) => v.status === 'awaiting_confirmation', 'texted');
  expect((await system().inboundSms({ From: '+393471240007', Body: 'Can I come at 10 instead?' })).status).toBe(200);
  expect((await system().inboundSms({ From: '+393471249999', Body: 'Who is this?' })).status).toBe(200);

  await textTo('+393471240010');
  await untilView('R-OTHER', (v) => v.status === 'awaiting_confirmation', 'texted', other.apiKey);
  const toOther = await system().inboundSms({ From: '+393471240010', Body: 'C', To: '+15005550077' });
  expect(toOther.status).toBe(200);
  await untilView('R-OTHER', (v) => v.status === 'confirmed', 'confirmed', other.apiKey);

  // What went out to this practice's clients, as the fake Twilio received it.
  const reminderPhones = ['+393471240001', '+393471240003', '+393471240005', '+393471240006', '+393471240007'];
  const segments = system()
    .twilio.messages.filter((m) => reminderPhones.includes(m.to))
    .reduce((sum, m) => sum + countSegments(m.body).segments, 0);
  expect(segments).toBeGreaterThanOrEqual(5);

  const expectedToday = {
    date: localToday,
    sms: {
      sent: 5,
      delivered: 2,
      // The refused text (not a mobile) and the undelivered one.
      failed: 2,
      fallbacks: 0,
      segments,
      remindedAppointments: 5,
      confirmedAppointments: 2,
      confirmationRate: 0.4,
    },
    email: {
      sent: 2,
      delivered: 0,
      failed: 0,
      fallbacks: 1,
      segments: null,
      remindedAppointments: 2,
      confirmedAppointments: 1,
      confirmationRate: 0.5,
    },
    remindedAppointments: 7,
    confirmedAppointments: 3,
    confirmationRate: 0.4286,
    confirmations: { sms: 1, email: 1, staff: 1, total: 3 },
    optOuts: 1,
  };
  const [first, last] = [localToday, utcToday].sort();
  // The confirmations reach the appointments table through the workflow's projection: wait for it.
  const report = await eventually(async () => {
    const res = await system().api<ReminderReport>('GET', `/v1/reports/reminders?from=${first}&to=${last}`);
    expect(res.status).toBe(200);
    return res.body.totals.confirmations.total === 3 && res.body;
  });
  const quietDay = {
    ...expectedToday,
    date: utcToday,
    sms: {
      sent: 0,
      delivered: 0,
      failed: 0,
      fallbacks: 0,
      segments: 0,
      remindedAppointments: 0,
      confirmedAppointments: 0,
      confirmationRate: null,
    },
    email: {
      ...expectedToday.email,
      sent: 0,
      fallbacks: 0,
      remindedAppointments: 0,
      confirmedAppointments: 0,
      confirmationRate: null,
    },
    remindedAppointments: 0,
    confirmedAppointments: 0,
    confirmationRate: null,
    confirmations: { sms: 0, email: 0, staff: 0, total: 0 },
    optOuts: 0,
  };
  const totals: Partial<typeof expectedToday> = { ...expectedToday };
  delete totals.date;
  expect(report).toEqual({
    from: first,
    to: last,
    timeZone,
    days: first === localToday ? [expectedToday, quietDay] : [quietDay, expectedToday],
    totals,
  });

  // The other practice is in Rome, on another date: its last 7 days, and their totals.
  // Its confirmation, too, reaches the table through the projection, after the view shows it.
  const otherReport = await eventually(async () => {
    const res = await system().api<ReminderReport>('GET', '/v1/reports/reminders', undefined, {
      apiKey: other.apiKey,
    });
    return res.body.totals.confirmations.total > 0 && res;
  });
  expect(otherReport.body.totals).toMatchObject({
    sms: { sent: 1, failed: 0, remindedAppointments: 1, confirmedAppointments: 1 },
    email: { sent: 0 },
    confirmations: { sms: 1, email: 0, staff: 0, total: 1 },
    optOuts: 0,
  });

  // The front desk's list.
  const attention = await system().api<AttentionReport>('GET', '/v1/reports/attention');
  expect(attention.status).toBe(200);
  const summary = attention.body.items.map((item) => [
    item.appointment?.appointmentId ?? null,
    item.reasons,
    item.replies.map((r) => r.body),
  ]);
  expect(summary).toEqual([
    ['R-FALLBACK', ['unconfirmed_within_24h'], []],
    ['R-STOP', ['unconfirmed_within_24h'], []],
    ['R-QUESTION', ['unconfirmed_within_24h', 'reply_needs_review'], ['Can I come at 10 instead?']],
    ['R-NOTHING', ['unconfirmed_within_24h', 'no_reminder_reached'], []],
    ['R-UNDELIVERED', ['no_reminder_reached'], []],
    [null, ['reply_needs_review'], ['Who is this?']],
  ]);
  expect(attention.body.truncated).toBe(false);
  const question = attention.body.items[2];
  expect(question.appointment).toMatchObject({
    appointmentId: 'R-QUESTION',
    timeZone: 'Europe/Rome',
    status: 'awaiting_confirmation',
    client: { name: 'Client R-QUESTION', phone: '+393471240007', email: null },
  });
  const startsAt = DateTime.fromISO(question.appointment!.startsAt);
  expect(DateTime.fromISO(question.appointment!.startsAtLocal).toMillis()).toBe(startsAt.toMillis());
  expect(question.appointment!.startsAtLocal).toBe(
    startsAt.setZone('Europe/Rome').toISO({ suppressMilliseconds: true }),
  );
  expect(question.replies[0]).toMatchObject({ from: '+393471240007', mediaUrls: [] });

  // Staff answered the question: it leaves the list (and the message log's needsReview filter).
  const replyId = question.replies[0].id;
  const notTheirs = await system().api<Problem>('POST', `/v1/messages/${replyId}/reviewed`, undefined, {
    apiKey: other.apiKey,
  });
  expect(notTheirs.status).toBe(404);
  const reviewed = await system().api<{ id: string; needsReview: boolean; reviewedAt: string }>(
    'POST',
    `/v1/messages/${replyId}/reviewed`,
  );
  expect(reviewed.status).toBe(200);
  expect(reviewed.body).toEqual({ id: replyId, needsReview: false, reviewedAt: match.any(String) });
  const again = await system().api<{ reviewedAt: string }>('POST', `/v1/messages/${replyId}/reviewed`);
  expect(again.body.reviewedAt).toBe(reviewed.body.reviewedAt);
  const after = await system().api<AttentionReport>('GET', '/v1/reports/attention');
  expect(after.body.items.map((item) => [item.appointment?.appointmentId ?? null, item.reasons])).toEqual([
    ['R-FALLBACK', ['unconfirmed_within_24h']],
    ['R-STOP', ['unconfirmed_within_24h']],
    ['R-QUESTION', ['unconfirmed_within_24h']],
    ['R-NOTHING', ['unconfirmed_within_24h', 'no_reminder_reached']],
    ['R-UNDELIVERED', ['no_reminder_reached']],
    [null, ['reply_needs_review']],
  ]);
  const stillToReview = await system().api<{ messages: { id: string }[] }>('GET', '/v1/messages?needsReview=true');
  expect(stillToReview.body.messages.map((m) => m.id)).not.toContain(replyId);

  // The other practice's list has nothing of this one's (its one appointment is confirmed).
  const otherAttention = await system().api<AttentionReport>('GET', '/v1/reports/attention', undefined, {
    apiKey: other.apiKey,
  });
  expect(otherAttention.body.items).toEqual([]);
});

test('bad dates and unknown parameters are problems naming the parameter; bad message ids are 404 or 409', async () => {
  const cases: Array<[string, number, string]> = [
    ['from=2026-02-30', 422, 'from'],
    ['to=01-12-2026', 422, 'to'],
    ['from=2026-12-10&to=2026-12-01', 422, 'from'],
    ['from=2025-01-01&to=2026-12-31', 422, 'to'],
    ['from=2026-12-01&from=2026-12-02', 422, 'from'],
    ['day=2026-12-01', 400, 'day'],
  ];
  for (const [query, status, path] of cases) {
    const res = await system().api<Problem>('GET', `/v1/reports/reminders?${query}`);
    expect([query, res.status, res.headers.get('content-type')]).toEqual([
      query,
      status,
      expect.stringContaining('application/problem+json'),
    ]);
    expect(res.body.errors?.map((e) => e.path)).toEqual([path]);
  }
  expect((await system().api<Problem>('GET', '/v1/reports/attention?all=1')).status).toBe(400);
  expect((await system().api<Problem>('GET', '/v1/reports/reminders', undefined, { apiKey: null })).status).toBe(401);

  expect((await system().api<Problem>('POST', '/v1/messages/not-a-uuid/reviewed')).status).toBe(404);
  expect(
    (await system().api<Problem>('POST', '/v1/messages/00000000-0000-4000-8000-000000000000/reviewed')).status,
  ).toBe(404);
  const outbound = await system().prisma.message.findFirstOrThrow({
    where: { practiceId: system().practiceId, direction: 'outbound' },
  });
  const refused = await system().api<Problem>('POST', `/v1/messages/${outbound.id}/reviewed`);
  expect(refused.status).toBe(409);
  expect(refused.body.detail).toBe('Only a received reply can be marked reviewed.');
});
