import { DateTime } from 'luxon';
import { quietHoursSchema } from '../../domain/fields';
import { DEFAULT_QUIET_HOURS, applyQuietHours, type QuietHours } from '../../domain/quiet-hours';

const ROME = 'Europe/Rome';
const NEW_YORK = 'America/New_York';
const longBefore = new Date('2026-01-01T00:00:00Z');

function apply(
  due: string,
  options: { now?: string; deadline?: string | null; quietHours?: QuietHours | null; timeZone?: string } = {},
) {
  return applyQuietHours(new Date(due), {
    quietHours: options.quietHours === undefined ? DEFAULT_QUIET_HOURS : options.quietHours,
    timeZone: options.timeZone ?? ROME,
    now: options.now ? new Date(options.now) : longBefore,
    deadline: options.deadline ? new Date(options.deadline) : null,
  });
}

/** The instant and the wall time a client's phone shows, so both halves of a DST answer are asserted. */
function sentAt(decision: ReturnType<typeof applyQuietHours>, zone = ROME): [string, string] {
  if (!('sendAt' in decision)) throw new Error(`expected a send time, got ${JSON.stringify(decision)}`);
  return [
    decision.sendAt.toISOString(),
    DateTime.fromJSDate(decision.sendAt, { zone }).toFormat('yyyy-MM-dd HH:mm ZZ'),
  ];
}

describe('outside quiet hours', () => {
  test('a due time outside the window is kept, to the millisecond', () => {
    expect(sentAt(apply('2026-12-01T09:00:00Z'))).toEqual(['2026-12-01T09:00:00.000Z', '2026-12-01 10:00 +01:00']);
    // 20:59:59 local is the last allowed second; 08:00 local is the first one after the night.
    expect(sentAt(apply('2026-12-01T19:59:59Z'))[0]).toBe('2026-12-01T19:59:59.000Z');
    expect(sentAt(apply('2026-12-02T07:00:00Z'))[0]).toBe('2026-12-02T07:00:00.000Z');
  });

  test('a due time in the past means now', () => {
    expect(sentAt(apply('2026-12-01T08:00:00Z', { now: '2026-12-01T09:15:00Z' }))[0]).toBe('2026-12-01T09:15:00.000Z');
  });

  test('null quiet hours leave every time alone, even 03:00 (a past due still means now)', () => {
    expect(sentAt(apply('2026-12-02T02:00:00Z', { quietHours: null }))[0]).toBe('2026-12-02T02:00:00.000Z');
    expect(sentAt(apply('2026-12-02T01:00:00Z', { quietHours: null, now: '2026-12-02T02:00:00Z' }))[0]).toBe(
      '2026-12-02T02:00:00.000Z',
    );
  });

  test('a time outside the window is kept even at or after the deadline: the deadline bounds only a move', () => {
    expect(sentAt(apply('2026-12-01T09:00:00Z', { deadline: '2026-12-01T09:00:00Z' }))[0]).toBe(
      '2026-12-01T09:00:00.000Z',
    );
  });
});

describe('inside a window crossing midnight (21:00-08:00)', () => {
  test('21:00 itself is quiet: it moves to 20:59 the same evening', () => {
    expect(sentAt(apply('2026-12-01T20:00:00Z'))).toEqual(['2026-12-01T19:59:00.000Z', '2026-12-01 20:59 +01:00']);
  });

  test('before midnight, it moves back to 20:59 the same evening', () => {
    expect(sentAt(apply('2026-12-01T21:30:00Z'))).toEqual(['2026-12-01T19:59:00.000Z', '2026-12-01 20:59 +01:00']);
  });

  test('after midnight, it moves back to 20:59 the evening before', () => {
    expect(sentAt(apply('2026-12-02T05:30:00Z'))).toEqual(['2026-12-01T19:59:00.000Z', '2026-12-01 20:59 +01:00']);
    expect(sentAt(apply('2026-12-02T06:59:59Z'))[0]).toBe('2026-12-01T19:59:00.000Z');
  });

  test('when 20:59 has passed, it moves forward to 08:00, from before and from after midnight', () => {
    const beforeMidnight = apply('2026-12-01T22:00:00Z', { now: '2026-12-01T21:00:00Z' });
    expect(sentAt(beforeMidnight)).toEqual(['2026-12-02T07:00:00.000Z', '2026-12-02 08:00 +01:00']);
    const afterMidnight = apply('2026-12-02T05:00:00Z', { now: '2026-12-02T01:00:00Z' });
    expect(sentAt(afterMidnight)).toEqual(['2026-12-02T07:00:00.000Z', '2026-12-02 08:00 +01:00']);
  });

  test('20:59 exactly now is still allowed; a second later it has passed', () => {
    expect(sentAt(apply('2026-12-01T22:00:00Z', { now: '2026-12-01T19:59:00Z' }))[0]).toBe('2026-12-01T19:59:00.000Z');
    expect(sentAt(apply('2026-12-01T22:00:00Z', { now: '2026-12-01T19:59:01Z' }))[0]).toBe('2026-12-02T07:00:00.000Z');
  });

  test('a due time in the past while now is quiet goes to the next allowed time', () => {
    expect(sentAt(apply('2026-12-01T10:00:00Z', { now: '2026-12-01T23:00:00Z' }))[0]).toBe('2026-12-02T07:00:00.000Z');
  });

  test('the next allowed time must be strictly before the deadline, else the message is skipped', () => {
    const options = { now: '2026-12-01T23:00:00Z' };
    expect(apply('2026-12-02T05:00:00Z', { ...options, deadline: '2026-12-02T07:00:00Z' })).toEqual({
      skipped: 'quiet_hours_passed',
    });
    expect(apply('2026-12-02T05:00:00Z', { ...options, deadline: '2026-12-02T06:30:00Z' })).toEqual({
      skipped: 'quiet_hours_passed',
    });
    expect(sentAt(apply('2026-12-02T05:00:00Z', { ...options, deadline: '2026-12-02T07:01:00Z' }))[0]).toBe(
      '2026-12-02T07:00:00.000Z',
    );
  });
});

