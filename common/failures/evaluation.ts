/** Failures of evaluations: the evaluation.json a job writes (activities/evaluation/, retrainPipeline). */
import { Failure } from './failure';

/** Thrown when an evaluation.json is not valid JSON or not shaped as an evaluation; names the key. */
export class EvaluationInvalidError extends Failure<'EvaluationInvalid'> {
  override readonly name = 'EvaluationInvalidError';
  declare readonly details: { key: string };
  constructor(
    readonly key: string,
    problem: string,
  ) {
    super('EvaluationInvalid', `${key}: ${problem}`, { details: { key } });
  }
}

/** Thrown when an evaluation job succeeded but wrote no evaluation.json; `label` names what was evaluated. */
export class EvaluationMissingError extends Failure<'EvaluationMissing'> {
  override readonly name = 'EvaluationMissingError';
  constructor(readonly label: string) {
    super('EvaluationMissing', `the evaluation of ${label} wrote no evaluation.json`);
  }
}
