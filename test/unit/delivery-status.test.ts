import {
  decideStatus,
  deliveryOutcome,
  fromSendGridEvent,
  fromTwilioCallback,
  statusHistoryOf,
  type DeliveryStatus,
  withDeliveries,
} from '../../domain/delivery-status';
import type { AppointmentView, Reminder } from '../../domain/appointment';
import { explainTwilioErrorCode } from '../../gateways/twilio-errors';
import { match } from '../support/matchers';

describe('decideStatus', () => {
  it.each<[string, DeliveryStatus, boolean, 'delivered' | 'failed' | null]>([
    ['queued', 'sent', true, null],
    ['sending', 'queued', false, null],
    ['pending', 'queued', true, null],
    ['retrying', 'sent', true, null],
    ['sent', 'delivered', true, 'delivered'],
    ['queued', 'undelivered', true, 'failed'],
    ['sent', 'failed', true, 'failed'],
    ['deferred', 'delivered', true, 'delivered'],
    ['queued', 'deferred', true, null],
    ['delivered', 'read', true, null],
    ['delivered', 'spam_reported', true, null],
    ['read', 'spam_reported', true, null],
    // Implies delivery, so the workflow learns it now even though `delivered` never came.
    ['sent', 'read', true, 'delivered'],
    ['queued', 'spam_reported', true, 'delivered'],
  ])('%s then %s: advances %s, outcome %s', (current, incoming, advances, outcome) => {
    expect(decideStatus(current, incoming)).toEqual({ advances, outcome });
  });

  it.each<[string, DeliveryStatus]>([
    ['delivered', 'sent'],
    ['delivered', 'queued'],
    ['delivered', 'delivered'],
    ['sent', 'sent'],
    ['sent', 'sending'],
    ['sent', 'deferred'],
    ['read', 'delivered'],
    ['delivered', 'undelivered'],
    ['delivered', 'failed'],
    ['undelivered', 'delivered'],
    ['undelivered', 'failed'],
    ['failed', 'delivered'],
    ['failed', 'read'],
    ['undelivered', 'undelivered'],
    ['too_late', 'delivered'],
  ])('%s then %s changes nothing', (current, incoming) => {
    expect(decideStatus(current, incoming)).toEqual({ advances: false, outcome: null });
  });

  it('tells the outcome once, however reports arrive', () => {
    const reports: DeliveryStatus[] = ['sent', 'delivered', 'queued', 'delivered', 'read', 'sent', 'failed'];
    let status = 'queued';
    const outcomes: string[] = [];
    const history: string[] = [];
    for (const incoming of reports) {
      const decision = decideStatus(status, incoming);
      if (decision.advances) {
        status = incoming;
        history.push(incoming);
      }
      if (decision.outcome) outcomes.push(decision.outcome);
    }
    expect({ status, history, outcomes }).toEqual({
      status: 'read',
      history: ['sent', 'delivered', 'read'],
      outcomes: ['delivered'],
    });
  });
});

test('deliveryOutcome', () => {
  expect(['delivered', 'read', 'spam_reported'].map(deliveryOutcome)).toEqual(['delivered', 'delivered', 'delivered']);
  expect(['undelivered', 'failed'].map(deliveryOutcome)).toEqual(['failed', 'failed']);
  expect(['queued', 'sent', 'deferred', 'pending'].map(deliveryOutcome)).toEqual([null, null, null, null]);
});

describe('fromTwilioCallback', () => {
  it.each(['30003', '30004', '30005', '30006', '30007', '30008', '30034', '21211', '21408', '21610', '21614'])(
    'explains %s in the words of gateways/twilio-errors.ts',
    (code) => {
      const report = fromTwilioCallback({ MessageStatus: 'undelivered', ErrorCode: code }, explainTwilioErrorCode);
      expect(report).toEqual({
        status: 'undelivered',
        errorCode: code,
        explanation: explainTwilioErrorCode(code),
        at: null,
      });
      expect(report?.explanation).toMatch(/\w/);
    },
  );

  it('says 30003 means the phone was unreachable', () => {
    expect(
      fromTwilioCallback({ MessageStatus: 'undelivered', ErrorCode: '30003' }, explainTwilioErrorCode)?.explanation,
    ).toBe("The client's phone was unreachable (switched off or out of coverage).");
  });

  it('still shows an unknown code, with where to read it up', () => {
    expect(fromTwilioCallback({ MessageStatus: 'failed', ErrorCode: '30999' }, explainTwilioErrorCode)).toMatchObject({
      status: 'failed',
      errorCode: '30999',
      explanation: 'The carrier reported error 30999 (https://www.twilio.com/docs/api/errors/30999).',
    });
  });

  it('explains a failure without a code, and nothing for a success', () => {
    expect(fromTwilioCallback({ MessageStatus: 'undelivered' }, explainTwilioErrorCode)?.explanation).toBe(
      "The client's carrier could not deliver the message and gave no reason.",
    );
    expect(fromTwilioCallback({ MessageStatus: 'failed', ErrorCode: '' }, explainTwilioErrorCode)?.explanation).toBe(
      'Twilio could not send the message and gave no reason.',
    );
    expect(fromTwilioCallback({ MessageStatus: 'delivered' }, explainTwilioErrorCode)).toEqual({
      status: 'delivered',
      errorCode: null,
      explanation: null,
      at: null,
    });
  });

  it('ignores statuses that say nothing about an outbound delivery', () => {
    for (const status of ['canceled', 'receiving', 'received', '', 'DELIVERED!'])
      expect(fromTwilioCallback({ MessageStatus: status }, explainTwilioErrorCode)).toBeNull();
    expect(fromTwilioCallback({}, explainTwilioErrorCode)).toBeNull();
  });
});

