/** `mlops train --backend ray`: the churn example on the test run's Ray head, and what happens without one. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createRoutingBackend, rayStoreEnv } from '../../activities/training';
import { REPO_ROOT } from '../../lib/tools';
import { cliEnv, runCli } from '../support/cli';
import { testRay } from '../support/ray';
import { testStack } from '../support/stack';
import { testDeps, testS3Config, testS3Store, uniqueQueue, withWorker } from '../support/worker';

const PYTHON = path.join(REPO_ROOT, '.venv', 'bin', 'python');
const JOB = path.join(REPO_ROOT, 'examples', 'churn', 'train.yaml');

describe('mlops train --backend ray', function () {
  this.timeout(120_000);
  const prefix = `cli-train-ray-${randomUUID().slice(0, 8)}`;
  const queue = uniqueQueue('mlops-train-ray');
  const trainingQueue = uniqueQueue('mlops-training-ray');
  let env: NodeJS.ProcessEnv;

  before(() => {
    env = cliEnv(prefix, { MLOPS_TASK_QUEUE: queue, MLOPS_TRAINING_TASK_QUEUE: trainingQueue });
  });

  const cli = (...args: string[]) => runCli(args, env);

  it('trains the churn example on the Ray head, overriding the backend the job file names', async () => {
    const ray = await testRay();
    const data = fs.mkdtempSync(path.join(testStack().tmpDir, 'churn-ray-data-'));
    execFileSync(PYTHON, ['examples/churn/generate_data.py', '--rows', '2000', '--seed', '3', '--out', data], {
      cwd: REPO_ROOT,
    });
    const store = testS3Store(prefix);
    const deps = {
      ...testDeps(store),
      trainingBackend: createRoutingBackend({
        local: { store, workRoot: fs.mkdtempSync(path.join(testStack().tmpDir, 'jobs-')), python: PYTHON },
        ray: { address: ray.address, store, storeEnv: rayStoreEnv(testS3Config(prefix)) },
      }),
    };
    await withWorker(queue, deps, () =>
      withWorker(
        trainingQueue,
        deps,
        async () => {
          const snap = await cli('data', 'snapshot', 'churn', data);
          assert.equal(snap.code, 0, snap.stderr);
          const trained = await cli('--json', 'train', JOB, '--backend', 'ray', '--set', 'max_iter=20');
          assert.equal(trained.code, 0, trained.stderr);
          const result = JSON.parse(trained.stdout);
          assert.match(result.jobId, /^ray-[0-9a-f]{24}$/, 'ran as a Ray job');
          assert.ok(result.metrics.val_auc > 0.7, JSON.stringify(result.metrics));
          assert.match(result.outputUri, new RegExp(`^s3://${testStack().minio.bucket}/${prefix}/experiments/churn/`));
          const trials = await cli('--json', 'experiments', 'show', 'churn', result.workflowId);
          assert.equal(trials.code, 0, trials.stderr);
          assert.equal(JSON.parse(trials.stdout).trials[0].status, 'succeeded');
        },
        { workflows: false },
      ),
    );
  });

  it('fails at once, naming MLOPS_RAY_ADDRESS, when the worker has no Ray head', async () => {
    const deps = testDeps(testS3Store(prefix));
    await withWorker(queue, deps, () =>
      withWorker(
        trainingQueue,
        deps,
        async () => {
          const result = await cli('train', JOB, '--backend', 'ray');
          assert.equal(result.code, 1, result.stderr);
          assert.match(result.stderr, /MLOPS_RAY_ADDRESS/);
        },
        { workflows: false },
      ),
    );
  });

  it('refuses an unknown --backend before starting anything', async () => {
    const result = await cli('train', JOB, '--backend', 'kubernetes');
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--backend: must be local or ray/);
  });
});
