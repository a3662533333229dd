/**
 * Runs that travel: the CLI in one folder, the workers in others that hold no copy of the code or
 * the data. `mlops run` packages the code and uploads the data into the store; the training worker
 * (its own process, started from an empty folder outside the checkout) and the orchestration worker
 * (whose source roots do not include the CLI's folder) run the churn pipeline with a sweep to an
 * approved model, although the code and data folders are deleted as soon as `mlops run` returns.
 * The same folders again upload nothing and the run ends `unchanged`.
 */
import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { ModelRegistry } from '../../activities/registry';
import { CHURN_EXAMPLE, VENV_PYTHON } from '../support/churn-pipeline';
import { cliEnv, runCli } from '../support/cli';
import { filesUnder, startWorkerIn, stopWorker } from '../support/remote-worker';
import { testStack } from '../support/stack';
import { testDeps, testS3Store, withWorker } from '../support/worker';

describe('runs that travel: workers without the code or the data', function () {
  this.timeout(300_000);
  const id = randomUUID().slice(0, 8);
  const prefix = `travel-${id}`;
  const made: string[] = [];
  let worker: ChildProcess | undefined;
  after(async () => {
    await stopWorker(worker);
    for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
  });
  const freshDir = (name: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mlops-travel-${name}-`));
    made.push(dir);
    return dir;
  };

  /** The user's folder: a copy of the churn example's code, its data, and the pipeline spec. */
  const writeUserFolder = (folder: string) => {
    fs.cpSync(CHURN_EXAMPLE, path.join(folder, 'code'), {
      recursive: true,
      filter: (src) => !/(__pycache__|\.pyc$)/.test(src),
    });
    execFileSync(
      VENV_PYTHON,
      ['generate_data.py', '--rows', '2000', '--seed', '3', '--out', path.join(folder, 'data')],
      {
        cwd: CHURN_EXAMPLE,
      },
    );
    const spec = parseDocument(fs.readFileSync(path.join(CHURN_EXAMPLE, 'pipeline.yaml'), 'utf8')).toJS();
    spec.name = spec.model = spec.dataset.name = 'churn-travel';
    spec.dataset.source = '../data';
    delete spec.dataset.workerPath;
    spec.training.codeDir = '../code';
    spec.evaluation.codeDir = '../code';
    spec.training.params = { max_iter: 30 };
    spec.training.sweep = {
      algorithm: 'grid',
      parallelism: 2,
      objective: { metric: 'val_auc', direction: 'maximize' },
      space: { max_depth: { type: 'choice', values: [2, 4] } },
    };
    delete spec.notifications;
    delete spec.rollout;
    delete spec.monitoring;
    fs.mkdirSync(path.join(folder, 'pipelines'), { recursive: true });
    fs.writeFileSync(path.join(folder, 'pipelines', 'churn-travel.yaml'), JSON.stringify(spec, null, 2));
  };

  it('trains, sweeps, evaluates and registers from a package and an upload, then re-runs as unchanged uploading nothing', async () => {
    const { env: testEnv } = testStack();
    const store = testS3Store(prefix);
    // the training worker's host: an empty working directory (its only source root) and a home of its own
    const workDir = freshDir('worker');
    const workerEnv = cliEnv(prefix, { MLOPS_HOME: freshDir('worker-home'), MLOPS_SOURCE_ROOTS: workDir });
    worker = await startWorkerIn(workDir, workerEnv, ['--queues', 'training']);
    // the user's machine, outside every worker's source roots
    const user = freshDir('user');
    writeUserFolder(user);
    const env = cliEnv(prefix, { MLOPS_HOME: freshDir('cli-home'), MLOPS_SOURCE_ROOTS: user });
    const cli = async (...args: string[]) => {
      const r = await runCli(
        ['--json', ...args],
        { ...env, MLOPS_PIPELINES_DIR: path.join(user, 'pipelines') },
        240_000,
        {
          cwd: user,
        },
      );
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout);
    };
    // the orchestration worker runs here, reading no folder of the user's
    const deps = { ...testDeps(store), sourceRoots: [freshDir('orchestration')] };

    await withWorker(env.MLOPS_TASK_QUEUE!, deps, async () => {
      const started = await cli('run', 'churn-travel', '--no-wait');
      fs.rmSync(path.join(user, 'code'), { recursive: true });
      fs.rmSync(path.join(user, 'data'), { recursive: true });
      const result = await testEnv.client.workflow.getHandle(started.workflowId).result();
      assert.equal(result.outcome, 'approved', JSON.stringify(result.decision));
      assert.equal(result.version, 1);

      const [code] = started.packages;
      // the run's details in the Temporal UI name the package and the upload it runs
      const details = await (await testEnv.client.workflow.getHandle(started.workflowId).describe()).staticDetails();
      assert.match(details ?? '', new RegExp(`code package \`${code.digest}\``));
      assert.match(details ?? '', new RegExp(`data uploaded as \`${started.data.source}\``));
      assert.match(code.digest, /^sha256:[0-9a-f]{64}$/);
      assert.equal(code.uploaded, true);
      assert.match(started.data.source, /^upload:\/\//);
      assert.ok(started.data.uploadedFiles > 0, JSON.stringify(started.data));
      // the lineage names the code package and the snapshot of the uploaded data
      const { version } = await new ModelRegistry(store).describeVersion('churn-travel', 1);
      assert.equal(version.codeVersion, code.digest);
      assert.equal(version.trainingSnapshot.dataset, 'churn-travel');
      assert.equal(version.trainingSnapshot.id, result.snapshot);
      const files = await cli('data', 'show', 'churn-travel', version.trainingSnapshot.id);
      assert.deepEqual(
        files.manifest.files.map((f: { path: string }) => f.path),
        ['holdout.csv', 'train.csv'],
      );
      // the sweep's trials ran on the remote worker, from the package it materialized
      assert.ok(result.links.sweep, JSON.stringify(result.links));
      const materialized = filesUnder(path.join(workerEnv.MLOPS_HOME!, 'jobs', 'code', code.digest.slice(7)));
      assert.ok(materialized.includes('train.py') && materialized.includes('evaluate.py'), materialized.join(', '));
      assert.deepEqual(filesUnder(workDir), [], "the training worker's working directory stays empty");

      // the same code and data again: nothing to upload, nothing to train
      writeUserFolder(user);
      const again = await cli('run', 'churn-travel', '--wait');
      assert.equal(again.outcome, 'unchanged');
      assert.deepEqual(
        again.packages.map((c: { digest: string; uploaded: boolean }) => [c.digest, c.uploaded]),
        [[code.digest, false]],
      );
      assert.equal(again.data.source, started.data.source);
      assert.equal(again.data.uploadedFiles, 0);
      assert.equal(again.data.uploadedBytes, 0);
    });
  });
});
