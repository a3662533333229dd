import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../lib/tools';
import { cliEnv, runCli } from '../support/cli';
import { testStack } from '../support/stack';
import { testDeps, testS3Store, uniqueQueue, withWorker } from '../support/worker';

const PYTHON = path.join(REPO_ROOT, '.venv', 'bin', 'python');
const JOB = path.join(REPO_ROOT, 'examples', 'churn', 'train.yaml');
const SWEEP = path.join(REPO_ROOT, 'examples', 'churn', 'sweep.yaml');

describe('mlops train, end to end on the churn example', function () {
  this.timeout(120_000);
  const prefix = `cli-train-${randomUUID().slice(0, 8)}`;
  const queue = uniqueQueue('mlops-train');
  const trainingQueue = uniqueQueue('mlops-training');
  let env: NodeJS.ProcessEnv;

  before(() => {
    env = cliEnv(prefix, { MLOPS_TASK_QUEUE: queue, MLOPS_TRAINING_TASK_QUEUE: trainingQueue });
  });

  const cli = (...args: string[]) => runCli(args, env);

  it('trains on a snapshot, tracks the trial and reports its metrics; a bad param fails with the job log', async () => {
    const data = fs.mkdtempSync(path.join(testStack().tmpDir, 'churn-data-'));
    execFileSync(PYTHON, ['examples/churn/generate_data.py', '--rows', '3000', '--seed', '7', '--out', data], {
      cwd: REPO_ROOT,
    });
    const deps = testDeps(testS3Store(prefix));
    await withWorker(queue, deps, () =>
      withWorker(
        trainingQueue,
        deps,
        async () => {
          const snap = await cli('data', 'snapshot', 'churn', data);
          assert.equal(snap.code, 0, snap.stderr);

          const trained = await cli('--json', 'train', JOB, '--set', 'max_iter=30');
          assert.equal(trained.code, 0, trained.stderr);
          const result = JSON.parse(trained.stdout);
          assert.ok(result.metrics.val_auc > 0.7, JSON.stringify(result.metrics));
          assert.match(result.outputUri, new RegExp(`^s3://${testStack().minio.bucket}/${prefix}/experiments/churn/`));

          const trials = await cli('--json', 'experiments', 'show', 'churn', result.workflowId);
          assert.equal(trials.code, 0, trials.stderr);
          const [trial] = JSON.parse(trials.stdout).trials;
          assert.equal(trial.status, 'succeeded');
          assert.equal(trial.params.max_iter, 30);
          assert.equal(trial.metrics.val_auc, result.metrics.val_auc);

          const listed = await cli('--json', 'trials', result.workflowId, '--sort', 'val_auc');
          assert.equal(listed.code, 0, listed.stderr);
          assert.equal(JSON.parse(listed.stdout).trials[0].metrics.val_auc, result.metrics.val_auc);

          // the job file declares its params' types: a mistyped one is refused before anything starts
          const mistyped = await cli('train', JOB, '--set', 'learing_rate=0.1');
          assert.equal(mistyped.code, 2, mistyped.stderr);
          assert.match(mistyped.stderr, /param learing_rate is not declared in paramTypes/);
          assert.doesNotMatch(mistyped.stderr, /started/);
          // one the job's own checks refuse fails the job, its log naming the param
          const bad = await cli('train', JOB, '--set', 'learning_rate=5');
          assert.equal(bad.code, 1);
          assert.match(bad.stderr, /TrainingJobFailed|failed with exit code 2/);
          assert.match(bad.stderr, /learning_rate/);
          const badRun = /started (train\/\S+)/.exec(bad.stderr)?.[1];
          assert.ok(badRun, bad.stderr);
          const logs = await cli('logs', badRun);
          assert.equal(logs.code, 0, logs.stderr);
          assert.match(logs.stdout, /param 'learning_rate' must be a number in \(0, 1\], got 5/);

          // the example sweep, as shipped, cut to three trials
          const swept = await cli('--json', 'sweep', SWEEP, '--wait', '--max-trials', '3', '--set', 'max_iter=20');
          assert.equal(swept.code, 0, swept.stderr);
          const sweep = JSON.parse(swept.stdout);
          assert.match(sweep.workflowId, /^sweep\/churn\//);
          assert.equal(sweep.leaderboard.length, 3);
          const aucs = sweep.leaderboard.map((t: { objective: number }) => t.objective);
          assert.deepEqual(
            aucs,
            [...aucs].sort((a, b) => b - a),
          );
          assert.equal(sweep.bestTrial.objective, aucs[0]);
          assert.ok(aucs[0] > 0.7, String(aucs));
          assert.match(sweep.reportUri, /\/reports\/sweeps\/.*\.html$/);
          const sweepTrials = await cli('--json', 'trials', sweep.workflowId, '--sort', 'val_auc');
          assert.equal(sweepTrials.code, 0, sweepTrials.stderr);
          const listedTrials = JSON.parse(sweepTrials.stdout).trials;
          assert.equal(listedTrials.length, 3);
          assert.equal(listedTrials[0].trial, sweep.bestTrial.trial);
          assert.equal(listedTrials[0].params.max_iter, 20);
          const trialLog = await cli('logs', `trial/${sweep.workflowId}/${sweep.bestTrial.trial}`);
          assert.equal(trialLog.code, 0, trialLog.stderr);
          assert.match(trialLog.stdout, /\S/);
        },
        { workflows: false },
      ),
    );
  });

  it('names the field and the line of a bad job file, and starts nothing', async () => {
    const file = path.join(testStack().tmpDir, `bad-job-${prefix}.yaml`);
    fs.writeFileSync(
      file,
      'name: churn-train\npipeline: churn\ncommand: [python, train.py]\ntimeoutSeconds: -5\nbogus: 1\n',
    );
    const result = await cli('train', file);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /bad-job-.*\.yaml:4: timeoutSeconds: /);
    assert.match(result.stderr, /bogus/);
  });

  it('names the field and the line of a bad sweep file, and starts nothing', async () => {
    const file = path.join(testStack().tmpDir, `bad-sweep-${prefix}.yaml`);
    fs.writeFileSync(
      file,
      [
        'name: churn-sweep',
        'pipeline: churn',
        'command: [python, train.py]',
        'sweep:',
        '  algorithm: random',
        '  objective: { metric: val_auc, direction: up }',
        '  space:',
        '    learning_rate: { type: loguniform, min: 0, max: 0.3 }',
      ].join('\n'),
    );
    const result = await cli('sweep', file);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /bad-sweep-.*\.yaml:6: sweep\.objective\.direction: /);
    assert.match(result.stderr, /:8: sweep\.space\.learning_rate\.min: must be > 0/);
    const flags = await cli('sweep', SWEEP, '--max-trials', '0');
    assert.equal(flags.code, 2);
    assert.match(flags.stderr, /--max-trials: expected a positive integer/);
  });
});
