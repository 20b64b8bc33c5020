import { ResponseError } from '@sendgrid/helpers/classes';
import { GatewayError } from '../../gateways/message-gateway';
import { classifySendGridError } from '../../gateways/sendgrid-errors';
import { match } from '../support/matchers';

/** What @sendgrid/client rejects with when SendGrid answers 4xx/5xx (it wraps axios's response). */
function sendGridAnswer(status: number, data: unknown, statusText = 'Error'): ResponseError {
  const ResponseErrorClass = ResponseError as unknown as new (response: {
    status: number;
    statusText: string;
    headers: Record<string, string>;
    data: unknown;
  }) => ResponseError;
  return new ResponseErrorClass({ status, statusText, headers: {}, data });
}

function sendGridError(status: number, message: string, field: string | null = null): ResponseError {
  return sendGridAnswer(status, { errors: [{ message, field, help: null }] });
}

function networkError(code: string, fromAxios = false): Error {
  return Object.assign(new Error(`request failed: ${code}`), fromAxios ? { code, isAxiosError: true } : { code });
}

describe('classifySendGridError', () => {
  describe('400: SendGrid refused the email itself', () => {
    it.each([
      [
        'personalizations.0.to.0.email',
        'Does not contain a valid address.',
        "SendGrid refused the recipient's email address: Does not contain a valid address.",
      ],
      [
        'from.email',
        'The from email does not contain a valid address.',
        "SendGrid refused the practice's sender address: The from email does not contain a valid address.",
      ],
      [
        'content.0.value',
        'The content value must be a string at least one character in length.',
        "SendGrid refused the email's content: The content value must be a string at least one character in length.",
      ],
      ['subject', 'The subject is required.', "SendGrid refused the email's content: The subject is required."],
      [null, 'Bad Request', 'SendGrid refused the email: Bad Request'],
    ])('is permanent, never accepted, and names what was wrong (field %s)', (field, message, explanation) => {
      const classified = classifySendGridError(sendGridError(400, message, field));
      expect(classified).toBeInstanceOf(GatewayError);
      expect(classified).toMatchObject({
        code: 'HTTP_400',
        permanent: true,
        maybeAccepted: false,
        httpStatus: 400,
        explanation,
        message: match.stringContaining(message),
      });
    });

    it("names SendGrid's first error when it lists several", () => {
      const err = sendGridAnswer(400, {
        errors: [
          { message: 'Does not contain a valid address.', field: 'personalizations.0.to.0.email' },
          { message: 'The subject is required.', field: 'subject' },
        ],
      });
      expect(classifySendGridError(err).explanation).toBe(
        "SendGrid refused the recipient's email address: Does not contain a valid address.",
      );
    });

    it('still explains an answer without SendGrid’s error list', () => {
      expect(classifySendGridError(sendGridAnswer(400, '<html>Bad Request</html>', 'Bad Request'))).toMatchObject({
        code: 'HTTP_400',
        permanent: true,
        explanation: 'SendGrid refused the email: Bad Request',
      });
    });
  });

  it('treats a rejected key (401) as permanent and points at SENDGRID_API_KEY', () => {
    const err = sendGridError(401, 'The provided authorization grant is invalid, expired, or revoked');
    expect(classifySendGridError(err)).toMatchObject({
      code: 'HTTP_401',
      permanent: true,
      maybeAccepted: false,
      httpStatus: 401,
      explanation: match.stringContaining('check SENDGRID_API_KEY'),
    });
  });

  it('treats a key without the permission (403) as permanent and points at SENDGRID_API_KEY', () => {
    expect(classifySendGridError(sendGridError(403, 'access forbidden'))).toMatchObject({
      code: 'HTTP_403',
      permanent: true,
      maybeAccepted: false,
      explanation: match.stringContaining('check SENDGRID_API_KEY'),
    });
  });

  it('says so when the 403 is about an unverified sender, not the key', () => {
    const err = sendGridError(
      403,
      'The from address does not match a verified Sender Identity. Mail cannot be sent until this error is resolved.',
      'from',
    );
    expect(classifySendGridError(err)).toMatchObject({
      code: 'HTTP_403',
      permanent: true,
      explanation: match.stringContaining("The practice's sender address is not a verified Sender Identity"),
    });
  });

  it('treats a too-large email (413) as permanent: the same email is as large next time', () => {
    expect(classifySendGridError(sendGridError(413, 'Payload Too Large'))).toMatchObject({
      code: 'HTTP_413',
      permanent: true,
      maybeAccepted: false,
    });
  });

  it('treats rate limiting (429) as transient, and as not accepted', () => {
    expect(classifySendGridError(sendGridError(429, 'too many requests'))).toMatchObject({
      code: 'HTTP_429',
      permanent: false,
      maybeAccepted: false,
      httpStatus: 429,
    });
  });

  it.each([500, 502, 503, 504])('treats %i as transient, and as possibly accepted', (status) => {
    expect(classifySendGridError(sendGridAnswer(status, '<html>oops</html>'))).toMatchObject({
      code: `HTTP_${status}`,
      permanent: false,
      maybeAccepted: true,
      httpStatus: status,
    });
  });

  it('treats a 408 (a proxy may have passed the request on) as transient, and as possibly accepted', () => {
    expect(classifySendGridError(sendGridAnswer(408, ''))).toMatchObject({ permanent: false, maybeAccepted: true });
  });

  it('treats another 4xx (e.g. a wrong SENDGRID_API_BASE_URL) as permanent', () => {
    expect(classifySendGridError(sendGridError(404, 'Not Found'))).toMatchObject({
      code: 'HTTP_404',
      permanent: true,
      maybeAccepted: false,
      explanation: 'SendGrid refused the email (HTTP 404): Not Found',
    });
  });

  describe('network failures', () => {
    it.each(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN'])(
      'treat %s (the request never left) as transient and not accepted',
      (code) => {
        const classified = classifySendGridError(networkError(code));
        expect(classified).toMatchObject({ code, permanent: false, maybeAccepted: false });
        expect(classified.httpStatus).toBeUndefined();
      },
    );

    it.each([
      ['a reset connection', networkError('ECONNRESET')],
      ['a socket timeout', networkError('ETIMEDOUT')],
      ['an answer cut off by our deadline', networkError('ERR_CANCELED', true)],
      ['any other failure axios reports as "no answer"', networkError('DEPTH_ZERO_SELF_SIGNED_CERT', true)],
    ])('treat %s as transient and possibly accepted', (_, err) => {
      expect(classifySendGridError(err)).toMatchObject({ permanent: false, maybeAccepted: true });
    });
  });

  it('treats anything else (a bug, or the SDK refusing our data) as permanent and UNEXPECTED', () => {
    expect(classifySendGridError(new Error('Provide at least one of to, cc or bcc'))).toMatchObject({
      code: 'UNEXPECTED',
      permanent: true,
      explanation: 'Sending failed unexpectedly: Provide at least one of to, cc or bcc',
    });
    expect(classifySendGridError(new TypeError('x is undefined')).code).toBe('UNEXPECTED');
  });

  it('returns a GatewayError unchanged and keeps the original error as the cause', () => {
    const original = new GatewayError({ code: 'X', permanent: true, explanation: 'x' });
    expect(classifySendGridError(original)).toBe(original);
    const answer = sendGridError(400, 'bad');
    expect(classifySendGridError(answer).cause).toBe(answer);
  });
});
