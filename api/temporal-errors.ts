/**
 * Temporal client errors -> HTTP answers.
 *
 * Update validators and handlers of the order workflow reject a command with
 * an `ApplicationFailure` whose type is one of the contract's FAILURE types
 * (workflows/order/contract.ts); the client surfaces it as
 * `WorkflowUpdateFailedError` with the failure as its cause (possibly wrapped
 * in an ActivityFailure when the handler's activity refused the input).
 *
 *   WrongStage            -> 409  (not possible in the order's current stage)
 *   BadInput              -> 400  (field from details[0]: "name" or { field })
 *   NotFound              -> 404
 *   Forbidden             -> 403  (segregation of duties)
 *   workflow not found    -> 404, or 409 when it has already finished
 *   already started       -> 409
 *   update timed out      -> 504
 *   Temporal unreachable  -> 503
 *
 * Returns a plain description; api/errors.ts turns it into the response.
 */
import {
  ApplicationFailure,
  ServiceError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  isGrpcServiceError,
} from '@temporalio/client';
import { FAILURE } from '../workflows/order/contract';

export interface MappedError {
  statusCode: number;
  message: string;
  field?: string;
}

const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_UNAVAILABLE = 14;

/** The first ApplicationFailure in the cause chain whose type the contract knows, else the first one at all. */
function applicationFailureIn(err: unknown): ApplicationFailure | undefined {
  let first: ApplicationFailure | undefined;
  for (let e: unknown = err, depth = 0; e && depth < 10; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof ApplicationFailure) {
      if (Object.values(FAILURE).includes(e.type as never)) return e;
      first ??= e;
    }
  }
  return first;
}

function fieldOf(details: readonly unknown[] | null | undefined): string | undefined {
  const d = details?.[0];
  if (typeof d === 'string' && d) return d;
  if (d && typeof d === 'object' && typeof (d as { field?: unknown }).field === 'string') return (d as { field: string }).field;
  return undefined;
}

/** A workflow that finished: the server says "workflow execution already completed". */
export function isClosedWorkflowError(err: unknown): boolean {
  return err instanceof WorkflowNotFoundError && /already (completed|finished|closed)/i.test(err.message);
}

export function httpErrorFromTemporal(err: unknown): MappedError | undefined {
  if (err instanceof WorkflowUpdateFailedError) {
    const failure = applicationFailureIn(err.cause);
    if (failure) {
      switch (failure.type) {
        case FAILURE.wrongStage:
          return { statusCode: 409, message: failure.message };
        case FAILURE.badInput:
          return { statusCode: 400, message: failure.message, field: fieldOf(failure.details) };
        case FAILURE.notFound:
          return { statusCode: 404, message: failure.message };
        case FAILURE.forbidden:
          return { statusCode: 403, message: failure.message };
      }
    }
    // An update that failed for a reason the contract does not name: a bug, not the caller's fault.
    return { statusCode: 500, message: 'The order could not process the command; the error has been logged.' };
  }
  if (err instanceof WorkflowNotFoundError) {
    return isClosedWorkflowError(err)
      ? { statusCode: 409, message: 'The order is closed: its workflow has finished and accepts no more commands.' }
      : { statusCode: 404, message: 'The order has no running workflow.' };
  }
  if (err instanceof WorkflowExecutionAlreadyStartedError) {
    return { statusCode: 409, message: 'The order workflow has already been started.' };
  }
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
    return { statusCode: 504, message: 'The order did not answer in time; retry the command (it is safe to repeat).' };
  }
  const grpc = isGrpcServiceError(err) ? err : err instanceof ServiceError && isGrpcServiceError(err.cause) ? err.cause : undefined;
  if (grpc?.code === GRPC_UNAVAILABLE || grpc?.code === GRPC_DEADLINE_EXCEEDED) {
    return { statusCode: 503, message: 'The workflow service is unavailable; retry later.' };
  }
  if (err instanceof ServiceError) {
    return { statusCode: 503, message: 'The workflow service refused the request; retry later.' };
  }
  return undefined;
}
