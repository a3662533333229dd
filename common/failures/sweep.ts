/** Failures of hyperparameter sweeps (hyperparameterSweep, and the retrainPipeline that runs one). */
import { Failure } from './failure';

/** Thrown when no trial of a sweep succeeded, or a sweep produced no model; details carry the report's URI when there is one. */
export class SweepFailedError extends Failure<'SweepFailed'> {
  override readonly name = 'SweepFailedError';
  constructor(message: string, details?: { reportUri: string }) {
    super('SweepFailed', message, { details });
  }
}
