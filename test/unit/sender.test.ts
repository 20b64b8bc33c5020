import { acceptsAlphanumericSender, smsSender } from '../../domain/sender';

// Who an SMS comes from: the practice's name where the recipient's carriers deliver
// alphanumeric senders, its number elsewhere, and the Messaging Service's own choice for a
// practice that sends through one.

const NUMBER = '+390212345678';
const SERVICE = 'MG0123456789abcdef0123456789abcdef';
const withName = { smsFrom: NUMBER, senderName: 'Studio B' };

test('an Italian client gets the name, and the number to text replies to', () => {
  expect(smsSender(withName, '+393471234567')).toEqual({ from: 'Studio B', replyNumber: NUMBER });
  expect(smsSender(withName, '+447911123456')).toEqual({ from: 'Studio B', replyNumber: NUMBER });
});

test('a US, Canadian or Puerto Rican client gets the number: carriers there refuse names', () => {
  for (const to of ['+12025550123', '+14165550123', '+17875550123']) {
    expect(smsSender(withName, to)).toEqual({ from: NUMBER, replyNumber: null });
  }
});

test("a practice sending through a Messaging Service is left to the service's sender pool", () => {
  expect(smsSender({ smsFrom: SERVICE, senderName: 'Studio B' }, '+393471234567')).toEqual({
    from: SERVICE,
    replyNumber: null,
  });
});

test('without a sender name, the number', () => {
  expect(smsSender({ smsFrom: NUMBER, senderName: null }, '+393471234567')).toEqual({
    from: NUMBER,
    replyNumber: null,
  });
  expect(smsSender({ smsFrom: NUMBER, senderName: '' }, '+393471234567')).toEqual({ from: NUMBER, replyNumber: null });
});

test('a number whose country cannot be told gets the number', () => {
  expect(acceptsAlphanumericSender('+999123')).toBe(false);
  expect(acceptsAlphanumericSender('not a number')).toBe(false);
  expect(smsSender(withName, '+999123')).toEqual({ from: NUMBER, replyNumber: null });
});

test('the country comes from the number, including shared calling codes', () => {
  expect(acceptsAlphanumericSender('+33612345678')).toBe(true); // France
  expect(acceptsAlphanumericSender('+5215512345678')).toBe(false); // Mexico
  expect(acceptsAlphanumericSender('+12845550123')).toBe(true); // British Virgin Islands, +1 but not the US
  expect(acceptsAlphanumericSender('+13405550123')).toBe(false); // US Virgin Islands
});
