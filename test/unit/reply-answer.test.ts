import { replyAnswerKind, replyNeedsReview, type ReplySituation } from '../../domain/reply-answer';

// Which replies are answered, with which kind of text, and which are left to staff.

const client: ReplySituation = {
  intent: 'confirm',
  sender: 'client',
  matched: true,
  optOutReplies: 'practice',
  optedOut: false,
};

test("a client's C is acknowledged; a C with nothing to confirm gets the HELP text and is left to staff", () => {
  expect(replyAnswerKind(client)).toBe('confirmation_ack');
  expect(replyNeedsReview(client)).toBe(false);
  const nothing = { ...client, sender: null, matched: false };
  expect(replyAnswerKind(nothing)).toBe('help');
  expect(replyNeedsReview(nothing)).toBe(true);
});

test('STOP and START are answered by the practice, or by no one here when Twilio answers them', () => {
  expect(replyAnswerKind({ ...client, intent: 'opt_out', optedOut: true })).toBe('opt_out');
  expect(replyAnswerKind({ ...client, intent: 'opt_in' })).toBe('opt_in');
  expect(replyAnswerKind({ ...client, intent: 'opt_out', optedOut: true, optOutReplies: 'twilio' })).toBeNull();
  expect(replyAnswerKind({ ...client, intent: 'opt_in', optOutReplies: 'twilio' })).toBeNull();
  // A START older than the number's latest STOP leaves it opted out: "you are back" would be false.
  expect(replyAnswerKind({ ...client, intent: 'opt_in', optedOut: true })).toBeNull();
});

test('an opted-out number gets no answer but to STOP and START', () => {
  for (const intent of ['confirm', 'help', 'other'] as const) {
    expect(replyAnswerKind({ ...client, intent, optedOut: true })).toBeNull();
  }
});

test('HELP is answered whoever asks; free text is not, and is left to staff', () => {
  expect(replyAnswerKind({ ...client, intent: 'help' })).toBe('help');
  expect(replyAnswerKind({ ...client, intent: 'help', sender: 'practitioner' })).toBe('help');
  expect(replyAnswerKind({ ...client, intent: 'other' })).toBeNull();
  expect(replyNeedsReview({ ...client, intent: 'other' })).toBe(true);
  expect(replyNeedsReview({ ...client, intent: 'help' })).toBe(false);
});

test("a practitioner's C confirms nothing, is not acknowledged, and is left to staff, as is all they send", () => {
  const practitioner = { ...client, sender: 'practitioner' as const };
  expect(replyAnswerKind(practitioner)).toBeNull();
  for (const intent of ['confirm', 'opt_out', 'opt_in', 'help', 'other'] as const) {
    expect(replyNeedsReview({ ...practitioner, intent })).toBe(true);
  }
  expect(replyAnswerKind({ ...practitioner, intent: 'opt_out', optedOut: true })).toBe('opt_out');
});