describe('fromSendGridEvent', () => {
  const timestamp = 1_795_000_000;
  const at = new Date(timestamp * 1000);

  it('maps processed, delivered and deferred', () => {
    expect(fromSendGridEvent({ event: 'processed', timestamp })).toEqual({
      status: 'queued',
      errorCode: null,
      explanation: null,
      at,
    });
    expect(fromSendGridEvent({ event: 'delivered', timestamp })).toEqual({
      status: 'delivered',
      errorCode: null,
      explanation: null,
      at,
    });
    expect(fromSendGridEvent({ event: 'deferred', timestamp, response: '450 mailbox busy' })).toEqual({
      status: 'deferred',
      errorCode: 'deferred',
      explanation:
        'The client\'s mail server asked to try again later; SendGrid keeps trying for up to 72 hours. The mail server said: "450 mailbox busy"',
      at,
    });
  });

  it('tells a bounce from a block', () => {
    const bounce = fromSendGridEvent({
      event: 'bounce',
      type: 'bounce',
      reason: '550 5.1.1 user unknown',
      bounce_classification: 'Invalid Address',
      timestamp,
    });
    expect(bounce).toMatchObject({ status: 'undelivered', errorCode: 'bounce', at });
    expect(bounce?.explanation).toBe(
      'The client\'s mail server refused the email for good (for example, the address does not exist); SendGrid will not send to this address again. SendGrid classifies it as: Invalid Address. The mail server said: "550 5.1.1 user unknown"',
    );
    const blocked = fromSendGridEvent({ event: 'bounce', type: 'blocked', reason: '554 blocked', timestamp });
    expect(blocked).toMatchObject({ status: 'undelivered', errorCode: 'blocked' });
    expect(blocked?.explanation).toMatch(/^The client's mail server blocked the email .*"554 blocked"$/);
  });

  it('words the drop reasons staff can act on', () => {
    expect(fromSendGridEvent({ event: 'dropped', reason: 'Unsubscribed Address', timestamp })).toEqual({
      status: 'failed',
      errorCode: 'dropped',
      explanation: 'SendGrid did not send the email: the client unsubscribed from these emails.',
      at,
    });
    expect(fromSendGridEvent({ event: 'dropped', reason: 'Something new' })?.explanation).toBe(
      'SendGrid did not send the email: SendGrid said: "Something new".',
    );
    expect(fromSendGridEvent({ event: 'dropped' })?.explanation).toBe(
      'SendGrid did not send the email: SendGrid gave no reason.',
    );
  });

  it('records a spam report after delivery', () => {
    expect(fromSendGridEvent({ event: 'spamreport', timestamp })).toMatchObject({
      status: 'spam_reported',
      errorCode: 'spamreport',
      explanation: match.stringContaining('marked the email as spam'),
    });
  });

  it('keeps a long mail-server reason short', () => {
    const report = fromSendGridEvent({ event: 'bounce', type: 'bounce', reason: 'x'.repeat(1000) });
    expect(report?.explanation?.length).toBeLessThan(600);
  });

  it('ignores engagement events and garbage', () => {
    for (const event of ['open', 'click', 'unsubscribe', 'group_unsubscribe', undefined, 42])
      expect(fromSendGridEvent({ event, timestamp })).toBeNull();
    expect(fromSendGridEvent({ event: 'delivered', timestamp: 'yesterday' })?.at).toBeNull();
  });
});

test('statusHistoryOf reads the stored history and leaves out what is not an entry', () => {
  expect(
    statusHistoryOf([
      { status: 'sent', at: '2026-11-27T10:00:00.000Z', errorCode: null },
      { status: 'undelivered', at: '2026-11-27T10:01:00.000Z', errorCode: '30003' },
      { status: 'queued' },
      'delivered',
      null,
    ]),
  ).toEqual([
    { status: 'sent', at: '2026-11-27T10:00:00.000Z', errorCode: null },
    { status: 'undelivered', at: '2026-11-27T10:01:00.000Z', errorCode: '30003' },
  ]);
  expect(statusHistoryOf({ not: 'a list' })).toEqual([]);
});

test('withDeliveries shows a sent reminder delivered once its message says so, and nothing else', () => {
  const reminder = (id: string, state: Reminder['state'], messageId: string | null): Reminder =>
    ({ id, state, messageId }) as Reminder;
  const view = {
    status: 'awaiting_confirmation',
    reminders: [
      reminder('r1', 'sent', 'm1'),
      reminder('r2', 'sent', 'm2'),
      reminder('r3', 'failed', 'm3'),
      reminder('r4', 'pending', null),
    ],
  } as AppointmentView;
  const shown = withDeliveries(
    view,
    new Map([
      ['m1', 'delivered'],
      ['m2', 'sent'],
      ['m3', 'delivered'],
    ]),
  );
  expect(shown.reminders.map((r) => [r.id, r.state])).toEqual([
    ['r1', 'delivered'],
    ['r2', 'sent'],
    ['r3', 'failed'],
    ['r4', 'pending'],
  ]);
  expect(view.reminders[0].state).toBe('sent');
  expect(withDeliveries(view, new Map([['m2', 'queued']]))).toBe(view);
});
