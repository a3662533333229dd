/**
 * A training worker that holds no code: `mlops worker --queues training` started from an empty
 * folder outside the checkout, with MinIO as its store, its own home and its own task queue, runs
 * the churn example's training job from a code package whose folder was deleted before the run.
 */
import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { packageCode } from '../../activities/code';
import { snapshotDataset } from '../../activities/data';
import { REPO_ROOT } from '../../lib/tools';
import { trainModel } from '../../workflows';
import { CHURN_EXAMPLE, VENV_PYTHON } from '../support/churn-pipeline';
import { cliEnv } from '../support/cli';
import { filesUnder, startWorkerIn } from '../support/remote-worker';
import { testStack } from '../support/stack';
import { testDeps, testS3Store, uniqueQueue, withWorker } from '../support/worker';

describe('a training worker that holds no code', function () {
  this.timeout(180_000);
  const made: string[] = [];
  let worker: ChildProcess | undefined;
  after(async function () {
    if (worker && worker.exitCode === null) {
      const exited = new Promise((resolve) => worker!.once('exit', resolve));
      worker.kill('SIGTERM');
      await Promise.race([exited, sleep(15_000).then(() => worker!.kill('SIGKILL'))]);
    }
    for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
  });
  const freshDir = (name: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mlops-remote-${name}-`));
    made.push(dir);
    return dir;
  };

  it('runs the churn training job from a code package, from an empty folder outside the checkout', async function () {
    const { tmpDir, env: testEnv } = testStack();
    const id = randomUUID().slice(0, 8);
    const prefix = `remote-${id}`;
    const store = testS3Store(prefix);

    // the worker's host: an empty working directory (its only source root) and a home of its own
    const workDir = freshDir('cwd');
    const home = freshDir('home');
    assert.ok(path.relative(REPO_ROOT, workDir).startsWith('..'), 'the working directory lies outside the checkout');
    const env = cliEnv(prefix, { MLOPS_HOME: home, MLOPS_SOURCE_ROOTS: workDir });
    const trainingQueue = env.MLOPS_TRAINING_TASK_QUEUE ?? '';
    worker = await startWorkerIn(workDir, env, ['--queues', 'training']);

    // the user's machine: the data snapshotted into the store, a copy of the code packaged, both deleted
    const data = fs.mkdtempSync(path.join(tmpDir, `${prefix}-data-`));
    execFileSync(VENV_PYTHON, ['generate_data.py', '--rows', '600', '--seed', '5', '--out', data], {
      cwd: CHURN_EXAMPLE,
    });
    const snapshot = await snapshotDataset(store, { dataset: 'churn', source: data });
    fs.rmSync(data, { recursive: true });
    const code = fs.mkdtempSync(path.join(tmpDir, `${prefix}-code-`));
    fs.cpSync(CHURN_EXAMPLE, code, { recursive: true });
    const codeFiles = filesUnder(code).filter((f) => f.endsWith('.py'));
    assert.ok(codeFiles.includes('train.py'));
    const { digest } = await packageCode(store, code);
    fs.rmSync(code, { recursive: true });

    // the orchestration worker runs in this process; only the remote worker polls the training queue
    const queue = uniqueQueue('remote-orchestration');
    const result = await withWorker(queue, testDeps(store), () =>
      testEnv.client.workflow.execute(trainModel, {
        workflowId: `train/remote/${id}`,
        taskQueue: queue,
        args: [
          {
            pipeline: 'churn-remote',
            trainingTaskQueue: trainingQueue,
            primaryMetric: 'val_auc',
            job: {
              name: 'churn-train',
              command: ['python', 'train.py'],
              codePackage: { digest },
              input: { dataset: 'churn', snapshot: snapshot.id },
              params: { max_iter: 20 },
            },
          },
        ],
      }),
    );

    // it trained: metrics, and the model folder in the store
    assert.ok(result.metrics.val_auc! > 0.5, `val_auc ${JSON.stringify(result.metrics)}`);
    assert.ok(result.outputUri?.startsWith(`${store.uri}/`), result.outputUri);
    const outputKeys: string[] = [];
    for await (const object of store.list(`${result.outputUri!.slice(store.uri.length + 1)}/`))
      outputKeys.push(object.key);
    assert.ok(
      outputKeys.some((k) => k.endsWith('/model.joblib')),
      `no model.joblib in ${JSON.stringify(outputKeys)}`,
    );

    // the code came from the package: materialized once under the worker's home, by digest
    const cache = path.join(home, 'jobs', 'code', digest.slice('sha256:'.length));
    assert.deepEqual(
      filesUnder(cache)
        .filter((f) => f.endsWith('.py'))
        .sort(),
      [...codeFiles].sort(),
    );
    // and nowhere else: not in the working directory, and in the home only in the cache and the job's copy
    assert.deepEqual(filesUnder(workDir), [], 'the working directory stays empty');
    const jobsRoot = path.join(home, 'jobs');
    const trainCopies = filesUnder(home)
      .filter((f) => path.basename(f) === 'train.py')
      .map((f) => path.relative(jobsRoot, path.join(home, f)).split(path.sep));
    for (const parts of trainCopies) {
      const inCache = parts[0] === 'code';
      const inJobCopy = parts[1] === 'code' && parts.length === 3;
      assert.ok(
        inCache || inJobCopy,
        `train.py found at ${parts.join('/')}, outside the code cache and the job's copy`,
      );
    }
    assert.ok(!fs.existsSync(code), 'the packaged folder is gone');
  });
});
