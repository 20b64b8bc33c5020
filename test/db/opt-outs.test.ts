import { isOptedOut, recordOptIn, recordOptOut } from '../../db/opt-outs';
import { createPractice } from '../../services/practices';
import { useTestDatabase } from '../support/postgres';

// Opt-out bookkeeping follows the order in which keywords were received, not the order in
// which they are recorded: an older STOP or START never overrides a newer state.

const db = useTestDatabase('opt_outs');

beforeAll(async () => {
  await createPractice(db.prisma, { id: 'clinic', name: 'Clinic', smsFrom: '+15005550006', timeZone: 'Europe/Rome' });
});

const at = (minute: number) => new Date(Date.UTC(2026, 10, 1, 9, minute));

test('a START received before the current opt-out leaves the number opted out', async () => {
  const phone = '+393471119001';
  await recordOptOut(db.prisma, 'clinic', phone, 'STOP', at(10));
  await recordOptIn(db.prisma, 'clinic', phone, 'START', at(5));
  expect(await isOptedOut(db.prisma, 'clinic', phone)).toBe(true);
  expect(await db.prisma.optOut.findFirstOrThrow({ where: { phone } })).toMatchObject({
    optedOutAt: at(10),
    optedInAt: null,
  });
});

test('a STOP received before the latest opt-in leaves the number opted in', async () => {
  const phone = '+393471119002';
  await recordOptOut(db.prisma, 'clinic', phone, 'STOP', at(10));
  await recordOptIn(db.prisma, 'clinic', phone, 'START', at(20));
  await recordOptOut(db.prisma, 'clinic', phone, 'QUIT', at(15));
  expect(await isOptedOut(db.prisma, 'clinic', phone)).toBe(false);
  expect(await db.prisma.optOut.count({ where: { phone } })).toBe(1);
});

test('in order, STOP, START and STOP again leave two periods, the second one open', async () => {
  const phone = '+393471119003';
  await recordOptOut(db.prisma, 'clinic', phone, 'STOP', at(10));
  await recordOptIn(db.prisma, 'clinic', phone, 'START', at(20));
  await recordOptOut(db.prisma, 'clinic', phone, 'END', at(30));
  const periods = await db.prisma.optOut.findMany({ where: { phone }, orderBy: { optedOutAt: 'asc' } });
  expect(periods.map((p) => [p.keyword, p.optedOutAt, p.optInKeyword, p.optedInAt])).toEqual([
    ['STOP', at(10), 'START', at(20)],
    ['END', at(30), null, null],
  ]);
});
