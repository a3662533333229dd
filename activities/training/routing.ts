/**
 * `RoutingBackend`: the one `TrainingBackend` the activities get. `submit` picks the backend the job
 * asks for (`job.backend`, default `local`); the other calls go to the backend whose ids the job id
 * has (Ray submission ids start with `ray-`, local ids are hex), so a restarted worker routes an
 * attached job without knowing how it was submitted.
 */
import { TrainingBackendUnavailableError, TrainingJobNotFoundError } from '../../common/failures';
import { RAY_JOB_ID_PREFIX } from './ray';
import type { JobResult, JobStatus, MetricPoint, TrainingBackend, TrainingBackendName, TrainingJob } from './types';

export interface RoutingBackends {
  local: TrainingBackend;
  /** Absent when the worker has no Ray head configured (MLOPS_RAY_ADDRESS). */
  ray?: TrainingBackend;
}

export class RoutingBackend implements TrainingBackend {
  constructor(private readonly backends: RoutingBackends) {}

  /** Submits to `job.backend` (default `local`); throws `TrainingBackendUnavailable` when that one is not configured. */
  async submit(job: TrainingJob, idempotencyKey: string): Promise<{ jobId: string; attached: boolean }> {
    return this.named(job.backend ?? 'local').submit(job, idempotencyKey);
  }

  async status(jobId: string): Promise<JobStatus> {
    return this.owner(jobId).status(jobId);
  }

  async logs(jobId: string, since?: number): Promise<{ text: string; next: number }> {
    return this.owner(jobId).logs(jobId, since);
  }

  async metrics(jobId: string, since?: number): Promise<{ points: MetricPoint[]; next: number }> {
    return this.owner(jobId).metrics(jobId, since);
  }

  async cancel(jobId: string): Promise<void> {
    return this.owner(jobId).cancel(jobId);
  }

  async result(jobId: string): Promise<JobResult> {
    return this.owner(jobId).result(jobId);
  }

  /** Forwards to the owner's `waitForChange`, or simply waits out `timeoutMs` when it has none. */
  async waitForChange(jobId: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const owner = this.owner(jobId);
    if (owner.waitForChange) return owner.waitForChange(jobId, timeoutMs, signal);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  private named(name: TrainingBackendName): TrainingBackend {
    const backend = name === 'ray' ? this.backends.ray : name === 'local' ? this.backends.local : undefined;
    if (backend) return backend;
    if (name === 'ray') {
      throw new TrainingBackendUnavailableError(
        'ray',
        'set MLOPS_RAY_ADDRESS to the Ray head (e.g. http://127.0.0.1:8265)',
      );
    }
    throw new TrainingBackendUnavailableError(String(name), 'known backends are local and ray');
  }

  private owner(jobId: string): TrainingBackend {
    if (typeof jobId !== 'string') throw new TrainingJobNotFoundError(String(jobId));
    return jobId.startsWith(RAY_JOB_ID_PREFIX) ? this.named('ray') : this.backends.local;
  }
}
