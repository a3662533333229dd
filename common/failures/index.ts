/**
 * The failures of workflows and activities, one class per situation, each with a stable `type`:
 *
 * - ./catalogue.ts      every `type`: retried or not, whose fault, when it is thrown
 * - ./failure.ts        `Failure`, the base class, and `toApplicationFailure` (what Temporal records)
 * - ./input.ts          bad names, arguments and source URIs, whoever checks them
 * - ./store.ts          the object store's failures (`StoreError`)
 * - ./data.ts           datasets and snapshots (`DataError`, one class typed by situation)
 * - ./registry.ts, ./tracking.ts, ./training.ts, ./serving.ts, ./evaluation.ts, ./sweep.ts,
 *   ./notifications.ts  one file per activity folder or workflow that raises them
 *
 * Pure and sandbox-safe: workflows import it. Activities leave with `toApplicationFailure` of what
 * they throw (activities/failures.ts); the CLI picks exit codes by type (client/exit-codes.ts).
 */
export { FAILURES, isFailureType, type FailureInfo, type FailureType, type Fault } from './catalogue';
export { Failure, isFailure, toApplicationFailure } from './failure';
export { InvalidArgumentError, InvalidNameError, InvalidSourceError } from './input';
export {
  ContentionError,
  InvalidKeyError,
  LockTimeoutError,
  NotFoundError,
  StoreAccessDeniedError,
  StoreError,
  type StoreAccess,
  type StoreFailureType,
} from './store';
export { DataError, isDataError, type DataErrorType } from './data';
export {
  AliasNotFoundError,
  InvalidTransitionError,
  ModelNotFoundError,
  RegistryError,
  VersionNotFoundError,
  type RegistryFailureType,
} from './registry';
export { RunNotFoundError, TrackingError, TrialNotFoundError, type TrackingFailureType } from './tracking';
export {
  InvalidTrainingJobError,
  RayHeadError,
  TrainingBackendUnavailableError,
  TrainingError,
  TrainingJobCancelledError,
  TrainingJobFailedError,
  TrainingJobLostError,
  TrainingJobNotFoundError,
  TrainingJobNotSucceededError,
  TrainingOutputMissingError,
  type JobEnd,
  type TrainingFailureType,
} from './training';
export {
  EndpointNotFoundError,
  GatewayAdminError,
  GatewayRejectedError,
  InvalidServingArgumentError,
  ServingError,
  ServingUnavailableError,
  VariantFailedError,
  VariantNotFoundError,
  VariantNotReadyError,
  type ServingFailureType,
} from './serving';
export { EvaluationInvalidError, EvaluationMissingError } from './evaluation';
export { SweepFailedError } from './sweep';
export { NotificationFailedError, NotificationRejectedError } from './notifications';
