import type { JournalEntry } from '../../domain/appointment-journal';
import { composeAppointmentLog, type LoggedMessage } from '../../domain/appointment-log';

const zone = 'Europe/Rome';

function message(overrides: Partial<LoggedMessage>): LoggedMessage {
  return {
    id: 'm1',
    direction: 'outbound',
    channel: 'sms',
    purpose: 'reminder',
    recipient: 'client',
    reminderId: 'r1',
    keyword: null,
    needsReview: false,
    body: 'Hi Maria…',
    mediaUrls: [],
    createdAt: new Date('2026-11-30T08:30:00Z'),
    sentAt: new Date('2026-11-30T08:30:01Z'),
    errorMessage: null,
    statusHistory: [],
    ...overrides,
  };
}

test('a reminder sent, delivered and confirmed by text, in order and in words', () => {
  const journal: JournalEntry[] = [
    {
      at: '2026-11-20T10:00:00.000Z',
      event: 'created',
      actor: 'practice',
      startsAt: '2026-12-01T09:30:00+01:00',
      timeZone: zone,
    },
    {
      at: '2026-11-20T10:00:00.000Z',
      event: 'reminder_planned',
      actor: 'system',
      reminderId: 'r1',
      channel: 'sms',
      recipient: 'client',
      sendAt: '2026-11-30T08:30:00.000Z',
    },
    { at: '2026-11-30T09:00:00.000Z', event: 'confirmed', actor: 'client', via: 'sms' },
  ];
  const messages = [
    message({
      statusHistory: [
        { status: 'queued', at: '2026-11-30T08:30:01.000Z', errorCode: null },
        { status: 'delivered', at: '2026-11-30T08:30:05.000Z', errorCode: null },
      ],
    }),
    message({
      id: 'in1',
      direction: 'inbound',
      purpose: null,
      recipient: null,
      reminderId: null,
      keyword: 'C',
      createdAt: new Date('2026-11-30T09:00:00Z'),
    }),
  ];
  const log = composeAppointmentLog(journal, messages, zone);
  expect(log.map((e) => [e.event, e.actor, e.detail])).toEqual([
    ['created', 'practice', 'Appointment created for Tue 1 Dec at 09:30'],
    ['reminder_planned', 'system', 'Text reminder to client planned for Mon 30 Nov at 09:30'],
    ['reminder_sent', 'system', 'Sent text reminder to client'],
    ['reminder_delivered', 'system', 'Delivered (text reminder to client)'],
    ['confirmed', 'client', 'Confirmed via text'],
    ['reply_received', 'client', 'Client replied C'],
  ]);
});

test('an undelivered text and its fallback email; a refused one says refused', () => {
  const messages = [
    message({
      errorMessage: "The client's phone was unreachable.",
      statusHistory: [
        { status: 'queued', at: '2026-11-30T08:30:01.000Z', errorCode: null },
        { status: 'undelivered', at: '2026-11-30T08:31:00.000Z', errorCode: '30003' },
      ],
    }),
    message({
      id: 'm2',
      channel: 'email',
      purpose: 'fallback',
      statusHistory: [{ status: 'queued', at: '2026-11-30T08:31:02.000Z', errorCode: null }],
    }),
    message({
      id: 'm3',
      reminderId: 'r2',
      errorMessage: 'The number is not a mobile number.',
      statusHistory: [{ status: 'failed', at: '2026-11-30T10:00:00.000Z', errorCode: '21614' }],
    }),
  ];
  const log = composeAppointmentLog([], messages, zone);
  expect(log.map((e) => [e.event, e.messageId, e.detail])).toEqual([
    ['reminder_sent', 'm1', 'Sent text reminder to client'],
    ['reminder_failed', 'm1', "Text reminder to client not delivered: The client's phone was unreachable. [30003]"],
    ['fallback_sent', 'm2', 'Sent email reminder to client instead, as the text did not reach them'],
    ['reminder_failed', 'm3', 'Text reminder to client refused: The number is not a mobile number. [21614]'],
  ]);
});

test('a text the SMS budget stopped is never shown as sent', () => {
  const messages = [
    message({
      sentAt: null,
      errorMessage: "Not sent: the practice's monthly SMS budget (500 segments) is used up.",
      statusHistory: [{ status: 'not_sent', at: '2026-11-30T08:30:00.000Z', errorCode: 'CREDIT_EXHAUSTED' }],
    }),
  ];
  expect(composeAppointmentLog([], messages, zone)).toEqual([]);
});

test("a reply's pictures, the practice's answer to it, and a practitioner's reply, in words", () => {
  const messages = [
    message({
      id: 'in1',
      direction: 'inbound',
      purpose: null,
      recipient: 'client',
      reminderId: null,
      body: 'Is this the right entrance?',
      needsReview: true,
      mediaUrls: ['https://api.twilio.com/media/ME1', 'https://api.twilio.com/media/ME2'],
      createdAt: new Date('2026-11-30T09:00:00.000Z'),
    }),
    message({
      id: 'in2',
      direction: 'inbound',
      purpose: null,
      recipient: 'client',
      reminderId: null,
      keyword: 'C',
      createdAt: new Date('2026-11-30T09:05:00.000Z'),
    }),
    message({
      id: 'out2',
      purpose: 'reply',
      recipient: 'client',
      reminderId: null,
      body: 'Your appointment on Tue 1 Dec at 09:30 is confirmed.',
      createdAt: new Date('2026-11-30T09:05:00.001Z'),
      statusHistory: [{ status: 'sent', at: '2026-11-30T09:05:00.001Z', errorCode: null }],
    }),
    message({
      id: 'in3',
      direction: 'inbound',
      purpose: null,
      recipient: 'practitioner',
      reminderId: null,
      keyword: 'C',
      needsReview: true,
      mediaUrls: ['https://api.twilio.com/media/ME3'],
      createdAt: new Date('2026-11-30T09:10:00.000Z'),
    }),
  ];
  const log = composeAppointmentLog([], messages, zone);
  expect(log.map((e) => [e.event, e.actor, e.messageId, e.detail])).toEqual([
    [
      'reply_received',
      'client',
      'in1',
      'Client replied "Is this the right entrance?" with 2 attachments: ' +
        'https://api.twilio.com/media/ME1 https://api.twilio.com/media/ME2 (needs review by staff)',
    ],
    ['reply_received', 'client', 'in2', 'Client replied C'],
    ['reply_sent', 'system', 'out2', 'Answered the client: "Your appointment on Tue 1 Dec at 09:30 is confirmed."'],
    [
      'reply_received',
      'practitioner',
      'in3',
      'Practitioner replied C with an attachment: https://api.twilio.com/media/ME3 (needs review by staff)',
    ],
  ]);
});
