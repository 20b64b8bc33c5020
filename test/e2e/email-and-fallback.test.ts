import { eventually, inFuture, useTestSystem } from '../support/system';

// Email reminders and the SMS-to-email fallback, end to end: API → workflow → the real
// @sendgrid/mail and twilio SDKs → the fake providers; then the confirm link, the message log
// and the appointment log, as staff would read them.

const system = useTestSystem();

const client = (phone: string) => ({
  name: 'Maria Rossi',
  phone,
  email: 'maria@example.com',
  smsConsent: true,
  emailConsent: true,
});

interface View {
  status: string;
  confirmation: { via: string } | null;
  reminders: { id: string; channel: string; state: string; fallbackFrom: string | null; messageId: string | null }[];
}

interface LogEntry {
  event: string;
  actor: string;
  detail: string;
}

async function viewOf(appointmentId: string): Promise<View> {
  return (await system().api<View>('GET', `/v1/appointments/${appointmentId}`)).body;
}

async function logOf(appointmentId: string): Promise<LogEntry[]> {
  const response = await system().api<LogEntry[]>('GET', `/v1/appointments/${appointmentId}/log`);
  expect(response.status).toBe(200);
  return response.body;
}

test('an email reminder arrives once; its link shows the appointment and confirms only when posted', async () => {
  const created = await system().api('POST', '/v1/appointments', {
    appointmentId: 'MAIL-1',
    startsAt: inFuture(3 * 3600_000),
    timeZone: 'Europe/Rome',
    client: { ...client('+393471230001'), email: 'mail1@example.com' },
    location: 'Via Roma 1, Milano',
    reminders: [{ before: 'P1D', channel: 'email' }],
  });
  expect(created.status).toBe(201);
  const [mail] = await system().sendgrid.waitForSent((m) => m.to === 'mail1@example.com', 1, 30_000);
  expect(mail.from).toBe('reminders@clinic.example.com');
  expect(mail.subject).toContain('Practice clinic');
  expect(mail.text).toContain('Via Roma 1, Milano');
  const link = /http:\/\/127\.0\.0\.1:\d+\/confirm\/[A-Za-z0-9_.-]+/.exec(mail.text ?? '')?.[0];
  if (!link) throw new Error(`no confirm link in ${mail.text}`);
  expect(mail.html).toContain(link);

  const sent = await eventually(async () => {
    const view = await viewOf('MAIL-1');
    return view.reminders[0].state === 'sent' && view;
  });
  const row = await system().prisma.message.findUniqueOrThrow({ where: { id: sent.reminders[0].messageId! } });
  expect(row).toMatchObject({
    channel: 'email',
    providerId: mail.messageId,
    subject: mail.subject,
    purpose: 'reminder',
  });
  expect(mail.customArgs).toMatchObject({ message_id: row.id });

  // Mail scanners fetch links: a GET, however often, confirms nothing.
  for (let i = 0; i < 2; i++) {
    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<form method="post"');
  }
  expect((await viewOf('MAIL-1')).status).toBe('awaiting_confirmation');
  const confirmed = await fetch(link, { method: 'POST' });
  expect(confirmed.status).toBe(200);
  const view = await viewOf('MAIL-1');
  expect(view).toMatchObject({ status: 'confirmed', confirmation: { via: 'email' } });
  expect(system().sendgrid.sent.filter((m) => m.to === 'mail1@example.com')).toHaveLength(1);

  const log = await logOf('MAIL-1');
  expect(log.map((e) => e.event)).toEqual(['created', 'reminder_planned', 'reminder_sent', 'confirmed']);
  expect(log[2].detail).toBe('Sent email reminder to client');
  expect(log[3]).toMatchObject({ actor: 'client', detail: "Confirmed via the email's confirm link" });
});

