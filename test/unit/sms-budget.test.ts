import { usageMonth } from '../../domain/sms-budget';

test("the budget month is the practice's calendar month, not UTC's", () => {
  // 23:30 UTC on 30 November is already 1 December in Rome, and still 30 November in New York.
  const at = new Date('2026-11-30T23:30:00Z');
  expect(usageMonth(at, 'Europe/Rome')).toBe('2026-12');
  expect(usageMonth(at, 'UTC')).toBe('2026-11');
  expect(usageMonth(new Date('2027-01-01T04:59:59Z'), 'America/New_York')).toBe('2026-12');
  expect(usageMonth(new Date('2027-01-01T05:00:00Z'), 'America/New_York')).toBe('2027-01');
});

test('an unknown time zone is an error, never a silent UTC month', () => {
  expect(() => usageMonth(new Date('2026-11-30T23:30:00Z'), 'Mars/Olympus')).toThrow(RangeError);
});
