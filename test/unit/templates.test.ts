import { formatAppointmentTime, formatDate, formatTime } from '../../domain/date-format';
import { countSegments } from '../../domain/segments';
import {
  MESSAGE_KINDS,
  TEMPLATE_LANGUAGES,
  TEMPLATE_VARIANTS,
  renderMessage,
  templateWarnings,
  templatesSchema,
  type MessageKind,
  type RenderRequest,
  type Templates,
} from '../../domain/templates';

// Templates as practices and clients meet them: which text wins, in which language, with
// which date format, what a missing value leaves behind, and what saving refuses or warns about.

const MORNING = '2026-12-01T08:30:00Z'; // 09:30 in Rome
const AFTERNOON = '2026-12-01T13:05:00Z'; // 14:05 in Rome

function request(overrides: Partial<RenderRequest> = {}): RenderRequest {
  return {
    kind: 'reminder_client',
    channel: 'sms',
    locale: 'en-GB',
    templates: {},
    practiceName: 'Studio Bianchi',
    helpPhone: '+390212345678',
    clientName: 'Maria Rossi',
    practitionerName: 'Dr. Bianchi',
    appointment: { startsAt: MORNING, timeZone: 'Europe/Rome', location: 'Via Roma 1, Milano' },
    confirmUrl: 'https://reminders.example.com/confirm/abc',
    ...overrides,
  };
}

const sms = (overrides: Partial<RenderRequest> = {}) => renderMessage(request(overrides)).body;
const email = (overrides: Partial<RenderRequest> = {}) => renderMessage(request({ channel: 'email', ...overrides }));

describe('lookup order', () => {
  const templates: Templates = {
    'reminder_client.sms.it': 'IT {{clientFirstName}}',
    'reminder_client.sms': 'ANY {{clientFirstName}}',
    'cancellation.sms': 'Cancelled {{date}}',
  };

  test("the practice's text in the client's language comes first", () => {
    expect(sms({ templates, locale: 'it-IT' })).toBe('IT Maria');
  });

  test("then the practice's text without a language", () => {
    expect(sms({ templates, locale: 'en-GB' })).toBe('ANY Maria');
    expect(sms({ templates, locale: 'fr-FR' })).toBe('ANY Maria');
  });

  test('then the built-in text in the language, then the built-in English text', () => {
    expect(sms({ templates: { 'reminder_client.sms.it': 'IT' }, locale: 'en-US' })).toMatch(/^Hi Maria, a reminder/);
    expect(sms({ templates: { 'reminder_client.sms.en': 'EN' }, locale: 'it-IT' })).toMatch(/^Gentile Maria, /);
    expect(sms({ locale: 'de-DE' })).toMatch(/^Hi Maria, a reminder from Studio Bianchi/);
  });

  test('a language without built-in texts keeps its own date format with the English text', () => {
    const body = sms({
      locale: 'de-DE',
      appointment: { startsAt: AFTERNOON, timeZone: 'Europe/Rome', location: null },
    });
    expect(body).toContain('Dez');
    expect(body).toContain('14:05');
    expect(body).not.toContain('PM');
  });

  test("a practice's own language works through its templates, with the locale's dates", () => {
    const body = sms({
      templates: { 'cancellation.sms.de': 'Abgesagt: {{date}}' },
      kind: 'cancellation',
      locale: 'de',
    });
    expect(body).toMatch(/^Abgesagt: .*Dez/);
  });

  test('an email looks up its subject and its body each on its own', () => {
    const rendered = email({
      templates: { 'reminder_client.email_subject.it': 'Oggetto {{practiceName}}' },
      locale: 'it',
    });
    expect(rendered.subject).toBe('Oggetto Studio Bianchi');
    expect(rendered.body).toMatch(/^Gentile Maria,\n/);
  });
});