describe('a window within one day (12:00-14:00)', () => {
  const lunch = { start: '12:00', end: '14:00' };

  test('inside moves back to 11:59, or forward to 14:00 once 11:59 has passed; the edges are 11:59 and 14:00', () => {
    expect(sentAt(apply('2026-12-01T12:00:00Z', { quietHours: lunch }))).toEqual([
      '2026-12-01T10:59:00.000Z',
      '2026-12-01 11:59 +01:00',
    ]);
    const passed = apply('2026-12-01T12:30:00Z', { quietHours: lunch, now: '2026-12-01T11:30:00Z' });
    expect(sentAt(passed)).toEqual(['2026-12-01T13:00:00.000Z', '2026-12-01 14:00 +01:00']);
    expect(sentAt(apply('2026-12-01T10:59:00Z', { quietHours: lunch }))[0]).toBe('2026-12-01T10:59:00.000Z');
    expect(sentAt(apply('2026-12-01T13:00:00Z', { quietHours: lunch }))[0]).toBe('2026-12-01T13:00:00.000Z');
  });

  test('the evening and the night are allowed', () => {
    expect(sentAt(apply('2026-12-01T22:00:00Z', { quietHours: lunch }))[0]).toBe('2026-12-01T22:00:00.000Z');
  });
});

