/**
 * Turns whatever the Twilio SDK throws into an GatewayError that says whether retrying
 * can help and what practice staff should be told.
 *
 * Rule of thumb: if Twilio never answered (network failure) or answered "not now" (429,
 * 5xx), retry. If Twilio answered with a 4xx verdict about the message, the credentials or
 * the sender, the same request will get the same verdict: permanent.
 *
 * Separately, whether Twilio may have taken the message: a 4xx answer means it did not, and
 * so does a request that never left (connection refused, no DNS answer). A timeout, a lost
 * connection or a 5xx (Twilio can queue a message and still answer 500) leave it unknown,
 * so the activity asks Twilio's message list (findSent) before sending again.
 */
import { GatewayError } from './message-gateway';
import { classifyTransportFailure, errorMessage, numberField, unexpectedFailure } from './transport-errors';

interface KnownCode {
  explanation: string;
  /** Twilio reports these with a 4xx, yet the same request can succeed later. */
  transient?: true;
}

const KNOWN_CODES: Record<number, KnownCode> = {
  20003: {
    explanation: 'Twilio rejected the account credentials: check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN.',
  },
  20005: { explanation: 'The Twilio account is suspended or closed.' },
  20404: { explanation: 'Twilio does not know this account: check TWILIO_ACCOUNT_SID.' },
  20429: { explanation: 'Twilio is rate-limiting requests; the message will be retried.', transient: true },
  20500: { explanation: 'Twilio had an internal error; the message will be retried.', transient: true },
  20503: { explanation: 'Twilio is temporarily unavailable; the message will be retried.', transient: true },
  21211: { explanation: "The client's phone number is not a valid phone number." },
  21212: { explanation: "The practice's sending number is not a valid phone number or sender ID." },
  21265: { explanation: "The client's number is a short code, which cannot receive these messages." },
  21266: { explanation: "The client's number is the practice's own sending number." },
  21408: {
    explanation:
      "The practice's Twilio account is not allowed to send SMS to this country (Messaging Geo Permissions).",
  },
  21602: { explanation: 'The message text is empty.' },
  21606: { explanation: "The practice's sending number cannot send SMS to this destination." },
  21608: {
    explanation: "The Twilio account is a trial account and the client's number is not verified on it.",
  },
  21610: {
    explanation: "The client replied STOP to the practice's number and has unsubscribed from its text messages.",
  },
  21611: {
    explanation: "The practice's sending number has too many messages waiting; the message will be retried.",
    transient: true,
  },
  21612: {
    explanation:
      "Twilio cannot deliver from the practice's sending number to the client's number (carrier or country restrictions).",
  },
  21614: { explanation: "The client's phone number is not a valid mobile number (it may be a landline)." },
  21617: { explanation: "The message is longer than Twilio's limit of 1,600 characters." },
  21635: { explanation: "The client's phone number is a landline and cannot receive text messages." },
  21659: {
    explanation:
      "The practice's sending number is not a Twilio number, or is a short code from another country than the client's.",
  },
  21660: {
    explanation: "The practice's sending number belongs to a different Twilio account than the one configured.",
  },
  21661: { explanation: "The practice's sending number cannot send SMS." },
  21705: { explanation: "The practice's Messaging Service SID is not valid." },
  // Delivery failures reported later in status callbacks (ErrorCode), never by the API call
  // itself: services/delivery-status.ts explains them with explainTwilioErrorCode.
  30003: { explanation: "The client's phone was unreachable (switched off or out of coverage)." },
  30004: { explanation: 'The message was blocked, by the client or by their carrier.' },
  30005: { explanation: "The client's phone number is unknown to the carrier or no longer in service." },
  30006: { explanation: "The client's number is a landline or its carrier cannot receive text messages." },
  30007: { explanation: "The client's carrier filtered the message as spam." },
  30008: { explanation: "The client's carrier reported an unknown delivery error." },
  30034: {
    explanation: "The practice's US number is not registered for A2P 10DLC, so US carriers block its messages.",
  },
};

/** Staff-facing wording for a Twilio error code, e.g. a status callback's ErrorCode. */
export function explainTwilioErrorCode(code: number | string): string | undefined {
  return KNOWN_CODES[Number(code)]?.explanation;
}

export function classifyTwilioError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  const httpStatus = numberField(err, 'status');
  // The SDK's RestException carries Twilio's HTTP status; transport errors never do
  // because its RequestClient treats every HTTP status as a response, not a throw.
  if (httpStatus !== undefined) return fromTwilioAnswer(err, httpStatus);
  return classifyTransportFailure(err, 'Twilio') ?? unexpectedFailure(err);
}

function fromTwilioAnswer(err: unknown, httpStatus: number): GatewayError {
  // A 408 may come from a proxy that had passed the request on; only other 4xx are verdicts.
  const maybeAccepted = httpStatus >= 500 || httpStatus === 408;
  const twilioCode = numberField(err, 'code');
  const known = twilioCode === undefined ? undefined : KNOWN_CODES[twilioCode];
  const twilioMessage = errorMessage(err);
  const code = twilioCode === undefined ? `HTTP_${httpStatus}` : String(twilioCode);
  if (known) {
    return new GatewayError({
      code,
      permanent: !known.transient,
      maybeAccepted,
      explanation: known.explanation,
      message: twilioMessage,
      httpStatus,
      cause: err,
    });
  }
  if (httpStatus === 408 || httpStatus === 429 || httpStatus >= 500) {
    return new GatewayError({
      code,
      permanent: false,
      maybeAccepted,
      explanation: `Twilio is temporarily unable to take the message (HTTP ${httpStatus}); it will be retried.`,
      message: twilioMessage,
      httpStatus,
      cause: err,
    });
  }
  return new GatewayError({
    code,
    permanent: true,
    maybeAccepted,
    explanation: `Twilio refused the message: ${twilioMessage}`,
    message: twilioMessage,
    httpStatus,
    cause: err,
  });
}
