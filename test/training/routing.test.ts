/** `RoutingBackend`: submit by `job.backend`, everything else by the job id's shape. */
import assert from 'node:assert/strict';
import { FilesystemBlobStore } from '../../activities/storage';
import { createRoutingBackend, RoutingBackend } from '../../activities/training';
import { toActivityFailure } from '../../activities/failures';
import { ApplicationFailure } from '@temporalio/common';
import { fakeTrainingBackend } from '../support/fake-training-backend';
import { shellJob, tempDir, waitFor } from './helpers';

describe('routing training backend', function () {
  it('submits to the backend the job names (local by default) and routes the rest by job id', async function () {
    const calls: string[] = [];
    const router = new RoutingBackend({
      local: fakeTrainingBackend('local', calls),
      ray: fakeTrainingBackend('ray', calls),
    });
    const codeDir = tempDir('route');
    await router.submit(shellJob(codeDir, 'true'), 'k');
    await router.submit(shellJob(codeDir, 'true', { backend: 'ray' }), 'k');
    await router.submit(shellJob(codeDir, 'true', { backend: 'local' }), 'k');
    await router.status('ray-0123456789abcdef01234567');
    await router.logs('0123456789abcdef01234567');
    await router.metrics('ray-0123456789abcdef01234567', 5);
    await router.cancel('0123456789abcdef01234567');
    await router.result('ray-0123456789abcdef01234567');
    assert.deepEqual(calls, [
      'local.submit',
      'ray.submit',
      'local.submit',
      'ray.status',
      'local.logs',
      'ray.metrics',
      'local.cancel',
      'ray.result',
    ]);
  });

  it('refuses a ray job when no Ray head is configured, as a non-retryable failure naming MLOPS_RAY_ADDRESS', async function () {
    const router = createRoutingBackend({
      local: { store: new FilesystemBlobStore(tempDir('store')), workRoot: tempDir('jobs') },
    });
    const job = shellJob(tempDir('code'), 'true', { backend: 'ray' });
    const error = await router.submit(job, 'k-ray').then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof Error);
    assert.equal((error as Error & { type?: string }).type, 'TrainingBackendUnavailable');
    assert.match(error.message, /MLOPS_RAY_ADDRESS/);
    const failure = toActivityFailure(error);
    assert.ok(failure instanceof ApplicationFailure && failure.nonRetryable);
    await assert.rejects(router.status('ray-0123456789abcdef01234567'), { type: 'TrainingBackendUnavailable' });
  });

  it('runs a job without a backend on the local backend', async function () {
    const router = createRoutingBackend({
      local: { store: new FilesystemBlobStore(tempDir('store')), workRoot: tempDir('jobs') },
    });
    const { jobId } = await router.submit(shellJob(tempDir('code'), 'echo local'), 'k-local');
    assert.match(jobId, /^[0-9a-f]{24}$/);
    assert.equal((await waitFor(router, jobId, ['succeeded', 'failed'])).state, 'succeeded');
    assert.equal((await router.logs(jobId)).text, 'local\n');
  });
});
