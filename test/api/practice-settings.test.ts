import { match } from '../support/matchers';
import { DateTime } from 'luxon';
import { createApiKey } from '../../services/api-keys';
import { createPractice, type PracticeView } from '../../services/practices';
import { appointmentRequests } from '../support/appointment-request';
import { useTestSystem, type Problem } from '../support/system';

// GET and PATCH /v1/practice over HTTP against the real app and PostgreSQL: each setting
// valid and invalid, what a key may see and change, and stored settings read strictly.

const system = useTestSystem();

type Written = PracticeView & { warnings: string[] };

let seq = 0;
/** A practice of its own for a test, with a key (quiet hours off, like the harness's). */
async function practice(): Promise<{ id: string; apiKey: string }> {
  seq += 1;
  const id = `settings-${seq}`;
  const { apiKey } = await system().addPractice(id, `+1500555${String(1000 + seq).padStart(4, '0')}`);
  return { id, apiKey };
}

const get = (apiKey: string) => system().api<PracticeView>('GET', '/v1/practice', undefined, { apiKey });
const patch = <Body = Written>(apiKey: string, body: unknown) =>
  system().api<Body>('PATCH', '/v1/practice', body, { apiKey });

function thisMonthInRome(): string {
  return DateTime.now().setZone('Europe/Rome').toFormat('yyyy-MM');
}

test('GET shows every setting with its default, and this month of SMS usage', async () => {
  await createPractice(system().prisma, { id: 'plain', name: 'Plain Practice', smsFrom: '+15005550101' });
  const { key } = await createApiKey(system().prisma, 'plain');
  const res = await get(key);
  expect(res.status).toBe(200);
  expect(res.body).toEqual({
    id: 'plain',
    name: 'Plain Practice',
    smsFrom: '+15005550101',
    senderName: null,
    emailFrom: null,
    helpPhone: null,
    timeZone: 'UTC',
    locale: 'en',
    reminderPolicy: [
      { before: 'P1D', channel: 'sms', recipients: 'client' },
      { before: 'PT2H', channel: 'sms', recipients: 'client' },
    ],
    quietHours: { start: '21:00', end: '08:00' },
    templates: {},
    smsMonthlyBudget: null,
    optOutReplies: 'practice',
    smsUsage: { month: DateTime.utc().toFormat('yyyy-MM'), segments: 0, budget: null, remaining: null },
  });
});

test('SMS usage is read for the current month of the practice time zone, against the budget', async () => {
  const { id, apiKey } = await practice();
  const month = thisMonthInRome();
  await system().prisma.smsUsage.createMany({
    data: [
      { practiceId: id, month, segments: 37 },
      { practiceId: id, month: '2020-01', segments: 999 },
    ],
  });
  expect((await get(apiKey)).body.smsUsage).toEqual({ month, segments: 37, budget: null, remaining: null });
  const budgeted = await patch(apiKey, { smsMonthlyBudget: 50 });
  expect(budgeted.status).toBe(200);
  expect(budgeted.body.smsUsage).toEqual({ month, segments: 37, budget: 50, remaining: 13 });
});

test('PATCH changes every setting at once, answers with the new settings, and keeps them', async () => {
  const { id, apiKey } = await practice();
  const change = {
    name: 'Studio Dentistico Verdi',
    senderName: 'Verdi & Co',
    emailFrom: 'promemoria@verdi.example.com',
    helpPhone: '+390212345679',
    timeZone: 'Europe/Rome',
    locale: 'it-it',
    reminderPolicy: [
      { before: 'P1D', channel: 'sms', recipients: 'both' },
      { before: 'PT2H', channel: 'email' },
    ],
    quietHours: { start: '20:30', end: '07:45' },
    templates: { 'reminder_client.sms.it': 'Ciao {{clientFirstName}}, a domani alle {{time}}.' },
    smsMonthlyBudget: 500,
    optOutReplies: 'twilio',
  };
  const res = await patch(apiKey, change);
  expect(res.status).toBe(200);
  const expected = {
    ...change,
    id,
    smsFrom: match.any(String),
    locale: 'it-IT',
    reminderPolicy: [
      { before: 'P1D', channel: 'sms', recipients: 'both' },
      { before: 'PT2H', channel: 'email', recipients: 'client' },
    ],
    smsUsage: { month: thisMonthInRome(), segments: 0, budget: 500, remaining: 500 },
  };
  expect(res.body).toEqual({ ...expected, warnings: [] });
  expect((await get(apiKey)).body).toEqual(expected);
  expect(await system().prisma.practice.findUniqueOrThrow({ where: { id } })).toMatchObject({
    quietHoursStart: '20:30',
    quietHoursEnd: '07:45',
    optOutReplies: 'twilio',
    smsMonthlyBudget: 500,
  });
});

