import { match } from '../support/matchers';
import {
  applyTemplatesChange,
  createPracticeSchema,
  operatorPracticeChangeSchema,
  practiceChangeSchema,
  quietHoursOf,
  reminderPolicyOf,
  remindersWithRecipients,
  settingsOf,
  SMS_FROM_IS_OPERATORS,
  StoredSettingError,
  type StoredPractice,
} from '../../domain/practice';
import { smsUsage, usageMonth } from '../../domain/sms-budget';

const STORED: StoredPractice = {
  id: 'studio',
  name: 'Studio Verdi',
  smsFrom: '+393471234000',
  senderName: 'StudioV',
  emailFrom: null,
  helpPhone: null,
  timeZone: 'Europe/Rome',
  locale: 'it-IT',
  reminderPolicy: [{ before: 'P1D', channel: 'sms', recipients: 'both' }],
  quietHoursStart: '21:00',
  quietHoursEnd: '08:00',
  templates: {},
  smsMonthlyBudget: null,
  optOutReplies: 'practice',
};

/** The first fault a staff change has, as { path: message }. */
function faults(body: unknown): Record<string, string> {
  const result = practiceChangeSchema.safeParse(body);
  if (result.success) return {};
  return Object.fromEntries(result.error.issues.map((issue) => [issue.path.join('.'), issue.message]));
}

describe('reading stored settings', () => {
  it('refuses a corrupt stored reminder policy, naming the practice and the field, instead of using the default', () => {
    const practice = { id: 'studio', reminderPolicy: [{ before: 'tomorrow', channel: 'sms' }] };
    expect(() => reminderPolicyOf(practice)).toThrow(/practice "studio".*reminderPolicy/i);
    expect(() => reminderPolicyOf({ id: 'studio', reminderPolicy: null })).toThrow(StoredSettingError);
  });

  it('reads a policy stored before rules named recipients as going to the client', () => {
    const policy = [{ before: 'P1D', channel: 'sms' }];
    expect(reminderPolicyOf({ id: 'studio', reminderPolicy: policy })).toEqual([
      { before: 'P1D', channel: 'sms', recipients: 'client' },
    ]);
  });

  it('reads quiet hours from two columns: both null is off, one null is corrupt', () => {
    expect(quietHoursOf(STORED)).toEqual({ start: '21:00', end: '08:00' });
    expect(quietHoursOf({ ...STORED, quietHoursStart: null, quietHoursEnd: null })).toBeNull();
    expect(() => quietHoursOf({ ...STORED, quietHoursEnd: null })).toThrow(/practice "studio".*quietHours/i);
  });

  it('reads every setting, and names the one that is corrupt', () => {
    expect(settingsOf(STORED)).toMatchObject({
      senderName: 'StudioV',
      reminderPolicy: [{ before: 'P1D', channel: 'sms', recipients: 'both' }],
      quietHours: { start: '21:00', end: '08:00' },
      templates: {},
    });
    const corrupt = { ...STORED, optOutReplies: 'nobody' };
    expect(() => settingsOf(corrupt)).toThrow(StoredSettingError);
    try {
      settingsOf(corrupt);
    } catch (err) {
      expect(err).toMatchObject({ practiceId: 'studio', field: 'optOutReplies' });
    }
  });
});

describe('sender name', () => {
  it.each(['StudioV', 'Studio B', 'A&B-c_d+1', 'ABCDEFGHIJK', '2Studio'])('accepts %j', (senderName) => {
    expect(faults({ senderName })).toEqual({});
  });

  it.each([
    ['ABCDEFGHIJKL', 'must be 1–11 letters, digits, spaces or - + _ &'],
    ['Studio!', 'must be 1–11 letters, digits, spaces or - + _ &'],
    ['Studiò', 'must be 1–11 letters, digits, spaces or - + _ &'],
    ['   ', 'must be 1–11 letters, digits, spaces or - + _ &'],
    ['12345', 'must not be only digits'],
  ])('refuses %j', (senderName, message) => {
    expect(faults({ senderName })).toEqual({ senderName: message });
  });

  it('is trimmed, and null clears it', () => {
    expect(practiceChangeSchema.parse({ senderName: ' StudioV ' })).toEqual({ senderName: 'StudioV' });
    expect(practiceChangeSchema.parse({ senderName: null })).toEqual({ senderName: null });
  });
});

describe('locale', () => {
  it('keeps a BCP 47 tag in its canonical form', () => {
    expect(practiceChangeSchema.parse({ locale: 'it-it' })).toEqual({ locale: 'it-IT' });
    expect(practiceChangeSchema.parse({ locale: 'en' })).toEqual({ locale: 'en' });
  });

  it.each(['', 'italiano!', 'xx-YY', 'it_IT'])('refuses %j', (locale) => {
    expect(faults({ locale })).toEqual({ locale: match.stringContaining('BCP 47') });
  });
});

