/**
 * What every provider's error classifier shares: failures to get any HTTP answer, failures
 * nobody anticipated, and reading fields off whatever an SDK threw.
 *
 * A request that never left (connection refused, no DNS answer) cannot have reached the
 * provider; a timeout or a lost connection can come after the provider took the message,
 * so the next attempt must ask the provider before sending again.
 */
import { GatewayError } from './message-gateway';

/** Failures before any byte of the request left: the provider cannot have seen it. */
const REQUEST_NEVER_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

const NODE_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTDOWN',
]);

/**
 * The transient GatewayError for a call to `provider` that got no HTTP answer at all, or
 * undefined when `err` is something else (an answer, or a bug).
 */
export function classifyTransportFailure(err: unknown, provider: string): GatewayError | undefined {
  const code = stringField(err, 'code');
  // axios flags every failure to get an HTTP answer, whatever its code (TLS, DNS, timeout…).
  const fromAxios =
    typeof err === 'object' && err !== null && (err as { isAxiosError?: unknown }).isAxiosError === true;
  if (!fromAxios && (code === undefined || !NODE_NETWORK_CODES.has(code))) return undefined;
  const neverSent = code !== undefined && REQUEST_NEVER_SENT_CODES.has(code);
  return new GatewayError({
    code: code ?? 'NETWORK_ERROR',
    permanent: false,
    maybeAccepted: !neverSent,
    explanation: neverSent
      ? `${provider} could not be reached; the message will be retried.`
      : `${provider} did not answer (timeout or lost connection); the message will be retried unless ${provider} has it.`,
    message: errorMessage(err),
    cause: err,
  });
}

/** A failure no rule foresaw: a bug on our side, so retrying the same call would fail the same way. */
export function unexpectedFailure(err: unknown): GatewayError {
  return new GatewayError({
    code: 'UNEXPECTED',
    permanent: true,
    explanation: `Sending failed unexpectedly: ${errorMessage(err)}`,
    message: errorMessage(err),
    cause: err,
  });
}

export function numberField(err: unknown, field: string): number | undefined {
  const value = typeof err === 'object' && err !== null ? (err as Record<string, unknown>)[field] : undefined;
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function stringField(err: unknown, field: string): string | undefined {
  const value = typeof err === 'object' && err !== null ? (err as Record<string, unknown>)[field] : undefined;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error && err.message) return err.message;
  return String(err);
}
