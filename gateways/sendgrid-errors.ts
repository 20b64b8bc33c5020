/**
 * Turns whatever @sendgrid/mail or @sendgrid/client throws into a GatewayError that says
 * whether retrying can help, whether SendGrid may have taken the email, and what practice
 * staff should be told.
 *
 * SendGrid has no error codes of its own: its verdict is the HTTP status, with
 * `{ errors: [{ message, field }] }` naming what was wrong. A 4xx is a verdict on this
 * request (the same request gets the same one), except 429 ("not now"); a 5xx may come after
 * SendGrid queued the email, so the next attempt asks SendGrid (findSent) before sending.
 */
import { GatewayError } from './message-gateway';
import { classifyTransportFailure, errorMessage, numberField, unexpectedFailure } from './transport-errors';

interface SendGridAnswer {
  httpStatus: number;
  /** SendGrid's first error message, or the HTTP status text when the body has none. */
  message: string;
  /** The request field SendGrid blames ("personalizations.0.to.0.email"), if it names one. */
  field: string | undefined;
}

export function classifySendGridError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  const answer = sendGridAnswer(err);
  if (answer) return fromAnswer(err, answer);
  return classifyTransportFailure(err, 'SendGrid') ?? unexpectedFailure(err);
}

/**
 * The client rejects with a ResponseError for every answer of 400 or more: its `code` is the
 * HTTP status (a number; transport errors have string codes) and `response.body` the parsed
 * answer.
 */
function sendGridAnswer(err: unknown): SendGridAnswer | undefined {
  const httpStatus = numberField(err, 'code');
  if (httpStatus === undefined || httpStatus < 400 || httpStatus > 599) return undefined;
  const response = (err as { response?: { body?: unknown } }).response;
  if (typeof response !== 'object' || response === null) return undefined;
  const errors = (response.body as { errors?: unknown } | null | undefined)?.errors;
  const first: unknown = Array.isArray(errors) ? errors[0] : undefined;
  const message = typeof first === 'object' && first !== null ? (first as { message?: unknown }).message : undefined;
  const field = typeof first === 'object' && first !== null ? (first as { field?: unknown }).field : undefined;
  return {
    httpStatus,
    message: typeof message === 'string' && message !== '' ? message : errorMessage(err),
    field: typeof field === 'string' && field !== '' ? field : undefined,
  };
}

function fromAnswer(err: unknown, { httpStatus, message, field }: SendGridAnswer): GatewayError {
  const base = { code: `HTTP_${httpStatus}`, message, httpStatus, cause: err };
  if (httpStatus === 429 || httpStatus === 408 || httpStatus >= 500) {
    return new GatewayError({
      ...base,
      permanent: false,
      // A rate limit refuses the request; a 408 may come from a proxy that had passed it on.
      maybeAccepted: httpStatus !== 429,
      explanation: `SendGrid is temporarily unable to take the email (HTTP ${httpStatus}); it will be retried.`,
    });
  }
  return new GatewayError({
    ...base,
    permanent: true,
    maybeAccepted: false,
    explanation: verdict(httpStatus, message, field),
  });
}

function verdict(httpStatus: number, message: string, field: string | undefined): string {
  switch (httpStatus) {
    case 400:
      return `SendGrid refused ${blamed(field)}: ${message}`;
    case 401:
      return `SendGrid rejected the API key (${message}): check SENDGRID_API_KEY.`;
    case 403:
      // SendGrid answers 403 both for a key without the Mail Send permission and for a sender
      // address that is not a verified Sender Identity; staff fix them in different places.
      if (field === 'from' || /sender identity/i.test(message)) {
        return `The practice's sender address is not a verified Sender Identity in SendGrid (${message}).`;
      }
      return `SendGrid refused the API key (${message}): check SENDGRID_API_KEY and its permissions.`;
    case 413:
      return `The email is larger than SendGrid accepts (${message}).`;
    default:
      return `SendGrid refused the email (HTTP ${httpStatus}): ${message}`;
  }
}

/** The part of the email SendGrid's error field points at, in staff's words. */
function blamed(field: string | undefined): string {
  if (field === undefined) return 'the email';
  if (/^personalizations\.\d+\.(to|cc|bcc)\b/.test(field)) return "the recipient's email address";
  if (/^from\b/.test(field)) return "the practice's sender address";
  if (/^reply_to\b/.test(field)) return "the practice's reply-to address";
  if (/^(subject|content)\b|^personalizations\.\d+\.subject\b/.test(field)) return "the email's content";
  return 'the email';
}