describe('built-in texts in English and Italian, every kind and variant', () => {
  // A phrase each text must carry, so a missing or swapped text shows.
  const phrases: Record<'en' | 'it', Record<MessageKind, RegExp>> = {
    en: {
      reminder_client: /reminder/i,
      reminder_practitioner: /Maria Rossi is booked/,
      cancellation: /cancelled/i,
      confirmation_ack: /confirmed/i,
      help: /appointment reminders/,
      opt_out: /no more texts/,
      opt_in: /again/,
    },
    it: {
      reminder_client: /ricorda|promemoria/i,
      reminder_practitioner: /Maria Rossi ha un appuntamento/,
      cancellation: /annullato/i,
      confirmation_ack: /confermato/i,
      help: /promemoria/i,
      opt_out: /più SMS/,
      opt_in: /di nuovo/,
    },
  };
  const cases = TEMPLATE_LANGUAGES.flatMap((language) =>
    MESSAGE_KINDS.map((kind) => [language, kind] as [typeof language, MessageKind]),
  );

  test.each(cases)(
    '%s %s: SMS, email subject and email body name the practice and say what happened',
    (language, kind) => {
      const locale = language === 'it' ? 'it-IT' : 'en-GB';
      const text = sms({ kind, locale });
      const mail = email({ kind, locale });
      for (const part of [text, mail.subject!, mail.body]) {
        expect(part).toContain('Studio Bianchi');
        expect(part).toMatch(phrases[language][kind]);
        expect(part).not.toMatch(/\{\{|\}\}|\bundefined\b|\bnull\b/);
      }
      expect(mail.html).toContain('Studio Bianchi');
    },
  );

  test.each(cases)('%s %s: the SMS fits one GSM-7 segment with typical values', (language, kind) => {
    const body = sms({ kind, locale: language === 'it' ? 'it-IT' : 'en-GB' });
    expect(countSegments(body)).toMatchObject({ segments: 1, encoding: 'GSM-7' });
  });

  test('the reminder names the day, the time and the place, and says how to answer', () => {
    expect(sms()).toBe(
      'Hi Maria, a reminder from Studio Bianchi: your appointment is Tue 1 Dec at 09:30, Via Roma 1, Milano. ' +
        'Reply C to confirm or STOP to opt out.',
    );
    expect(sms({ locale: 'it-IT' })).toBe(
      "Gentile Maria, Studio Bianchi le ricorda l'appuntamento: mar 1 dic alle 09:30, Via Roma 1, Milano. " +
        'Risponda C per confermare o STOP per non ricevere SMS.',
    );
  });

  test('the confirmation acknowledgement names the appointment', () => {
    expect(sms({ kind: 'confirmation_ack' })).toContain('your appointment on Tue 1 Dec at 09:30 is confirmed');
    expect(sms({ kind: 'confirmation_ack', locale: 'it' })).toContain(
      'il suo appuntamento di mar 1 dic alle 09:30 è confermato',
    );
  });

  test('HELP names the practice and the help phone, and leaves the phone sentence out without one', () => {
    const body = sms({ kind: 'help', appointment: null, clientName: null });
    expect(body).toBe(
      'Studio Bianchi appointment reminders. For help call +390212345678. ' +
        'Reply C to confirm, STOP to opt out, START to opt back in.',
    );
    expect(sms({ kind: 'help', helpPhone: null, appointment: null })).toBe(
      'Studio Bianchi appointment reminders. Reply C to confirm, STOP to opt out, START to opt back in.',
    );
    expect(sms({ kind: 'help', locale: 'it', appointment: null })).toContain('Assistenza: +390212345678.');
  });

  test('the opt-out answer says how to opt back in, the opt-in answer how to opt out', () => {
    for (const locale of ['en', 'it']) {
      expect(sms({ kind: 'opt_out', locale, appointment: null })).toContain('START');
      expect(sms({ kind: 'opt_in', locale, appointment: null })).toContain('STOP');
    }
  });
});

describe('dates and times in the reader locale', () => {
  test.each([
    ['en-GB', MORNING, 'Tue 1 Dec', '09:30'],
    ['en', MORNING, 'Tue 1 Dec', '09:30'],
    ['en-US', MORNING, 'Tue, Dec 1', '9:30 AM'],
    ['en-US', AFTERNOON, 'Tue, Dec 1', '2:05 PM'],
    ['it-IT', MORNING, 'mar 1 dic', '09:30'],
    ['it', AFTERNOON, 'mar 1 dic', '14:05'],
    ['not a locale', MORNING, 'Tue 1 Dec', '09:30'],
  ])('%s: %s is "%s" at "%s" in Rome', (locale, startsAt, date, time) => {
    expect(formatDate(startsAt, 'Europe/Rome', locale)).toBe(date);
    expect(formatTime(startsAt, 'Europe/Rome', locale)).toBe(time);
  });

  test('the time is the appointment zone own, across the date line', () => {
    expect(formatAppointmentTime('2026-12-01T23:30:00Z', 'Asia/Tokyo', 'en-GB')).toBe('Wed 2 Dec at 08:30');
    expect(formatAppointmentTime(MORNING, 'Europe/Rome', 'it-IT')).toBe('mar 1 dic alle 09:30');
    expect(formatAppointmentTime(MORNING, 'Europe/Rome')).toBe('Tue 1 Dec at 09:30');
  });

  test("an American client's reminder reads month first with a 12-hour clock", () => {
    expect(sms({ locale: 'en-US' })).toContain('your appointment is Tue, Dec 1 at 9:30 AM, Via Roma 1');
  });
});

