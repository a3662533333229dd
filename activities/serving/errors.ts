/** Serving errors: `PermanentError`s with a stable `type` (non-retryable once wrapped as activity failures). */
import { PermanentError } from '../../common/errors';

export type ServingFailureType =
  | 'InvalidServingArgument'
  | 'EndpointNotFound'
  | 'VariantNotFound'
  | 'VariantFailed'
  | 'VariantNotReady'
  | 'ServingUnavailable';

/** Base of the serving errors: `type` is the stable failure type. */
export abstract class ServingError extends PermanentError {
  abstract override readonly type: ServingFailureType;
}

/** Thrown when an argument (endpoint name, model, weights…) is malformed; the message names the field. */
export class InvalidServingArgumentError extends ServingError {
  override readonly name = 'InvalidServingArgumentError';
  readonly type = 'InvalidServingArgument';
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

/** Thrown when an endpoint has neither a gateway entry nor a deployed variant. */
export class EndpointNotFoundError extends ServingError {
  override readonly name = 'EndpointNotFoundError';
  readonly type = 'EndpointNotFound';
  constructor(readonly endpoint: string) {
    super(`no endpoint ${JSON.stringify(endpoint)}: deploy a model version to it first`);
  }
}

/** Thrown when a variant is not deployed under the endpoint. */
export class VariantNotFoundError extends ServingError {
  override readonly name = 'VariantNotFoundError';
  readonly type = 'VariantNotFound';
  constructor(
    readonly endpoint: string,
    readonly variant: string,
  ) {
    super(`endpoint ${endpoint} has no variant ${JSON.stringify(variant)}`);
  }
}

/** Thrown when a variant's server exited (e.g. the model would not load); the message quotes its log. */
export class VariantFailedError extends ServingError {
  override readonly name = 'VariantFailedError';
  readonly type = 'VariantFailed';
  constructor(
    readonly endpoint: string,
    readonly variant: string,
    logTail: string,
  ) {
    super(`variant ${variant} of endpoint ${endpoint} is not running${logTail ? `; last log lines:\n${logTail}` : ''}`);
  }
}

/** Thrown when a variant did not become ready in time. */
export class VariantNotReadyError extends ServingError {
  override readonly name = 'VariantNotReadyError';
  readonly type = 'VariantNotReady';
  constructor(
    readonly endpoint: string,
    readonly variant: string,
    readonly timeoutMs: number,
  ) {
    super(`variant ${variant} of endpoint ${endpoint} was not ready after ${Math.round(timeoutMs / 1000)} s`);
  }
}

/** Thrown when serving is asked of a worker that has no gateway configured. */
export class ServingUnavailableError extends ServingError {
  override readonly name = 'ServingUnavailableError';
  readonly type = 'ServingUnavailable';
  constructor() {
    super(
      'serving is not configured on this worker: run `mlops dev up` (it starts the inference gateway) ' +
        'or set MLOPS_GATEWAY_URL, MLOPS_GATEWAY_ADMIN_URL and MLOPS_GATEWAY_TOKEN, then restart the worker',
    );
  }
}
