import twilio from 'twilio';
import { GatewayError } from '../../gateways/message-gateway';
import { classifyTwilioError, explainTwilioErrorCode } from '../../gateways/twilio-errors';
import { match } from '../support/matchers';

/** What the SDK throws when Twilio answers with an error status. */
function restException(statusCode: number, body: unknown): unknown {
  return new twilio.RestException({ statusCode, body });
}

function twilioError(statusCode: number, code: number, message: string): unknown {
  return restException(statusCode, {
    code,
    message,
    more_info: `https://www.twilio.com/docs/errors/${code}`,
    status: statusCode,
  });
}

describe('classifyTwilioError', () => {
  it.each([
    [21211, "The client's phone number is not a valid phone number."],
    [21614, "The client's phone number is not a valid mobile number (it may be a landline)."],
    [21610, "The client replied STOP to the practice's number and has unsubscribed from its text messages."],
  ])('treats %i as permanent with a staff-facing explanation', (code, explanation) => {
    const classified = classifyTwilioError(twilioError(400, code, 'Twilio wording'));
    expect(classified).toBeInstanceOf(GatewayError);
    expect(classified).toMatchObject({
      code: String(code),
      permanent: true,
      explanation,
      httpStatus: 400,
      message: 'Twilio wording',
    });
  });

  it.each([21612, 21408, 21606, 21617, 21659, 21660, 21661, 21608, 21635, 21705])(
    'treats sender, destination and body problem %i as permanent',
    (code) => {
      const classified = classifyTwilioError(twilioError(400, code, 'x'));
      expect(classified.permanent).toBe(true);
      expect(classified.explanation).toBe(explainTwilioErrorCode(code));
    },
  );

  it('treats rejected credentials (20003) as permanent', () => {
    expect(classifyTwilioError(twilioError(401, 20003, 'Authenticate'))).toMatchObject({
      code: '20003',
      permanent: true,
      httpStatus: 401,
      explanation: match.stringContaining('TWILIO_AUTH_TOKEN'),
    });
  });

  it('treats rate limiting as transient, with or without a Twilio code', () => {
    expect(classifyTwilioError(twilioError(429, 20429, 'Too Many Requests'))).toMatchObject({
      code: '20429',
      permanent: false,
    });
    expect(classifyTwilioError(restException(429, ''))).toMatchObject({ code: 'HTTP_429', permanent: false });
  });

  it('treats 5xx as transient, even with a non-JSON body', () => {
    expect(classifyTwilioError(twilioError(500, 20500, 'Internal Server Error'))).toMatchObject({
      code: '20500',
      permanent: false,
    });
    expect(classifyTwilioError(restException(502, '<html>Bad Gateway</html>'))).toMatchObject({
      code: 'HTTP_502',
      permanent: false,
      httpStatus: 502,
    });
    expect(classifyTwilioError(twilioError(503, 99999, 'Unavailable')).permanent).toBe(false);
  });

  it('treats a queue overflow on the sender (21611) as transient although Twilio says 400', () => {
    expect(classifyTwilioError(twilioError(400, 21611, 'Queue full')).permanent).toBe(false);
  });

  it("treats an unknown 4xx as permanent and passes on Twilio's message", () => {
    expect(classifyTwilioError(twilioError(400, 21999, 'Something new'))).toMatchObject({
      code: '21999',
      permanent: true,
      explanation: 'Twilio refused the message: Something new',
    });
  });

  it.each(['ECONNREFUSED', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN'])(
    'treats a %s network error as transient',
    (code) => {
      const classified = classifyTwilioError(Object.assign(new Error(`connect ${code}`), { code }));
      expect(classified).toMatchObject({ code, permanent: false });
      expect(classified.httpStatus).toBeUndefined();
    },
  );

  it('treats any failure the HTTP client flags as "no answer" as transient', () => {
    // The shape axios (inside the SDK) gives transport failures; the gateway tests
    // produce real ones against the fake server.
    const axiosFailure = (message: string, code: string): Error =>
      Object.assign(new Error(message), { isAxiosError: true, code });
    expect(classifyTwilioError(axiosFailure('timeout of 30000ms exceeded', 'ECONNABORTED'))).toMatchObject({
      code: 'ECONNABORTED',
      permanent: false,
    });
    expect(classifyTwilioError(axiosFailure('self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT')).permanent).toBe(
      false,
    );
  });

  describe('whether Twilio may have taken the message', () => {
    it.each([
      ['a 5xx', twilioError(500, 20500, 'Internal Server Error')],
      ['a 5xx without a body', restException(502, '<html>Bad Gateway</html>')],
      ['a 408 (a proxy may have passed the request on)', restException(408, '')],
      [
        'a timeout',
        Object.assign(new Error('timeout of 10000ms exceeded'), { isAxiosError: true, code: 'ECONNABORTED' }),
      ],
      ['a reset connection', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
      ['an aborted answer', Object.assign(new Error('canceled'), { isAxiosError: true, code: 'ERR_CANCELED' })],
      ['an unexpected error', new TypeError('Cannot read properties of undefined')],
    ])('may have, after %s', (_, err) => {
      expect(classifyTwilioError(err).maybeAccepted).toBe(true);
    });

    it.each([
      ['a 4xx verdict', twilioError(400, 21211, 'bad')],
      ['a rate limit', twilioError(429, 20429, 'Too Many Requests')],
      ['a full sender queue', twilioError(400, 21611, 'Queue full')],
      ['a refused connection', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
      ['no DNS answer', Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' })],
      ['a DNS timeout', Object.assign(new Error('getaddrinfo EAI_AGAIN'), { code: 'EAI_AGAIN' })],
    ])('has not, after %s', (_, err) => {
      expect(classifyTwilioError(err).maybeAccepted).toBe(false);
    });
  });

  it('treats a programming error as permanent', () => {
    expect(classifyTwilioError(new TypeError('Required parameter "params[\'to\']" missing.'))).toMatchObject({
      code: 'UNEXPECTED',
      permanent: true,
    });
  });

  it('returns an GatewayError unchanged', () => {
    const original = new GatewayError({ code: '21610', permanent: true, explanation: 'x' });
    expect(classifyTwilioError(original)).toBe(original);
  });

  it('keeps the original error as the cause', () => {
    const original = twilioError(400, 21211, 'bad');
    expect(classifyTwilioError(original).cause).toBe(original);
  });
});

describe('explainTwilioErrorCode', () => {
  it('explains delivery failures from status callbacks, given as strings', () => {
    expect(explainTwilioErrorCode('30003')).toMatch(/unreachable/);
    expect(explainTwilioErrorCode(30007)).toMatch(/filtered/);
  });

  it('returns undefined for codes it does not know', () => {
    expect(explainTwilioErrorCode(12345)).toBeUndefined();
  });
});
