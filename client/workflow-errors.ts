/** Turns a failed workflow run into a plain message: the innermost cause, its type, the run id. */
import { ApplicationFailure, TemporalFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { UserError } from '../common/errors';
import { EXIT } from './exit-codes';

/** Thrown by CLI commands when the workflow they ran failed; exits `EXIT.failed` (1). */
export class WorkflowRunFailed extends UserError {
  override readonly name = 'WorkflowRunFailed';
  constructor(
    readonly workflowId: string,
    readonly failureType: string | undefined,
    message: string,
    readonly details: unknown[],
  ) {
    super(`${workflowId} failed: ${message}`, EXIT.failed);
  }
}

/** Maps a `WorkflowFailedError` to `WorkflowRunFailed` (other errors pass through unchanged). */
export function explainWorkflowFailure(err: unknown, workflowId: string): unknown {
  if (!(err instanceof WorkflowFailedError)) return err;
  let cause: unknown = err.cause;
  let innermost: TemporalFailure | undefined;
  while (cause instanceof TemporalFailure) {
    innermost = cause;
    cause = cause.cause;
  }
  if (innermost instanceof ApplicationFailure) {
    return new WorkflowRunFailed(workflowId, innermost.type ?? undefined, innermost.message, innermost.details ?? []);
  }
  return new WorkflowRunFailed(workflowId, innermost?.name, innermost?.message ?? err.message, []);
}