describe('a change of settings', () => {
  it('names every bad field', () => {
    expect(
      faults({
        timeZone: 'Mars/Base',
        quietHours: { start: '22:00', end: '22:00' },
        smsMonthlyBudget: 0,
        optOutReplies: 'nobody',
        reminderPolicy: [{ before: 'P1D', channel: 'sms', recipients: 'everyone' }],
      }),
    ).toEqual({
      timeZone: match.stringContaining('IANA'),
      quietHours: 'start and end must differ',
      smsMonthlyBudget: 'must be at least 1 segment',
      optOutReplies: 'must be "practice" or "twilio"',
      'reminderPolicy.0.recipients': 'must be "client", "practitioner" or "both"',
    });
    expect(faults({ smsMonthlyBudget: 2.5 })).toEqual({
      smsMonthlyBudget: 'must be a whole number of SMS segments',
    });
    expect(faults({ reminderPolicy: [] })).toEqual({ reminderPolicy: 'must list at least one reminder' });
  });

  it('must change something', () => {
    expect(faults({})).toEqual({ '': 'must change at least one setting' });
  });

  it('refuses the sender number from staff; the operator may change it', () => {
    expect(faults({ smsFrom: '+393471234001' })).toEqual({ smsFrom: SMS_FROM_IS_OPERATORS });
    expect(operatorPracticeChangeSchema.parse({ smsFrom: '+393471234001' })).toEqual({ smsFrom: '+393471234001' });
  });

  it('fills in recipients of a policy rule that names none', () => {
    expect(practiceChangeSchema.parse({ reminderPolicy: [{ before: 'PT2H', channel: 'email' }] })).toEqual({
      reminderPolicy: [{ before: 'PT2H', channel: 'email', recipients: 'client' }],
    });
  });

  it('names a template whose text is not text, under templates.<key>', () => {
    expect(faults({ templates: { 'reminder_client.sms': 42 } })).toEqual({
      'templates.reminder_client.sms': match.any(String),
    });
  });
});

describe('templates change', () => {
  it('merges keys: a text sets one, null removes one, others are kept', () => {
    const change = practiceChangeSchema.parse({
      templates: { 'reminder_client.sms': 'New {{date}}', 'help.sms': null },
    }).templates!;
    expect(change).toEqual({ set: { 'reminder_client.sms': 'New {{date}}' }, remove: ['help.sms'] });
    const stored = { 'reminder_client.sms': 'Old', 'help.sms': 'Call us', 'opt_out.sms': 'Bye' };
    expect(applyTemplatesChange(stored, change)).toEqual({
      'reminder_client.sms': 'New {{date}}',
      'opt_out.sms': 'Bye',
    });
  });
});

describe('creating a practice', () => {
  it('takes every setting under the same rules, with only the id, name and sender required', () => {
    expect(createPracticeSchema.parse({ id: 'studio', name: 'Studio', smsFrom: '+393471234000' })).toEqual({
      id: 'studio',
      name: 'Studio',
      smsFrom: '+393471234000',
    });
    const result = createPracticeSchema.safeParse({ id: 'Bad Id', name: 'S', smsFrom: '1', senderName: '123' });
    expect(result.error?.issues.map((issue) => issue.path.join('.')).sort()).toEqual(['id', 'senderName', 'smsFrom']);
  });
});

describe('reminders of a new appointment', () => {
  const policy = [
    { before: 'P1D', channel: 'sms' as const, recipients: 'both' as const },
    { before: 'PT2H', channel: 'sms' as const, recipients: 'client' as const },
  ];

  it('keeps each policy rule its own recipients when the request names none', () => {
    expect(remindersWithRecipients(policy, undefined)).toEqual({ reminders: policy, recipients: 'client' });
    expect(remindersWithRecipients([policy[0]], undefined)).toEqual({ reminders: [policy[0]], recipients: 'both' });
  });

  it("applies the request's recipients to every rule", () => {
    expect(remindersWithRecipients(policy, 'practitioner')).toEqual({
      reminders: [
        { before: 'P1D', channel: 'sms' },
        { before: 'PT2H', channel: 'sms' },
      ],
      recipients: 'practitioner',
    });
  });
});

describe('SMS usage', () => {
  it("counts the month in the practice's time zone", () => {
    const lateOn30Nov = new Date('2026-11-30T23:30:00Z');
    expect(usageMonth(lateOn30Nov, 'UTC')).toBe('2026-11');
    expect(usageMonth(lateOn30Nov, 'Europe/Rome')).toBe('2026-12');
    expect(usageMonth(lateOn30Nov, 'America/New_York')).toBe('2026-11');
  });

  it('says what is left of the budget, never below zero', () => {
    expect(smsUsage('2026-11', 120, 100)).toEqual({ month: '2026-11', segments: 120, budget: 100, remaining: 0 });
    expect(smsUsage('2026-11', 30, 100).remaining).toBe(70);
    expect(smsUsage('2026-11', 30, null).remaining).toBeNull();
  });
});