test('an SMS refused for good (not a mobile) goes out once by email, and every log says so', async () => {
  const phone = '+393471230002';
  system().twilio.failNext((form) => form.To === phone, {
    status: 400,
    code: 21614,
    message: `The 'To' number ${phone} is not a valid mobile number.`,
  });
  await system().api('POST', '/v1/appointments', {
    appointmentId: 'FALLBACK-1',
    startsAt: inFuture(3 * 3600_000),
    timeZone: 'Europe/Rome',
    client: { ...client(phone), email: 'fallback1@example.com' },
    reminders: [{ before: 'P1D', channel: 'sms' }],
  });
  await system().sendgrid.waitForSent((m) => m.to === 'fallback1@example.com', 1, 30_000);
  const view = await eventually(async () => {
    const current = await viewOf('FALLBACK-1');
    return current.reminders[0].state === 'sent' && current;
  });
  expect(view.reminders).toEqual([
    expect.objectContaining({ id: 'r1', channel: 'email', fallbackFrom: 'sms', state: 'sent' }),
  ]);
  expect(view.status).toBe('awaiting_confirmation');

  const messages = await system().prisma.message.findMany({
    where: { reminderId: 'r1', appointment: { externalId: 'FALLBACK-1' } },
    orderBy: { createdAt: 'asc' },
  });
  expect(messages.map((m) => [m.channel, m.purpose, m.status, m.errorCode])).toEqual([
    ['sms', 'reminder', 'failed', '21614'],
    ['email', 'fallback', 'queued', null],
  ]);

  const log = await logOf('FALLBACK-1');
  expect(log.map((e) => e.event)).toEqual(['created', 'reminder_planned', 'reminder_failed', 'fallback_sent']);
  expect(log[2].detail).toMatch(/^Text reminder to client refused: .*mobile.* \[21614\]$/);
  expect(log[3].detail).toBe('Sent email reminder to client instead, as the text did not reach them');
  // Nothing more goes out, however long we wait for a second fallback.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  expect(system().sendgrid.sent.filter((m) => m.to === 'fallback1@example.com')).toHaveLength(1);
});

test('status callbacks: delivered shows in the view and the log; an undelivered text falls back to one email, however often and in whatever order Twilio reports', async () => {
  const phone = '+393471230003';
  await system().api('POST', '/v1/appointments', {
    appointmentId: 'STATUS-1',
    startsAt: inFuture(3 * 3600_000),
    timeZone: 'Europe/Rome',
    client: { ...client(phone), email: 'status1@example.com' },
    reminders: [
      { before: 'P1D', channel: 'sms' },
      { before: 'PT2H', channel: 'sms' },
    ],
  });
  // Both rules are overdue: one text now (the other is past due).
  const [first] = await system().twilio.waitForMessages((m) => m.to === phone, 1, 30_000);
  await eventually(async () => (await viewOf('STATUS-1')).status === 'awaiting_confirmation');
  expect((await system().twilio.reportStatus(first.sid, 'sent')).status).toBe(204);
  expect((await system().twilio.reportStatus(first.sid, 'delivered')).status).toBe(204);
  await eventually(async () => (await viewOf('STATUS-1')).reminders.some((r) => r.state === 'delivered'));

  // The practice moves it: a new text goes out, which the carrier cannot deliver.
  const moved = await system().api('PATCH', '/v1/appointments/STATUS-1', { startsAt: inFuture(3 * 3600_000 + 60_000) });
  expect(moved.status).toBe(200);
  const texts = await system().twilio.waitForMessages((m) => m.to === phone, 2, 30_000);
  const second = texts[1];
  for (const [status, code] of [
    ['undelivered', '30003'],
    ['sent', undefined],
    ['undelivered', '30003'],
  ] as const) {
    expect((await system().twilio.reportStatus(second.sid, status, code)).status).toBe(204);
  }
  await system().sendgrid.waitForSent((m) => m.to === 'status1@example.com', 1, 30_000);
  const view = await eventually(async () => {
    const current = await viewOf('STATUS-1');
    return current.reminders.some((r) => r.fallbackFrom === 'sms' && r.state === 'sent') && current;
  });
  expect(view.reminders.filter((r) => r.fallbackFrom === 'sms')).toHaveLength(1);
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  expect(system().sendgrid.sent.filter((m) => m.to === 'status1@example.com')).toHaveLength(1);

  const row = await system().prisma.message.findFirstOrThrow({ where: { providerId: second.sid } });
  expect(row).toMatchObject({ status: 'undelivered', errorCode: '30003' });
  expect(row.errorMessage).toMatch(/unreachable/);

  const events = (await logOf('STATUS-1')).map((e) => e.event);
  expect(events).toEqual(
    expect.arrayContaining(['reminder_sent', 'reminder_delivered', 'rescheduled', 'reminder_failed', 'fallback_sent']),
  );
  expect(events.indexOf('reminder_delivered')).toBeLessThan(events.indexOf('rescheduled'));
  expect(events.lastIndexOf('reminder_failed')).toBeLessThan(events.indexOf('fallback_sent'));
});
