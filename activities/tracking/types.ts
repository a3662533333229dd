/**
 * Experiment tracking types. Store layout (docs/architecture.md):
 *   experiments/<pipeline>/<run>/run.json                       the run (params, tags, status)
 *   experiments/<pipeline>/<run>/trials/<k>/trial.json           a trial (params, final metrics, tags, status)
 *   experiments/<pipeline>/<run>/trials/<k>/metrics/<seq>.ndjson metric stream chunks ({step, name, value, at})
 *   experiments/<pipeline>/<run>/trials/<k>/logs/<seq>.txt       log chunks
 *   experiments/<pipeline>/<run>/trials/<k>/artifacts/<name>     artifacts
 *   experiments/<pipeline>/_runs/<run>                           index of the pipeline's runs (listRuns)
 *   experiments/<pipeline>/<run>/trial-index/<k>                 index of the run's trials (listTrials)
 * `<run>` is a store-safe form of the pipeline run id (the workflow id): see ./run-keys.ts.
 * `<seq>` is an 8-digit sequence number, optionally followed by `-<batch hash>` (./chunks.ts).
 */

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled' | 'stopped-early';

export interface ExperimentRun {
  pipeline: string;
  /** The run id as given (the workflow id). */
  run: string;
  /** The run's store key segment (./run-keys.ts). */
  runKey: string;
  params: Record<string, unknown>;
  tags: Record<string, string>;
  status: RunStatus;
  startedAt: string;
  endedAt?: string;
}

export interface Trial {
  pipeline: string;
  run: string;
  trial: number;
  params: Record<string, unknown>;
  metrics: Record<string, number>;
  tags: Record<string, string>;
  status: RunStatus;
  startedAt: string;
  endedAt?: string;
  artifacts: { name: string; key: string; size: number }[];
}

export interface MetricPoint {
  name: string;
  step: number;
  value: number;
  at: string;
}

/** A point as logged: the tracker stamps `at`. `value` may be NaN or ±Infinity (a diverged loss). */
export type MetricInput = Omit<MetricPoint, 'at'>;

export interface ListTrialsOptions {
  /** Sort by a final metric (or `trial`, `startedAt`). @default 'trial' */
  sortBy?: string;
  order?: 'asc' | 'desc';
  limit?: number;
}

export interface StartRunInput {
  pipeline: string;
  run: string;
  params?: Record<string, unknown>;
  tags?: Record<string, string>;
}

export interface StartTrialInput {
  pipeline: string;
  run: string;
  trial: number;
  params: Record<string, unknown>;
  tags?: Record<string, string>;
}

export interface FinishTrialOptions {
  /** Final metrics, merged over any recorded before. */
  metrics?: Record<string, number>;
  status: Exclude<RunStatus, 'running'>;
}

export interface LogOptions {
  /**
   * Identifies one logical write: a chunk whose batch was written before is skipped on read, so a
   * retried call cannot duplicate points. The activity wrapper passes its workflow run and activity id.
   */
  batchId?: string;
}

/** Where `logMetrics` / `logText` put a chunk (`key` and `seq` null when there was nothing to write). */
export interface ChunkWritten {
  key: string | null;
  seq: number | null;
  /** Points written (`logMetrics`) or bytes (`logText`). */
  count: number;
}

export interface ArtifactRef {
  name: string;
  key: string;
  size: number;
  /** `<store uri>/<key>`. */
  uri: string;
}