describe('missing values', () => {
  test('no location: no dangling comma; no client name: no stray space', () => {
    const body = sms({ clientName: null, appointment: { startsAt: MORNING, timeZone: 'Europe/Rome', location: null } });
    expect(body).toBe(
      'Hi, a reminder from Studio Bianchi: your appointment is Tue 1 Dec at 09:30. Reply C to confirm or STOP to opt out.',
    );
  });

  test('a line whose variables are all empty is left out of an email, and no blank lines pile up', () => {
    const mail = email({
      confirmUrl: null,
      appointment: { startsAt: MORNING, timeZone: 'Europe/Rome', location: null },
    });
    expect(mail.body).not.toMatch(/Where|confirm|\n\n\n/);
    expect(mail.body).toBe(
      'Hi Maria,\n\nThis is a reminder from Studio Bianchi: your appointment is on Tue 1 Dec at 09:30.\n\n' +
        'If you cannot come, please contact Studio Bianchi.\n',
    );
  });

  test("a practice template's text around an empty value is tidied, the rest kept as written", () => {
    const templates = { 'reminder_client.sms': '{{clientFirstName}},  see you {{date}} ({{location}}) at {{time}}!' };
    expect(sms({ templates, clientName: '' })).toBe('see you Tue 1 Dec (Via Roma 1, Milano) at 09:30!');
    expect(sms({ templates, appointment: { startsAt: MORNING, timeZone: 'Europe/Rome', location: null } })).toBe(
      'Maria,  see you Tue 1 Dec at 09:30!',
    );
  });
});

describe('reply instructions', () => {
  test('name the number to text when the SMS comes from a name nobody can reply to', () => {
    expect(sms({ replyNumber: '+393400000001' })).toMatch(/Text C to \+393400000001 to confirm or STOP to opt out\.$/);
    expect(sms({ replyNumber: '+393400000001', locale: 'it' })).toMatch(
      /Invii C al \+393400000001 per confermare o STOP per non ricevere SMS\.$/,
    );
  });

  test('a confirm link only ever appears in the client reminder email', () => {
    const templates = { 'reminder_practitioner.email': 'Link: {{confirmUrl}}\nClient: {{clientName}}' };
    const mail = email({ kind: 'reminder_practitioner', templates });
    expect(mail.body).toBe('Client: Maria Rossi\n');
    expect(mail.html).not.toContain('confirm/abc');
    expect(sms({ templates: { 'reminder_client.sms': 'Hi {{clientFirstName}} {{confirmUrl}}' } })).toBe('Hi Maria');
  });
});

describe('email rendering', () => {
  test('the confirm link is a button in the HTML and a URL in the text, in the client language', () => {
    const mail = email({ locale: 'it-IT' });
    expect(mail.subject).toBe('Promemoria: il suo appuntamento presso Studio Bianchi, mar 1 dic alle 09:30');
    expect(mail.body).toContain('Per favore confermi la sua presenza: https://reminders.example.com/confirm/abc');
    expect(mail.html).toMatch(
      /<a href="https:\/\/reminders\.example\.com\/confirm\/abc" style="[^"]*background[^"]*">Confermo/,
    );
    expect(mail.html).toContain('<html lang="it">');
    expect(mail.html).toContain('<strong>mar 1 dic</strong> alle <strong>09:30</strong>');
  });

  test("a practice's email template is escaped in the HTML like every value", () => {
    const mail = email({ templates: { 'reminder_client.email': '<b>Hi</b> {{clientName}}\n\n{{confirmUrl}}' } });
    expect(mail.html).toContain('&lt;b&gt;Hi&lt;/b&gt; Maria Rossi');
    expect(mail.html).not.toContain('<b>');
  });
});

