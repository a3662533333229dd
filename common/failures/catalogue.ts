/**
 * The catalogue: every failure `type` that workflows and activities raise, whether Temporal
 * retries it, whose fault it is, and when it is thrown. Each type is raised through its class
 * (./index.ts lists them); the classes take `retryable` from here, so this table is the one place
 * that decides retrying.
 *
 * The `type` strings are stable: recorded histories replay with them, the CLI and the tests match
 * on them, and a retry policy's `nonRetryableErrorTypes` would name them. Never rename one.
 *
 * Whose fault decides retrying by default: the user's (a bad spec, a missing column, a rejected
 * gate) is not retried, since the same input fails the same way; the system's (a store outage, a
 * lost job, a lost race) is. A few system faults are not retried because a retry on the same
 * worker meets the same state (a worker without a gateway, corrupt bytes in the store).
 */

/** Whose fault a failure is: the user's input, or the platform and its infrastructure. */
export type Fault = 'user' | 'system';

/** One failure type of the catalogue. */
export interface FailureInfo {
  /** Whether Temporal retries an activity that fails with this type (per its retry policy). */
  readonly retryable: boolean;
  readonly fault: Fault;
  /** One line: the situation that raises it. */
  readonly thrownWhen: string;
}

/** The user's fault: not retried. */
const userFault = (thrownWhen: string): FailureInfo => ({ retryable: false, fault: 'user', thrownWhen });
/** The system's fault: retried. */
const systemFault = (thrownWhen: string): FailureInfo => ({ retryable: true, fault: 'system', thrownWhen });
/** The system's fault, but one a retry on the same worker would meet again: not retried. */
const systemFaultNotRetried = (thrownWhen: string): FailureInfo => ({ retryable: false, fault: 'system', thrownWhen });

/** Every failure type, by its `type` string. */
export const FAILURES = {
  // input of any activity or check (./input.ts)
  InvalidName: userFault('a name (model, alias, pipeline, metric…) breaks its naming rule'),
  InvalidArgument: userFault("an argument is missing or malformed; the message starts with the field's path"),
  InvalidSource: userFault('a dataset source URI (s3://…, file://…) cannot be opened as a store'),

  // the object store (./store.ts): the classes' names, as they always left activities
  InvalidKeyError: systemFault('a store key is not a safe relative path (`..`, absolute, empty segments)'),
  NotFoundError: systemFault('a store object that must exist does not'),
  LockTimeoutError: systemFault("the filesystem store's lock on a key could not be taken in time"),
  ContentionError: systemFault('a compare-and-swap update lost its race to concurrent writers too many times in a row'),
  StoreAccessDenied: systemFaultNotRetried(
    "the object store refuses the worker's credentials or permissions (HTTP 403); the message names endpoint, bucket and key id",
  ),

  // datasets (./data.ts)
  InvalidInput: userFault("a field of a data activity's input is malformed (dataset name, snapshot id, source URI)"),
  DatasetSourceInvalid: userFault(
    'a source cannot be snapshotted: a missing or empty folder, an unreadable file, a symlink out, an upload whose manifest or blob is gone',
  ),
  DatasetInvalid: userFault('a data file is malformed (ragged CSV, unterminated quote, invalid UTF-8)'),
  SnapshotNotFound: userFault('no snapshot matches an id, prefix or `latest`, or several do'),
  SnapshotCorrupt: systemFaultNotRetried(
    'a stored manifest or blob does not match its digest, or names a path outside the target',
  ),
  SnapshotTooLarge: userFault(
    'a source holds more files than one snapshot may (MLOPS_MAX_SNAPSHOT_FILES); the message names the limit and the count',
  ),
  DatasetValidationFailed: userFault(
    'a snapshot does not meet its expectations; details carry the report key and failures',
  ),

  // the model registry (./registry.ts)
  ModelNotFound: userFault('no version of the model was ever registered'),
  VersionNotFound: userFault('the model has no such version'),
  AliasNotFound: userFault('an alias that must resolve is not set'),
  InvalidTransition: userFault(
    'a status change is not allowed from the current status, or an alias cannot point there',
  ),

  // experiment tracking (./tracking.ts)
  RunNotFound: userFault('a tracked run was never started'),
  TrialNotFound: userFault('a trial of a tracked run was never started'),

  // training jobs (./training.ts)
  InvalidTrainingJob: userFault('a job description breaks the `TrainingJob` contract; the message names the field'),
  TrainingJobNotFound: userFault('no job has the given id on the training backend'),
  TrainingJobNotSucceeded: userFault('the result of a job that has not succeeded is asked for'),
  TrainingBackendUnavailable: systemFaultNotRetried(
    'a job asks for a backend this worker is not configured for (`ray` without MLOPS_RAY_ADDRESS)',
  ),
  TrainingJobFailed: userFault(
    'a job exits with a code of its own or times out; details carry the exit code and last log lines',
  ),
  TrainingJobLost: systemFault(
    'a job is lost to the infrastructure (process vanished, killed by a signal); the retry starts a fresh one',
  ),
  TrainingJobCancelled: userFault('a job was cancelled outside the run that started it'),
  TrainingOutputMissing: userFault('a training job succeeded but uploaded no output folder, so there is no model'),
  RayHeadError: systemFault('the Ray head answers a Jobs API request with an error status'),

  // serving (./serving.ts)
  InvalidServingArgument: userFault(
    'a serving argument (endpoint name, model, weights…) is malformed; the message names the field',
  ),
  EndpointNotFound: userFault('an endpoint has neither a gateway entry nor a deployed variant'),
  VariantNotFound: userFault('a variant is not deployed under the endpoint'),
  VariantFailed: userFault(
    "a variant's model server exited (e.g. the model would not load); the message quotes its log",
  ),
  VariantNotReady: systemFaultNotRetried('a variant did not become ready in time'),
  ServingUnavailable: systemFaultNotRetried('serving is asked of a worker that has no inference gateway configured'),
  GatewayRejected: systemFaultNotRetried(
    "the gateway's admin API refuses a request with a 4xx other than 409 and 429 (a bad token or body)",
  ),
  GatewayAdminError: systemFault("the gateway's admin API cannot be reached or answers with an error status"),

  // evaluation, sweeps, notifications (./evaluation.ts, ./sweep.ts, ./notifications.ts)
  EvaluationInvalid: userFault(
    'an evaluation.json is not valid JSON or not shaped as an evaluation; details name its key',
  ),
  EvaluationMissing: userFault('an evaluation job succeeded but wrote no evaluation.json'),
  SweepFailed: userFault('no trial of a sweep succeeded, or the sweep a retrain ran produced no model'),
  NotificationRejected: userFault(
    'the webhook refuses a notification with a 4xx other than 429 (a bad URL or payload)',
  ),
  NotificationFailed: systemFault('the webhook cannot be reached, or answers 429 or 5xx'),

  // signed decisions (./approvals.ts)
  DecisionNotVerified: userFault(
    'a decision that must be signed is unsigned, badly signed, signed by an unlisted key, for another decision, or too old',
  ),
  DecisionRefused: userFault('a decision is settled by another one (or the timeout) while its signature is checked'),
} as const satisfies Record<string, FailureInfo>;

/** A failure `type` of the catalogue. */
export type FailureType = keyof typeof FAILURES;

/** Whether `type` is a failure type of the catalogue. */
export function isFailureType(type: unknown): type is FailureType {
  return typeof type === 'string' && Object.prototype.hasOwnProperty.call(FAILURES, type);
}
