/** Failures of the model registry (activities/registry/). */
import { Failure } from './failure';

/** The failure types of the registry, with the input failures its checks raise. */
export type RegistryFailureType =
  'ModelNotFound' | 'VersionNotFound' | 'AliasNotFound' | 'InvalidTransition' | 'InvalidName' | 'InvalidArgument';

/** Base of the registry's own failures. */
export abstract class RegistryError<T extends RegistryFailureType = RegistryFailureType> extends Failure<T> {}

/** Thrown when no version of the model was ever registered. */
export class ModelNotFoundError extends RegistryError<'ModelNotFound'> {
  override readonly name = 'ModelNotFoundError';
  constructor(readonly model: string) {
    super('ModelNotFound', `model ${model} not found: no version has been registered`);
  }
}

/** Thrown when the model has no such version. */
export class VersionNotFoundError extends RegistryError<'VersionNotFound'> {
  override readonly name = 'VersionNotFoundError';
  constructor(
    readonly model: string,
    readonly version: number,
  ) {
    super('VersionNotFound', `model ${model} has no version ${version}`);
  }
}

/** Thrown when an alias that must resolve is not set. */
export class AliasNotFoundError extends RegistryError<'AliasNotFound'> {
  override readonly name = 'AliasNotFoundError';
  constructor(
    readonly model: string,
    readonly alias: string,
  ) {
    super('AliasNotFound', `model ${model} has no alias ${alias}`);
  }
}

/** Thrown when a status change is not allowed from the current status, or an alias cannot point at a version. */
export class InvalidTransitionError extends RegistryError<'InvalidTransition'> {
  override readonly name = 'InvalidTransitionError';
  constructor(
    readonly model: string,
    readonly version: number,
    detail: string,
    readonly from?: string,
    readonly to?: string,
  ) {
    super('InvalidTransition', `model ${model} version ${version}: ${detail}`);
  }
}
