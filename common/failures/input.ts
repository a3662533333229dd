/** Failures of bad input to any activity or pure check: a name, an argument, a source URI. */
import { Failure } from './failure';

/** Thrown when a name (model, alias, pipeline, metric…) breaks its naming rule. */
export class InvalidNameError extends Failure<'InvalidName'> {
  override readonly name = 'InvalidNameError';
  constructor(
    readonly field: string,
    readonly value: unknown,
    rule: string,
  ) {
    super('InvalidName', `${field}: ${JSON.stringify(value)} is not a valid name: ${rule}`);
  }
}

/** Thrown when an argument is missing or malformed; the message starts with the field's path. */
export class InvalidArgumentError extends Failure<'InvalidArgument'> {
  override readonly name = 'InvalidArgumentError';
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super('InvalidArgument', `${field}: ${problem}`);
  }
}

/** Thrown when a dataset source URI cannot be opened as a store; the message says why. */
export class InvalidSourceError extends Failure<'InvalidSource'> {
  override readonly name = 'InvalidSourceError';
  constructor(
    readonly uri: string,
    problem: string,
  ) {
    super('InvalidSource', `${uri}: ${problem}`);
  }
}
