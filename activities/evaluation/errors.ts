/** Evaluation errors: `PermanentError`s with a stable `type` (non-retryable once wrapped as activity failures). */
import { PermanentError } from '../../common/errors';

/** Thrown when an evaluation.json is not valid JSON or not shaped as an evaluation; names the key. */
export class EvaluationInvalidError extends PermanentError {
  override readonly name = 'EvaluationInvalidError';
  readonly type = 'EvaluationInvalid';
  override readonly details: { key: string };
  constructor(
    readonly key: string,
    problem: string,
  ) {
    super(`${key}: ${problem}`);
    this.details = { key };
  }
}
