import { lookupPhone, messageLogQuerySchema } from '../../domain/message-log-query';

// The message log's query rules, without a server.

test.each([
  ['+393471234567', '+393471234567'],
  ['+39 347 123 4567', '+393471234567'],
  ['+39 (347) 123-4567', '+393471234567'],
  // A `+` left unencoded in a query string arrives as a space.
  [' 393471234567', '+393471234567'],
  ['393471234567', null],
  ['3471234567', null],
  ['+39123', null],
  ['', null],
  [' ', null],
  ['+393471234567x', null],
])('lookupPhone(%j) is %j', (input, expected) => {
  expect(lookupPhone(input)).toBe(expected);
});

test('defaults, normalised statuses and booleans', () => {
  expect(messageLogQuerySchema.parse({})).toEqual({ limit: 50 });
  expect(
    messageLogQuerySchema.parse({ status: 'undelivered, failed,failed', needsReview: 'false', limit: '200' }),
  ).toEqual({ status: ['failed', 'undelivered'], needsReview: false, limit: 200 });
});

test.each([
  [{ limit: '1.5' }, 'limit'],
  [{ limit: '-1' }, 'limit'],
  [{ status: 'failed,' }, 'status'],
  [{ needsReview: 'TRUE' }, 'needsReview'],
  [{ appointmentId: '' }, 'appointmentId'],
  [{ direction: ['inbound', 'outbound'] }, 'direction'],
])('%j is refused at %s', (query, path) => {
  const result = messageLogQuerySchema.safeParse(query);
  expect(result.success).toBe(false);
  expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual([path]);
});