describe('templatesSchema', () => {
  const issues = (templates: unknown) => {
    const parsed = templatesSchema.safeParse(templates);
    return parsed.success ? [] : parsed.error.issues.map((issue) => ({ path: issue.path, message: issue.message }));
  };

  test('accepts every kind and variant, with or without a language', () => {
    const all = Object.fromEntries(
      MESSAGE_KINDS.flatMap((kind) =>
        TEMPLATE_VARIANTS.flatMap((variant) => [
          [`${kind}.${variant}`, `{{practiceName}} ${variant}`],
          [`${kind}.${variant}.it`, `{{practiceName}} ${variant} it`],
        ]),
      ),
    );
    expect(issues(all)).toEqual([]);
    expect(issues({ 'reminder_client.email.it': 'Ciao {{ clientFirstName }}: {{confirmUrl}}' })).toEqual([]);
  });

  test('refuses an unknown key, naming it and listing the kinds and variants', () => {
    for (const key of [
      'reminder.sms',
      'reminder_client.whatsapp',
      'reminder_client.sms.IT',
      'reminder_client',
      'help.sms.it.x',
    ]) {
      const [issue] = issues({ [key]: 'Hello' });
      expect(issue.path).toEqual([key]);
      expect(issue.message).toContain(`unknown template "${key}"`);
      expect(issue.message).toContain('reminder_client, reminder_practitioner, cancellation');
      expect(issue.message).toContain('sms, email, email_subject');
    }
  });

  test('refuses unknown variables, naming each and listing the known ones', () => {
    const [issue] = issues({ 'reminder_client.sms': 'Hi {{firstName}}, {{ when }} at {{time}}, {{firstName}}' });
    expect(issue.path).toEqual(['reminder_client.sms']);
    expect(issue.message).toMatch(
      /^unknown variables \{\{firstName\}\}, \{\{when\}\}; the variables are \{\{clientName\}\}/,
    );
    expect(issue.message).toContain('{{replyInstructions}}');
  });

  test('refuses {{confirmUrl}} anywhere but the client reminder email', () => {
    for (const key of ['reminder_client.sms', 'reminder_client.email_subject', 'reminder_practitioner.email']) {
      expect(issues({ [key]: 'Go {{confirmUrl}}' })).toEqual([
        {
          path: [key],
          message: "{{confirmUrl}} is only available in reminder_client.email (the client's reminder email)",
        },
      ]);
    }
  });

  test('refuses empty and over-long texts, and unbalanced braces', () => {
    expect(issues({ 'help.sms': '  ' })).toEqual([{ path: ['help.sms'], message: 'must not be empty' }]);
    expect(issues({ 'help.sms': 'x'.repeat(1601) })).toEqual([
      { path: ['help.sms'], message: 'must be at most 1600 characters' },
    ]);
    expect(issues({ 'help.sms': 'x'.repeat(1600) })).toEqual([]);
    expect(issues({ 'help.sms': 'Call {{helpPhone' })[0].message).toContain('"{{" without its "}}"');
    expect(issues({ 'help.sms': 42 })).toHaveLength(1);
  });
});

describe('templateWarnings', () => {
  test('none for texts that fit one GSM-7 segment, the built-in ones included', () => {
    expect(templateWarnings({ 'help.sms': '{{practiceName}}: call {{helpPhone}}.' })).toEqual([]);
    const builtIn = Object.fromEntries(
      TEMPLATE_LANGUAGES.flatMap((language) =>
        MESSAGE_KINDS.map((kind) => [`${kind}.sms.${language}`, sms({ kind, locale: language, templates: {} })]),
      ),
    );
    expect(templateWarnings(builtIn)).toEqual([]);
  });

  test('a rendering over one segment names the key and the segment count', () => {
    const long = `{{practiceName}}: ${'a'.repeat(150)} {{date}} {{time}}`;
    expect(templateWarnings({ 'reminder_client.sms': long })).toEqual(['reminder_client.sms: 2 segments (GSM-7)']);
  });

  test('a character outside GSM-7 forces UCS-2: the warning names the count and the character', () => {
    const text =
      'Gentile {{clientFirstName}}, l’appuntamento è {{date}} alle {{time}} presso {{practiceName}}, {{location}}.';
    expect(templateWarnings({ 'reminder_client.sms.it': text })).toEqual([
      'reminder_client.sms.it: 2 segments (UCS-2), because "’" is not in the GSM-7 alphabet',
    ]);
    expect(templateWarnings({ 'opt_in.sms': 'Ciao 😀' })).toEqual([
      'opt_in.sms: 1 segment (UCS-2), because "😀" is not in the GSM-7 alphabet',
    ]);
  });

  test("measures with the practice's own name when given", () => {
    const text = `{{practiceName}} ${'b'.repeat(140)}`;
    expect(templateWarnings({ 'help.sms': text })).toEqual([]);
    expect(templateWarnings({ 'help.sms': text }, { practiceName: 'Studio Dentistico Dott. Bianchi' })).toEqual([
      'help.sms: 2 segments (GSM-7)',
    ]);
  });

  test('a client reminder email without the confirm link is worth a warning', () => {
    expect(templateWarnings({ 'reminder_client.email.it': 'Gentile {{clientName}}' })).toEqual([
      'reminder_client.email.it: has no {{confirmUrl}}, so clients cannot confirm from the email',
    ]);
  });
});
