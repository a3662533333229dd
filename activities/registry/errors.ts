/**
 * Registry errors. Each is a `UserError` (a mistake the caller can fix) with a stable `type`, which
 * the activity wrappers (./activities.ts) turn into non-retryable `ApplicationFailure`s.
 */
import { InvalidArgumentError, InvalidNameError, PermanentError } from '../../common/errors';

export { InvalidArgumentError, InvalidNameError };

export type RegistryFailureType =
  'ModelNotFound' | 'VersionNotFound' | 'AliasNotFound' | 'InvalidTransition' | 'InvalidName' | 'InvalidArgument';

/** Base of the registry's user errors: `type` is the stable failure type. */
export abstract class RegistryError extends PermanentError {
  abstract override readonly type: RegistryFailureType;
}

/** Thrown when no version of the model was ever registered. */
export class ModelNotFoundError extends RegistryError {
  override readonly name = 'ModelNotFoundError';
  readonly type = 'ModelNotFound';
  constructor(readonly model: string) {
    super(`model ${model} not found: no version has been registered`);
  }
}

/** Thrown when the model has no such version. */
export class VersionNotFoundError extends RegistryError {
  override readonly name = 'VersionNotFoundError';
  readonly type = 'VersionNotFound';
  constructor(
    readonly model: string,
    readonly version: number,
  ) {
    super(`model ${model} has no version ${version}`);
  }
}

/** Thrown when an alias that must resolve is not set. */
export class AliasNotFoundError extends RegistryError {
  override readonly name = 'AliasNotFoundError';
  readonly type = 'AliasNotFound';
  constructor(
    readonly model: string,
    readonly alias: string,
  ) {
    super(`model ${model} has no alias ${alias}`);
  }
}

/** Thrown when a status change is not allowed from the current status, or an alias cannot point at a version. */
export class InvalidTransitionError extends RegistryError {
  override readonly name = 'InvalidTransitionError';
  readonly type = 'InvalidTransition';
  constructor(
    readonly model: string,
    readonly version: number,
    detail: string,
    readonly from?: string,
    readonly to?: string,
  ) {
    super(`model ${model} version ${version}: ${detail}`);
  }
}
