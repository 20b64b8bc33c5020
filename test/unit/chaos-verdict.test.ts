import type { ReplyRecord } from '../../bench/chaos/replies';
import type { CreatedAppointment } from '../../bench/chaos/scenario';
import {
  judge,
  type FinalState,
  type GatewayMessage,
  type MessageRow,
  type Observations,
} from '../../bench/chaos/verdict';

// The chaos run's counting must neither hide a double send nor invent one: Twilio has no
// idempotency key and both reminders of an appointment have the same text.

const START = Date.parse('2030-01-01T12:00:00Z');
const BODY = 'Hi Ada, a reminder…';
const PHONE = '+393472000000';

const appointment: CreatedAppointment = {
  appointmentId: 'CH-00001',
  phone: PHONE,
  unusable: null,
  plannedStartMs: START,
  startsAtMs: START,
  createdAtMs: START - 300_000,
};

function row(id: 'r1' | 'r2', claimedAt: number, providerId: string | null): MessageRow {
  return {
    id,
    idempotencyKey: `appointment/chaos/CH-00001/${id}`,
    to: PHONE,
    body: BODY,
    providerId,
    status: providerId ? 'sent' : 'sending',
    createdAtMs: claimedAt,
  };
}

const message = (sid: string, at: number): GatewayMessage => ({ sid, to: PHONE, body: BODY, receivedAtMs: at });

function observe(overrides: Partial<Observations> & { status?: string }): Observations {
  const final: FinalState = {
    status: overrides.status ?? 'unconfirmed',
    reminders: [
      { id: 'r1', state: 'sent', reason: null },
      { id: 'r2', state: 'sent', reason: null },
    ],
    workflowStatus: 'COMPLETED',
    error: null,
  };
  return {
    reminders: ['PT2M', 'PT1M'],
    appointments: [appointment],
    gatewayMessages: [],
    messageRows: [],
    finals: new Map([[appointment.appointmentId, final]]),
    optedOutAtEnd: new Map(),
    replies: [],
    temporalDowntimes: [],
    ...overrides,
  };
}

const r1Due = START - 120_000;
const r2Due = START - 60_000;

test('one message per reminder, each recorded: all zeros', () => {
  const verdict = judge(
    observe({
      gatewayMessages: [message('SM1', r1Due + 100), message('SM2', r2Due + 100)],
      messageRows: [row('r1', r1Due, 'SM1'), row('r2', r2Due, 'SM2')],
    }),
  );
  expect(Object.values(verdict.counts).every((n) => n === 0)).toBe(true);
  expect(verdict.info.remindersRequired).toBe(2);
});

test('an unrecorded copy is given to the reminder that has no message before it counts as a double', () => {
  // r2's answer was lost (no SID recorded): its message is r2's, not a second r1.
  const verdict = judge(
    observe({
      gatewayMessages: [message('SM1', r1Due + 100), message('SM2', r2Due + 100)],
      messageRows: [row('r1', r1Due, 'SM1'), row('r2', r2Due, null)],
    }),
  );
  expect(verdict.counts.remindersSentTwiceOrMore).toBe(0);
  expect(verdict.counts.remindersNeverSent).toBe(0);
});

test('a copy that arrived before the second reminder was claimed is a double send of the first', () => {
  const verdict = judge(
    observe({
      gatewayMessages: [message('SM1', r1Due + 100), message('SM9', r1Due + 20_000), message('SM2', r2Due + 100)],
      messageRows: [row('r1', r1Due, 'SM1'), row('r2', r2Due, 'SM2')],
    }),
  );
  expect(verdict.counts.remindersSentTwiceOrMore).toBe(1);
  expect(verdict.info.extraCopies).toBe(1);
});

test('a reminder that never reached the gateway, and one sent after the start, are counted', () => {
  const verdict = judge(
    observe({
      gatewayMessages: [message('SM2', START + 5_000)],
      messageRows: [row('r1', r1Due, null), row('r2', r2Due, 'SM2')],
    }),
  );
  expect(verdict.counts.remindersNeverSent).toBe(1);
  expect(verdict.counts.remindersSentAfterStart).toBe(1);
});

test('a STOP: reminders after it are its missing effect; a reminder due after it is not owed', () => {
  const stop: ReplyRecord = {
    appointmentId: appointment.appointmentId,
    phone: PHONE,
    keyword: 'STOP',
    messageSid: 'SMin',
    sentAtMs: r1Due - 30_000,
    latencyMs: 20,
    status: 200,
    error: null,
    temporalDown: false,
    postgresDown: false,
  };
  const honoured = judge(observe({ replies: [stop], optedOutAtEnd: new Map([[PHONE, true]]), status: 'opted_out' }));
  expect(honoured.counts).toMatchObject({ remindersNeverSent: 0, repliesWithoutEffect: 0 });

  const ignored = judge(
    observe({
      replies: [stop],
      optedOutAtEnd: new Map([[PHONE, true]]),
      status: 'opted_out',
      gatewayMessages: [message('SM1', r1Due + 100)],
      messageRows: [row('r1', r1Due, 'SM1')],
    }),
  );
  expect(ignored.counts.repliesWithoutEffect).toBe(1);
});

test('a message with a text no row has, or to a number of no appointment, is unexplained', () => {
  const verdict = judge(
    observe({
      gatewayMessages: [
        message('SM1', r1Due + 100),
        { sid: 'SMx', to: PHONE, body: 'something else', receivedAtMs: r1Due },
        { sid: 'SMy', to: '+393479999999', body: BODY, receivedAtMs: r1Due },
        message('SM2', r2Due + 100),
      ],
      messageRows: [row('r1', r1Due, 'SM1'), row('r2', r2Due, 'SM2')],
    }),
  );
  expect(verdict.counts.unexplainedGatewayMessages).toBe(2);
});
