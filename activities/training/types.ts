/**
 * Training backends: one interface (`TrainingBackend`) for running a training job somewhere (a
 * local process, a Ray cluster…) and reading its state, logs, metrics and result. Jobs are
 * submitted under an idempotency key, so a retried activity re-attaches instead of starting twice.
 */

/** Where a job runs: `local` (a process on the worker's host) or `ray` (a Ray cluster's Jobs API). */
export type TrainingBackendName = 'local' | 'ray';

/** What to run: a command in a code folder, with params, an optional input snapshot and model, and an output prefix. */
export interface TrainingJob {
  /** A human-readable name (logs, UI). */
  name: string;
  /** The command and its arguments, e.g. `['python', 'train.py']`. */
  command: string[];
  /** Absolute folder holding the code, on the host that runs the job (within the worker's source roots). */
  codeDir?: string;
  /**
   * The code as a package in the store (activities/code/: `code/<hex>.zip`), by digest: the job runs
   * in the package's files, materialized on the host that runs it. Exactly one of `codeDir` and
   * `codePackage` is given.
   */
  codePackage?: { digest: string };
  /** Extra environment variables for the job. */
  env?: Record<string, string>;
  /** Hyperparameters, passed to the job as JSON in `MLOPS_PARAMS`. */
  params: Record<string, unknown>;
  /** A dataset snapshot materialized into the job's data folder (`MLOPS_DATA_DIR`). */
  input?: { dataset: string; snapshot: string };
  /**
   * Store URI of a model folder inside the platform's store (e.g. a trial's `…/output`), downloaded
   * into the job's model folder (`MLOPS_MODEL_DIR`): how an evaluation job gets the model it scores.
   */
  modelUri?: string;
  /**
   * Named inputs of a pipeline step (`runStep`): each dataset snapshot or model folder is materialized into
   * `inputs/<name>/` of the job and its path passed as `MLOPS_INPUT_<NAME>` (the name upper-cased).
   */
  inputs?: TrainingJobInput[];
  /** Store key prefix for outputs and logs, e.g. `experiments/<pipeline>/<run>/trials/<k>`. */
  outputPrefix: string;
  resources?: { cpu?: number; memoryMb?: number; gpus?: number };
  /** Wall-clock limit; past it the job is cancelled and reported failed with reason `timeout`. */
  timeoutSeconds?: number;
  /** The backend to run on. @default 'local' */
  backend?: TrainingBackendName;
}

/** One named input of a job: a dataset snapshot or a model folder in the store. */
export interface TrainingJobInput {
  /** `[a-z][a-z0-9_]*`, at most 32 characters. */
  name: string;
  snapshot?: { dataset: string; snapshot: string };
  modelUri?: string;
}

/** A job's state: a discriminated union on `state`. */
export type JobStatus =
  | { state: 'pending' }
  | { state: 'running'; pid?: number; startedAt: string }
  | { state: 'succeeded'; exitCode: 0; endedAt: string; startedAt?: string }
  | { state: 'failed'; exitCode: number | null; signal?: string; reason: string; endedAt: string }
  | { state: 'cancelled'; endedAt: string };

/** One point of a job's metric stream (what the job appended to `MLOPS_METRICS_FILE`). */
export interface MetricPoint {
  step: number;
  name: string;
  value: number;
}

/** What a finished job produced: where its outputs are and its final metrics. */
export interface JobResult {
  /** Store URI of the uploaded output folder, e.g. `s3://bucket/prefix/<outputPrefix>/output`. */
  outputUri: string;
  metrics: Record<string, number>;
}

export interface TrainingBackend {
  /** Starts `job`, or attaches to the job already started under `idempotencyKey` (`attached: true`). */
  submit(job: TrainingJob, idempotencyKey: string): Promise<{ jobId: string; attached: boolean }>;
  /** The job's current state. */
  status(jobId: string): Promise<JobStatus>;
  /** Log text from byte offset `since` (default 0); `next` is the offset to pass next time. */
  logs(jobId: string, since?: number): Promise<{ text: string; next: number }>;
  /** Metric points from byte offset `since` (default 0) of the metric stream; `next` as for `logs`. */
  metrics(jobId: string, since?: number): Promise<{ points: MetricPoint[]; next: number }>;
  /** Stops the job (idempotent; a finished job stays as it was). */
  cancel(jobId: string): Promise<void>;
  /** Uploads the outputs of a succeeded job (once) and returns where they are and the final metrics. */
  result(jobId: string): Promise<JobResult>;
  /**
   * Optional: resolves when the job may have changed state, at the latest after `timeoutMs` (or when
   * `signal` aborts), so a poller notices a finished job at once instead of on its next tick.
   */
  waitForChange?(jobId: string, timeoutMs: number, signal?: AbortSignal): Promise<void>;
}
