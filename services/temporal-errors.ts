import { isGrpcDeadlineError, isGrpcServiceError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';

/** gRPC codes with which Temporal says "not now": the same call can succeed shortly. */
const GRPC_RETRY_SHORTLY = new Set([
  4, // DEADLINE_EXCEEDED: no answer in time (the call may still have been carried out)
  8, // RESOURCE_EXHAUSTED: rate limited
  10, // ABORTED: lost a race inside the server
  14, // UNAVAILABLE: not reachable
]);

/**
 * Temporal did not answer, or asked to be called again later: worth retrying (the API answers
 * 503, the outbox and the repair try again). Any other Temporal error is a fault of ours. The
 * client hands some gRPC errors over as they are and wraps others (ServiceError), so both are read.
 */
export function isTemporalUnavailable(err: unknown): boolean {
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isGrpcDeadlineError(err)) return true;
  const cause = err instanceof Error ? err.cause : undefined;
  return [err, cause].some((e) => isGrpcServiceError(e) && GRPC_RETRY_SHORTLY.has(Number(e.code)));
}