test('PATCH is partial; null clears an optional setting, turns quiet hours and the budget off', async () => {
  const { id, apiKey } = await practice();
  expect((await patch(apiKey, { quietHours: { start: '22:00', end: '07:00' }, smsMonthlyBudget: 10 })).status).toBe(
    200,
  );
  const before = (await get(apiKey)).body;
  const res = await patch(apiKey, { senderName: null, emailFrom: null, quietHours: null, smsMonthlyBudget: null });
  expect(res.status).toBe(200);
  expect(res.body).toEqual({
    ...before,
    senderName: null,
    emailFrom: null,
    quietHours: null,
    smsMonthlyBudget: null,
    smsUsage: { ...before.smsUsage, budget: null, remaining: null },
    warnings: [],
  });
  expect(await system().prisma.practice.findUniqueOrThrow({ where: { id } })).toMatchObject({
    quietHoursStart: null,
    quietHoursEnd: null,
  });
});

describe('PATCH refuses a bad value with 422 naming the field, and writes nothing', () => {
  test.each<[string, unknown, unknown]>([
    ['name', '   ', 'must not be empty'],
    ['senderName', '12345678', 'must not be only digits'],
    ['senderName', 'Studio Verdi', 'must be 1–11 letters, digits, spaces or - + _ &'],
    ['senderName', 'Studio!', 'must be 1–11 letters, digits, spaces or - + _ &'],
    ['emailFrom', 'not-an-address', 'must be an email address'],
    ['helpPhone', '12345', 'must be a valid phone number in E.164 format, e.g. +393471234567'],
    ['timeZone', 'Mars/Base', 'must be an IANA time zone, e.g. Europe/Rome'],
    ['locale', 'klingon!', 'must be a BCP 47 language tag we support, e.g. en or it-IT'],
    ['reminderPolicy', [], 'must list at least one reminder'],
    ['reminderPolicy.0.before', [{ before: 'P2Y', channel: 'sms' }], match.stringContaining('at most one year')],
    ['reminderPolicy.0.recipients', [{ before: 'P1D', channel: 'sms', recipients: 'all' }], match.any(String)],
    ['quietHours.start', { start: '9pm', end: '08:00' }, 'must be a time of day "HH:MM", e.g. 21:00'],
    ['quietHours', { start: '08:00', end: '08:00' }, 'start and end must differ'],
    ['smsMonthlyBudget', 0, 'must be at least 1 segment'],
    ['smsMonthlyBudget', '100', 'must be a whole number of SMS segments'],
    ['optOutReplies', 'carrier', 'must be "practice" or "twilio"'],
    ['templates.reminder_client.sms', { 'reminder_client.sms': 42 }, match.any(String)],
  ])('%s = %j', async (path, value, message) => {
    const { apiKey } = await practice();
    const before = (await get(apiKey)).body;
    const setting = path.split('.')[0];
    // A valid change next to the bad one is not written either.
    const res = await patch<Problem>(apiKey, { helpPhone: '+390212345670', [setting]: value });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body.errors).toEqual([{ path, message }]);
    expect((await get(apiKey)).body).toEqual(before);
  });

  test('several bad fields are all named', async () => {
    const { apiKey } = await practice();
    const res = await patch<Problem>(apiKey, { senderName: '123', locale: '??', optOutReplies: 'x' });
    expect(res.status).toBe(422);
    expect(res.body.errors?.map((e) => e.path).sort()).toEqual(['locale', 'optOutReplies', 'senderName']);
  });

  test('an empty change', async () => {
    const { apiKey } = await practice();
    const res = await patch<Problem>(apiKey, {});
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ path: '', message: 'must change at least one setting' }]);
  });
});

test("the sender number is the operator's: PATCH refuses it, naming the field", async () => {
  const { id, apiKey } = await practice();
  const { smsFrom } = (await get(apiKey)).body;
  const res = await patch<Problem>(apiKey, { smsFrom: '+15005559999', name: 'Renamed' });
  expect(res.status).toBe(422);
  expect(res.body.errors).toEqual([{ path: 'smsFrom', message: match.stringContaining('operator') }]);
  expect(await system().prisma.practice.findUniqueOrThrow({ where: { id } })).toMatchObject({
    smsFrom,
    name: `Practice ${id}`,
  });
});

