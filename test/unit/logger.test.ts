import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import express, { Router } from 'express';
import { HttpProblem, notFoundRoute, problemHandler } from '../../api/problem';
import { requestIdFor, requestLog } from '../../api/request-log';
import { captureRouteTemplate } from '../../api/route-template';
import { createLogger, withoutPayloads } from '../../lib/logger';
import { match } from '../support/matchers';

// The redaction every log line goes through (lib/logger.ts), on a pino instance writing to a
// buffer: what a reader of the JSON lines would see.

const PHONE = '+393471239876';
const EMAIL = 'ottavia.zanardelli@example.org';

function capture(level = 'trace') {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  const log = createLogger(level, destination);
  const parsed = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { log, text: () => lines.join(''), parsed };
}

describe('createLogger', () => {
  it('masks fields named like personal data, at the top and nested, keeping a hint of each', () => {
    const { log, text, parsed } = capture();
    log.info(
      {
        to: PHONE,
        from: EMAIL,
        client: { name: 'Ottavia Zanardelli', phone: PHONE, email: EMAIL },
        message: { sms: { body: 'Ciao Ottavia, a domani' } },
        req: { headers: { authorization: 'Bearer key_123', cookie: 'session=1', 'set-cookie': 'a=b' } },
        subject: 'Promemoria per Ottavia',
        token: 'signed.token',
      },
      'sent',
    );
    expect(parsed()[0]).toMatchObject({
      to: '+39•••••••876',
      from: 'o•••@e•••.org',
      client: { name: 'O. Z.', phone: '+39•••••••876', email: 'o•••@e•••.org' },
      message: { sms: { body: '[22 chars]' } },
      req: { headers: { authorization: '[Redacted]', cookie: '[Redacted]', 'set-cookie': '[Redacted]' } },
      subject: '[22 chars]',
      token: '[Redacted]',
      msg: 'sent',
    });
    expect(text()).not.toMatch(/Ottavia|Zanardelli|3471239876|key_123/);
  });

  it('masks phone numbers and email addresses quoted in messages and in any field, nested too', () => {
    const { log, text } = capture();
    log.warn(`could not reach ${PHONE} or ${EMAIL}`);
    log.warn({ detail: { a: { b: { c: `The 'To' number +39 347 123 9876 is not valid` } } } }, 'deep');
    log.warn({ list: [{ explanation: `write to ${EMAIL}` }] }, 'list');
    expect(text()).toContain('could not reach +39•••••••876 or o•••@e•••.org');
    expect(text()).toContain("The 'To' number +39•••••••876 is not valid");
    expect(text()).not.toMatch(/3471239876|347 123 9876|zanardelli/);
  });

  it('writes errors with their message, causes and stack, masked, under err or any other name', () => {
    const { log, text, parsed } = capture();
    const failure = new Error(`The 'To' number ${PHONE} is not a valid phone number.`, {
      cause: new Error(`bounced: ${EMAIL}`),
    });
    log.error({ err: failure }, 'send failed');
    // The Temporal SDK passes failures as `error`; plain JSON would write `{}`.
    log.warn({ error: failure }, 'Activity failed');
    const [asErr, asError] = parsed();
    expect(asErr.err).toMatchObject({
      type: 'Error',
      message: match.stringContaining("The 'To' number +39•••••••876 is not a valid phone number."),
    });
    expect(asError.error).toMatchObject({ message: match.stringContaining('+39•••••••876') });
    expect(text()).toContain('bounced: o•••@e•••.org');
    expect(text()).not.toMatch(/3471239876|zanardelli/);
  });

  it('leaves lines without personal data as they were', () => {
    const { log, parsed } = capture();
    log.child({ requestId: 'abc-123' }).info({ workflowId: 'appointment/clinic/A-1', status: 201 }, 'GET /v1 200');
    expect(parsed()[0]).toMatchObject({
      requestId: 'abc-123',
      workflowId: 'appointment/clinic/A-1',
      status: 201,
      msg: 'GET /v1 200',
    });
  });
});

describe('withoutPayloads', () => {
  it("shows each Temporal payload as its size, wherever the SDK's trace puts it", () => {
    const data = Buffer.from(JSON.stringify({ client: { phone: PHONE } })).toString('base64');
    const meta = {
      sdkComponent: 'worker',
      jobs: [{ initializeWorkflow: { workflowId: 'w', arguments: [{ metadata: { encoding: 'anNvbg==' }, data }] } }],
      raw: { input: [{ metadata: {}, data: new Uint8Array(5) }] },
    };
    expect(withoutPayloads(meta)).toEqual({
      sdkComponent: 'worker',
      jobs: [
        {
          initializeWorkflow: {
            workflowId: 'w',
            arguments: [`[payload, ${Buffer.from(data, 'base64').length} bytes]`],
          },
        },
      ],
      raw: { input: ['[payload, 5 bytes]'] },
    });
  });
});

describe('requestIdFor', () => {
  it("keeps a caller's plausible request id and makes one for anything else", () => {
    expect(requestIdFor('caller-trace-0001')).toBe('caller-trace-0001');
    expect(requestIdFor(['01HZX3K8Q9', 'second'])).toBe('01HZX3K8Q9');
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    expect(requestIdFor(undefined)).toMatch(uuid);
    for (const unfit of ['', PHONE, EMAIL, 'a'.repeat(129), 'two words', 'line\nbreak', '<script>'])
      expect(requestIdFor(unfit)).toMatch(uuid);
  });
});

describe('the access line names the declared route', () => {
  // The same template as the metrics' route label (api/route-template.ts), also when the route
  // threw and the problem handler at the top answered (Express has reset req.baseUrl by then).
  async function accessLine(path: string, method = 'GET') {
    const { log, parsed } = capture('info');
    const app = express();
    app.use(requestLog(log));
    app.use(captureRouteTemplate);
    const things = Router();
    things.post('/', (_req, res) => {
      res.status(201).json({});
    });
    things.get('/:thingId', () => {
      throw new HttpProblem({ status: 404, title: 'Not found', detail: 'No such thing.' });
    });
    app.use('/v1/things', things);
    app.use(notFoundRoute);
    app.use(problemHandler);
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      await (await fetch(`http://127.0.0.1:${port}${path}`, { method })).text();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    return parsed().find((line) => typeof line.status === 'number');
  }

  test('of a route that threw, with its mount path', async () => {
    expect(await accessLine('/v1/things/t-1')).toMatchObject({ route: '/v1/things/:thingId', status: 404 });
  });

  test("of a router's root, as its mount path", async () => {
    expect(await accessLine('/v1/things', 'POST')).toMatchObject({ route: '/v1/things', status: 201 });
  });
});
