/** Failures of serving: variants, endpoints and the inference gateway (activities/serving/). */
import { Failure } from './failure';

/** The failure types of serving. */
export type ServingFailureType =
  | 'InvalidServingArgument'
  | 'EndpointNotFound'
  | 'VariantNotFound'
  | 'VariantFailed'
  | 'VariantNotReady'
  | 'ServingUnavailable'
  | 'GatewayRejected'
  | 'GatewayAdminError';

/** Base of the serving failures. */
export abstract class ServingError<T extends ServingFailureType = ServingFailureType> extends Failure<T> {}

/** Thrown when an argument (endpoint name, model, weights…) is malformed; the message names the field. */
export class InvalidServingArgumentError extends ServingError<'InvalidServingArgument'> {
  override readonly name = 'InvalidServingArgumentError';
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super('InvalidServingArgument', `${field}: ${problem}`);
  }
}

/** Thrown when an endpoint has neither a gateway entry nor a deployed variant. */
export class EndpointNotFoundError extends ServingError<'EndpointNotFound'> {
  override readonly name = 'EndpointNotFoundError';
  constructor(readonly endpoint: string) {
    super('EndpointNotFound', `no endpoint ${JSON.stringify(endpoint)}: deploy a model version to it first`);
  }
}

/** Thrown when a variant is not deployed under the endpoint. */
export class VariantNotFoundError extends ServingError<'VariantNotFound'> {
  override readonly name = 'VariantNotFoundError';
  constructor(
    readonly endpoint: string,
    readonly variant: string,
  ) {
    super('VariantNotFound', `endpoint ${endpoint} has no variant ${JSON.stringify(variant)}`);
  }
}

/** Thrown when a variant's server exited (e.g. the model would not load); the message quotes its log. */
export class VariantFailedError extends ServingError<'VariantFailed'> {
  override readonly name = 'VariantFailedError';
  constructor(
    readonly endpoint: string,
    readonly variant: string,
    logTail: string,
  ) {
    super(
      'VariantFailed',
      `variant ${variant} of endpoint ${endpoint} is not running${logTail ? `; last log lines:\n${logTail}` : ''}`,
    );
  }
}

/** Thrown when a variant did not become ready in time. */
export class VariantNotReadyError extends ServingError<'VariantNotReady'> {
  override readonly name = 'VariantNotReadyError';
  constructor(
    readonly endpoint: string,
    readonly variant: string,
    readonly timeoutMs: number,
  ) {
    super(
      'VariantNotReady',
      `variant ${variant} of endpoint ${endpoint} was not ready after ${Math.round(timeoutMs / 1000)} s`,
    );
  }
}

/** Thrown when serving is asked of a worker that has no gateway configured. */
export class ServingUnavailableError extends ServingError<'ServingUnavailable'> {
  override readonly name = 'ServingUnavailableError';
  constructor() {
    super(
      'ServingUnavailable',
      'serving is not configured on this worker: run `mlops dev up` (it starts the inference gateway) ' +
        'or set MLOPS_GATEWAY_URL, MLOPS_GATEWAY_ADMIN_URL and MLOPS_GATEWAY_TOKEN, then restart the worker',
    );
  }
}

/** Thrown when the gateway's admin API answers, or cannot be reached (`status` 0); the message says which request. */
export class GatewayAdminError extends ServingError<'GatewayAdminError'> {
  override readonly name = 'GatewayAdminError';
  constructor(
    readonly status: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('GatewayAdminError', message, options);
  }
}

/** Thrown when the gateway refuses a request with a 4xx a retry cannot get past (not 409 or 429): a bad token or body. */
export class GatewayRejectedError extends ServingError<'GatewayRejected'> {
  override readonly name = 'GatewayRejectedError';
  readonly status: number;
  constructor(refusal: Error & { status: number }) {
    super('GatewayRejected', refusal.message, { cause: refusal });
    this.status = refusal.status;
  }
}