test('an unknown field is a malformed request (400), as everywhere in the API', async () => {
  const { apiKey } = await practice();
  const res = await patch<Problem>(apiKey, { name: 'X', reminderDays: 2 });
  expect(res.status).toBe(400);
  expect(res.body.errors).toEqual([{ path: 'reminderDays', message: 'is not a known field' }]);
  const nested = await patch<Problem>(apiKey, { reminderPolicy: [{ before: 'P1D', channel: 'sms', at: '9:00' }] });
  expect(nested.status).toBe(400);
  expect(nested.body.errors).toEqual([{ path: 'reminderPolicy.0.at', message: 'is not a known field' }]);
});

test("a key changes only its own practice's settings", async () => {
  const mine = await practice();
  const theirs = await practice();
  const theirsBefore = (await get(theirs.apiKey)).body;
  expect((await patch(mine.apiKey, { name: 'Mine Now', smsMonthlyBudget: 3 })).status).toBe(200);
  expect((await get(theirs.apiKey)).body).toEqual(theirsBefore);
  expect((await get(mine.apiKey)).body.name).toBe('Mine Now');
});

test('without a key: 401', async () => {
  expect((await system().api('GET', '/v1/practice', undefined, { apiKey: null })).status).toBe(401);
  expect((await system().api('PATCH', '/v1/practice', { name: 'X' }, { apiKey: null })).status).toBe(401);
});

describe('templates', () => {
  test('PATCH merges keys: a text sets one, null removes one, the others stay', async () => {
    const { apiKey } = await practice();
    const first = await patch(apiKey, {
      templates: { 'reminder_client.sms': 'See you {{date}} at {{time}}', 'help.sms': 'Call {{practiceName}}' },
    });
    expect(first.status).toBe(200);
    const second = await patch(apiKey, {
      templates: { 'reminder_client.sms': 'Reminder: {{date}} {{time}}', 'help.sms': null, 'opt_out.sms.nope': null },
    });
    expect(second.status).toBe(200);
    expect(second.body.templates).toEqual({ 'reminder_client.sms': 'Reminder: {{date}} {{time}}' });
    expect(second.body.warnings).toEqual([]);
  });

  // Needs the real templatesSchema (domain/templates.ts, the templates helper's branch): the
  // placeholder accepts any text, so this fails until that is merged.
  test('a template with an unknown variable is refused, naming the template', async () => {
    const { apiKey } = await practice();
    const res = await patch<Problem>(apiKey, { templates: { 'reminder_client.sms': 'Hi {{nickname}}' } });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([
      { path: 'templates.reminder_client.sms', message: match.stringContaining('nickname') },
    ]);
  });
});

describe('a stored setting is never silently replaced by a default', () => {
  const book = appointmentRequests('STRICT');

  test('a corrupt stored reminder policy fails the create that would use it (a logged 500), never becomes the default', async () => {
    const { id, apiKey } = await practice();
    await system().prisma.practice.update({ where: { id }, data: { reminderPolicy: [{ before: 'soon' }] } });
    const res = await system().api<Problem>('POST', '/v1/appointments', book(), { apiKey });
    expect(res.status).toBe(500);
    expect(await system().prisma.appointment.count({ where: { practiceId: id } })).toBe(0);
    // An appointment that names its own reminders does not need the policy.
    const own = await system().api(
      'POST',
      '/v1/appointments',
      book({ reminders: [{ before: 'P1D', channel: 'sms' }] }),
      {
        apiKey,
      },
    );
    expect(own.status).toBe(201);
    expect((await get(apiKey)).status).toBe(500);
  });

  test("the policy's recipients reach the appointment; recipients the request names apply to every rule", async () => {
    const { apiKey } = await practice();
    expect(
      (await patch(apiKey, { reminderPolicy: [{ before: 'P1D', channel: 'sms', recipients: 'both' }] })).status,
    ).toBe(200);
    const practitioner = { name: 'Dr. Bianchi', phone: '+393471112222' };
    const byPolicy = await system().api('POST', '/v1/appointments', book({ practitioner }), { apiKey });
    expect(byPolicy.status).toBe(201);
    expect(byPolicy.body.reminders.map((r) => r.recipient).sort()).toEqual(['client', 'practitioner']);

    const clientOnly = await system().api('POST', '/v1/appointments', book({ practitioner, recipients: 'client' }), {
      apiKey,
    });
    expect(clientOnly.status).toBe(201);
    expect(clientOnly.body.reminders.map((r) => r.recipient)).toEqual(['client']);
  });
});