describe('across DST changes, the move lands on the right local wall time', () => {
  // Europe/Rome: +01:00 -> +02:00 at 02:00 on 2026-03-29; +02:00 -> +01:00 at 03:00 on 2026-10-25.
  // America/New_York: -05:00 -> -04:00 at 02:00 on 2026-03-08; -04:00 -> -05:00 at 02:00 on 2026-11-01.
  test('Europe/Rome, spring forward: back to 20:59 winter time, or forward to 08:00 summer time', () => {
    expect(sentAt(apply('2026-03-29T04:30:00Z'))).toEqual(['2026-03-28T19:59:00.000Z', '2026-03-28 20:59 +01:00']);
    expect(sentAt(apply('2026-03-29T04:30:00Z', { now: '2026-03-29T00:00:00Z' }))).toEqual([
      '2026-03-29T06:00:00.000Z',
      '2026-03-29 08:00 +02:00',
    ]);
  });

  test('Europe/Rome, fall back: back to 20:59 summer time, or forward to 08:00 winter time', () => {
    expect(sentAt(apply('2026-10-25T06:00:00Z'))).toEqual(['2026-10-24T18:59:00.000Z', '2026-10-24 20:59 +02:00']);
    expect(sentAt(apply('2026-10-25T06:00:00Z', { now: '2026-10-25T00:30:00Z' }))).toEqual([
      '2026-10-25T07:00:00.000Z',
      '2026-10-25 08:00 +01:00',
    ]);
  });

  test('America/New_York, spring forward', () => {
    const zone = NEW_YORK;
    expect(sentAt(apply('2026-03-08T11:00:00Z', { timeZone: zone }), zone)).toEqual([
      '2026-03-08T01:59:00.000Z',
      '2026-03-07 20:59 -05:00',
    ]);
    expect(sentAt(apply('2026-03-08T11:00:00Z', { timeZone: zone, now: '2026-03-08T06:00:00Z' }), zone)).toEqual([
      '2026-03-08T12:00:00.000Z',
      '2026-03-08 08:00 -04:00',
    ]);
  });

  test('America/New_York, fall back', () => {
    const zone = NEW_YORK;
    expect(sentAt(apply('2026-11-01T12:00:00Z', { timeZone: zone }), zone)).toEqual([
      '2026-11-01T00:59:00.000Z',
      '2026-10-31 20:59 -04:00',
    ]);
    expect(sentAt(apply('2026-11-01T12:00:00Z', { timeZone: zone, now: '2026-11-01T06:30:00Z' }), zone)).toEqual([
      '2026-11-01T13:00:00.000Z',
      '2026-11-01 08:00 -05:00',
    ]);
  });

  test('an end the clock skips (02:30 on a spring-forward night in Rome) ends the window when the clock jumps: 03:00', () => {
    const night = { start: '22:00', end: '02:30' };
    const moved = apply('2026-03-29T00:45:00Z', { quietHours: night, now: '2026-03-29T00:30:00Z' });
    expect(sentAt(moved)).toEqual(['2026-03-29T01:00:00.000Z', '2026-03-29 03:00 +02:00']);
    // 03:10 on the wall is after 02:30: allowed.
    expect(sentAt(apply('2026-03-29T01:10:00Z', { quietHours: night }))[0]).toBe('2026-03-29T01:10:00.000Z');
  });

  test('a start the clock skips (02:30) starts the window when the clock jumps: the minute before is 01:59 winter time', () => {
    const early = { start: '02:30', end: '06:00' };
    expect(sentAt(apply('2026-03-29T03:00:00Z', { quietHours: early }))).toEqual([
      '2026-03-29T00:59:00.000Z',
      '2026-03-29 01:59 +01:00',
    ]);
    expect(sentAt(apply('2026-03-29T00:59:59Z', { quietHours: early }))[0]).toBe('2026-03-29T00:59:59.000Z');
  });

  test('a time the clock shows twice (01:30 in New York on fall-back night): quiet starts at the first, ends at the second', () => {
    const zone = NEW_YORK;
    // 01:30 EDT is 05:30Z; 01:30 EST is 06:30Z.
    const endsAt130 = { start: '22:00', end: '01:30' };
    const secondPass = apply('2026-11-01T06:15:00Z', {
      quietHours: endsAt130,
      timeZone: zone,
      now: '2026-11-01T06:00:00Z',
    });
    expect(sentAt(secondPass, zone)).toEqual(['2026-11-01T06:30:00.000Z', '2026-11-01 01:30 -05:00']);
    const firstPass = apply('2026-11-01T05:45:00Z', {
      quietHours: endsAt130,
      timeZone: zone,
      now: '2026-11-01T05:40:00Z',
    });
    expect(sentAt(firstPass, zone)[0]).toBe('2026-11-01T06:30:00.000Z');

    const startsAt130 = { start: '01:30', end: '06:00' };
    expect(sentAt(apply('2026-11-01T09:00:00Z', { quietHours: startsAt130, timeZone: zone }), zone)).toEqual([
      '2026-11-01T05:29:00.000Z',
      '2026-11-01 01:29 -04:00',
    ]);
    expect(sentAt(apply('2026-11-01T06:20:00Z', { quietHours: startsAt130, timeZone: zone }), zone)[0]).toBe(
      '2026-11-01T05:29:00.000Z',
    );
  });

  test('a move never lands inside quiet hours, even when DST swallows the only open minute of a night', () => {
    // Open only 02:00-02:01 each night; on 2026-03-29 Rome's clock skips both, so two nights are one window.
    const almostAlways = { start: '02:01', end: '02:00' };
    const moved = apply('2026-03-29T10:00:00Z', { quietHours: almostAlways });
    expect(sentAt(moved)).toEqual(['2026-03-28T01:00:00.000Z', '2026-03-28 02:00 +01:00']);
  });
});

describe('quietHoursSchema', () => {
  test('accepts a window, one crossing midnight, and null for off', () => {
    expect(quietHoursSchema.parse({ start: '21:00', end: '08:00' })).toEqual({ start: '21:00', end: '08:00' });
    expect(quietHoursSchema.parse({ start: '00:00', end: '23:59' })).toEqual({ start: '00:00', end: '23:59' });
    expect(quietHoursSchema.parse(null)).toBeNull();
  });

  test.each([
    [{ start: '9:00', end: '08:00' }, 'start', 'HH:MM'],
    [{ start: '24:00', end: '08:00' }, 'start', 'HH:MM'],
    [{ start: '21:60', end: '08:00' }, 'start', 'HH:MM'],
    [{ start: '21:00', end: '08:00:00' }, 'end', 'HH:MM'],
    [{ start: '21:00', end: 800 }, 'end', ''],
    [{ start: '21:00' }, 'end', ''],
  ])('refuses %j naming the field', (value, field, message) => {
    const result = quietHoursSchema.safeParse(value);
    expect(result.success).toBe(false);
    expect(result.error!.issues[0].path).toEqual([field]);
    expect(result.error!.issues[0].message).toContain(message);
  });

  test('refuses equal start and end, unknown keys, and an absent value', () => {
    expect(quietHoursSchema.safeParse({ start: '08:00', end: '08:00' }).error!.issues[0].message).toBe(
      'start and end must differ',
    );
    expect(quietHoursSchema.safeParse({ start: '21:00', end: '08:00', zone: 'Europe/Rome' }).success).toBe(false);
    expect(quietHoursSchema.safeParse(undefined).success).toBe(false);
  });
});

test('an unknown time zone is a programming error, not a silent guess', () => {
  expect(() => apply('2026-12-01T09:00:00Z', { timeZone: 'Mars/Olympus' })).toThrow(RangeError);
});
