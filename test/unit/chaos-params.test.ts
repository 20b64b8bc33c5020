import { defaultParams, parseArgs, UsageError } from '../../bench/chaos/params';

test('--reminder-minutes moves both reminders before the start, and the run waits that much longer', () => {
  const params = parseArgs(['--reminder-minutes', '12', '--appointments', '300']);
  expect(params.reminders).toEqual(['PT12M', 'PT11M']);
  expect(params.timeoutMs).toBe(defaultParams(300).timeoutMs + 10 * 60_000);
  expect(parseArgs(['--reminder-minutes', '12', '--timeout-minutes', '40']).timeoutMs).toBe(40 * 60_000);
});

test('--reminder-minutes below 2, or not whole, is refused in one line', () => {
  expect(() => parseArgs(['--reminder-minutes', '1'])).toThrow(UsageError);
  expect(() => parseArgs(['--reminder-minutes', '2.5'])).toThrow(
    '--reminder-minutes must be a whole number, 2 or more',
  );
});
