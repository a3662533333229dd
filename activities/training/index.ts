/**
 * Training: running a job's command (e.g. `python train.py`) on a backend and reading back its
 * state, logs, metric stream and outputs. Every backend implements `TrainingBackend`.
 *
 * - ./types.ts           `TrainingBackend`, `TrainingJob`, `JobStatus`, `MetricPoint`, `JobResult`
 * - ./local-process.ts   `LocalProcessBackend`: detached local process groups that survive the worker
 *                        (./job-files.ts layout, ./launch.ts wrapper, ./process-group.ts signals, ./stream-reads.ts
 *                        log/metric reads, ./outputs.ts uploads, ./validate-job.ts input checks)
 * - ./ray.ts             `RayJobsBackend`: jobs on a Ray head through its Jobs REST API (./ray-client.ts),
 *                        code shipped as a Ray package (./ray-package.ts) and the runner ./ray_runner.py,
 *                        which reads and writes the store itself (./ray-env.ts), metrics read from the log
 *                        (./ray-log.ts)
 * - ./routing.ts         `RoutingBackend`: submits to the job's `backend`, routes the rest by job id
 * - ./activity.ts        `runTrainingJob`: submit, poll, heartbeat, re-attach, cancel, classify failures
 *
 * `createTrainingBackend(kind, deps)` builds one backend; `createRoutingBackend(deps)` builds the one
 * the worker's activities use (local, plus ray when configured).
 */
import { LocalProcessBackend, type LocalProcessDeps } from './local-process';
import { RayJobsBackend, type RayJobsDeps } from './ray';
import { RoutingBackend } from './routing';
import type { TrainingBackend } from './types';

export { LocalProcessBackend, type LocalProcessDeps } from './local-process';
export { RayJobsBackend, rayJobIdOf, type RayJobsDeps } from './ray';
export { rayStoreEnv } from './ray-env';
export { RoutingBackend, type RoutingBackends } from './routing';
export {
  createTrainingActivities,
  type RunTrainingJobInput,
  type TrainingHeartbeat,
  type TrainingJobOutcome,
} from './activity';
export type * from './types';

/** The backends by kind, with the dependencies each needs. */
export interface TrainingBackendDeps {
  local: LocalProcessDeps;
  ray: RayJobsDeps;
}

export type TrainingBackendKind = keyof TrainingBackendDeps;

/** Builds the training backend of `kind`. */
export function createTrainingBackend<K extends TrainingBackendKind>(
  kind: K,
  deps: TrainingBackendDeps[K],
): TrainingBackend {
  switch (kind) {
    case 'local':
      return new LocalProcessBackend(deps as LocalProcessDeps) satisfies TrainingBackend;
    case 'ray':
      return new RayJobsBackend(deps as RayJobsDeps) satisfies TrainingBackend;
    default:
      throw new Error(`unknown training backend ${String(kind)}`);
  }
}

/** The worker's training backend: local always, ray when `deps.ray` is given; jobs pick with `job.backend`. */
export function createRoutingBackend(deps: { local: LocalProcessDeps; ray?: RayJobsDeps }): TrainingBackend {
  return new RoutingBackend({
    local: createTrainingBackend('local', deps.local),
    ray: deps.ray ? createTrainingBackend('ray', deps.ray) : undefined,
  });
}
