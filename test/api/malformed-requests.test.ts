import type { Problem } from '../support/system';
import { useTestSystem } from '../support/system';

// No input, however malformed, gets a 5xx: each of these was a 500 (issue 8, item 15).

const system = useTestSystem({ worker: false });

test.each([
  ['a lone surrogate in an appointment id', 'PATCH', '/v1/appointments/%ED%A0%80'],
  ['a cut percent-encoding', 'GET', '/v1/appointments/%E0%A4%A'],
])('%s in the path is a 400 problem', async (_what, method, path) => {
  const res = await system().api<Problem>(method, path, method === 'PATCH' ? { location: 'x' } : undefined);
  expect(res.status).toBe(400);
  expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
  expect(res.body.title).toBeTruthy();
});

test('a JSON body in a charset the API does not read is a 415 problem', async () => {
  const res = await system().api<Problem>('POST', '/v1/appointments', undefined, {
    rawBody: '{}',
    contentType: 'application/json; charset=koi8-r',
  });
  expect(res.status).toBe(415);
  expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
});

test('an inbound webhook claiming a billion media is refused with a 400, and nothing is logged', async () => {
  const res = await system().inboundSms({ From: '+393471234567', Body: 'pic', NumMedia: '1000000000' });
  expect(res.status).toBe(400);
  expect(await system().prisma.message.count()).toBe(0);
});
