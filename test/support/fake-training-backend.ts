/**
 * Fake of a training backend (activities/training `TrainingBackend`; the real ones run a local
 * process or a Ray job): answers every call at once with an empty result and records which calls
 * reached it. It stands in for the local and Ray backends where a test asserts only where calls are
 * routed, so no job runs.
 */
import type { TrainingBackend } from '../../activities/training';

/** A backend named `name` that appends `<name>.<call>` to `calls` for every call it gets. */
export function fakeTrainingBackend(name: string, calls: string[]): TrainingBackend {
  return {
    submit: async () => (calls.push(`${name}.submit`), { jobId: name === 'ray' ? 'ray-0' : '0', attached: false }),
    status: async () => (calls.push(`${name}.status`), { state: 'pending' }),
    logs: async () => (calls.push(`${name}.logs`), { text: '', next: 0 }),
    metrics: async () => (calls.push(`${name}.metrics`), { points: [], next: 0 }),
    cancel: async () => void calls.push(`${name}.cancel`),
    result: async () => (calls.push(`${name}.result`), { outputUri: '', metrics: {} }),
  };
}
