/**
 * Code packages from the CLI, on the shared dev server and MinIO with real workers: `mlops train`
 * packages the job's code folder into the store and the job runs the package (its folder deleted
 * right after the command returned), `--json` names the digest, unchanged code uploads nothing, and
 * `mlops run` refuses a code folder past the size limit (exit 2, naming `training.codeDir` and the
 * largest file) and starts nothing.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { TrainModelOutput } from '../../workflows/train-model';
import { REPO_ROOT } from '../../lib/tools';
import { cliEnv, runCli } from '../support/cli';
import { testStack } from '../support/stack';
import { testDeps, testS3Store, uniqueQueue, withWorker } from '../support/worker';

const PYTHON = path.join(REPO_ROOT, '.venv', 'bin', 'python');
const CHURN = path.join(REPO_ROOT, 'examples', 'churn');

/** A copy of the churn example's code and job file in a new folder of the test run. */
function copyOfChurnCode(): string {
  const dir = fs.mkdtempSync(path.join(testStack().tmpDir, 'churn-code-'));
  for (const file of ['train.py', 'features.py', 'evaluate.py', 'train.yaml'])
    fs.copyFileSync(path.join(CHURN, file), path.join(dir, file));
  return dir;
}

describe('code packages from the CLI', function () {
  this.timeout(180_000);
  const prefix = `cli-code-${randomUUID().slice(0, 8)}`;
  const queue = uniqueQueue('mlops-code');
  const trainingQueue = uniqueQueue('mlops-code-training');
  let env: NodeJS.ProcessEnv;

  before(() => {
    env = cliEnv(prefix, { MLOPS_TASK_QUEUE: queue, MLOPS_TRAINING_TASK_QUEUE: trainingQueue });
  });

  const cli = (...args: string[]) => runCli(args, env);

  it('trains from the package of a code folder deleted once the command returned; unchanged code uploads nothing', async () => {
    const data = fs.mkdtempSync(path.join(testStack().tmpDir, 'churn-data-'));
    execFileSync(PYTHON, ['examples/churn/generate_data.py', '--rows', '2000', '--seed', '3', '--out', data], {
      cwd: REPO_ROOT,
    });
    const store = testS3Store(prefix);
    const deps = testDeps(store);
    await withWorker(queue, deps, () =>
      withWorker(
        trainingQueue,
        deps,
        async () => {
          const snap = await cli('data', 'snapshot', 'churn', data);
          assert.equal(snap.code, 0, snap.stderr);

          const code = copyOfChurnCode();
          const started = await cli(
            '--json',
            'train',
            path.join(code, 'train.yaml'),
            '--set',
            'max_iter=20',
            '--no-wait',
          );
          assert.equal(started.code, 0, started.stderr);
          fs.rmSync(code, { recursive: true });
          const out = JSON.parse(started.stdout) as {
            workflowId: string;
            packages: { folder: string; digest: string; files: number; uploaded: boolean }[];
          };
          assert.equal(out.packages.length, 1);
          const [pkg] = out.packages;
          assert.match(pkg!.digest, /^sha256:[0-9a-f]{64}$/);
          assert.equal(pkg!.folder, code);
          assert.equal(pkg!.files, 4);
          assert.equal(pkg!.uploaded, true);
          assert.ok(await store.head(`code/${pkg!.digest.slice('sha256:'.length)}.zip`), 'the package is in the store');

          const result = (await testStack().env.client.workflow.getHandle(out.workflowId).result()) as TrainModelOutput;
          assert.ok(result.metrics.val_auc! > 0.6, JSON.stringify(result.metrics));

          // the same code from another folder: the same digest, nothing uploaded, printed as such
          const again = copyOfChurnCode();
          const second = await cli('train', path.join(again, 'train.yaml'), '--set', 'max_iter=20', '--no-wait');
          assert.equal(second.code, 0, second.stderr);
          assert.ok(
            second.stderr.includes(
              `packaged training code ${again}: ${pkg!.digest.slice(0, 19)} (4 files, already in the store)`,
            ),
            second.stderr,
          );
          const secondRun = /started (train\/\S+)/.exec(second.stderr)?.[1];
          assert.ok(secondRun, second.stderr);
          await testStack().env.client.workflow.getHandle(secondRun).result();
        },
        { workflows: false },
      ),
    );
  });

  it('refuses a code folder past the size limit, naming training.codeDir and its largest file, and starts nothing', async () => {
    const root = fs.mkdtempSync(path.join(testStack().tmpDir, 'too-large-'));
    const code = path.join(root, 'code');
    fs.mkdirSync(path.join(root, 'data'));
    fs.mkdirSync(code);
    fs.writeFileSync(path.join(root, 'data', 'train.csv'), 'a,b\n1,2\n');
    fs.writeFileSync(path.join(code, 'train.py'), 'print("train")\n');
    fs.writeFileSync(path.join(code, 'evaluate.py'), 'print("evaluate")\n');
    fs.writeFileSync(path.join(code, 'weights.bin'), Buffer.alloc(200 * 1024, 1));
    const name = `big-${prefix.slice(-8)}`;
    const spec = path.join(root, 'pipeline.yaml');
    fs.writeFileSync(
      spec,
      [
        `name: ${name}`,
        `model: ${name}`,
        'dataset: { name: big, source: data }',
        'training: { entrypoint: [python, train.py], codeDir: code }',
        'evaluation: { entrypoint: [python, evaluate.py], codeDir: code, primaryMetric: auc }',
        '',
      ].join('\n'),
    );
    const refused = await runCli(['run', name, '--spec', spec], { ...env, MLOPS_CODE_PACKAGE_MAX_BYTES: '65536' });
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /training\.codeDir: /);
    assert.match(refused.stderr, /weights\.bin \(200\.0 KiB\)/);
    assert.doesNotMatch(refused.stderr, /started/);
    const { client } = testStack().env;
    const runs = await client.workflow.count(`WorkflowId STARTS_WITH "retrain/${name}/"`);
    assert.equal(runs.count, 0, 'no run was started');
  });

  it('applies schedules whose spec carries the code digest; a code change is an update', async () => {
    const root = fs.mkdtempSync(path.join(testStack().tmpDir, 'scheduled-'));
    fs.mkdirSync(path.join(root, 'data'));
    fs.writeFileSync(path.join(root, 'data', 'train.csv'), 'a,b\n1,2\n');
    fs.writeFileSync(path.join(root, 'train.py'), 'print("train")\n');
    fs.writeFileSync(path.join(root, 'evaluate.py'), 'print("evaluate")\n');
    const name = `sched-${prefix.slice(-8)}`;
    fs.writeFileSync(
      path.join(root, 'pipeline.yaml'),
      [
        `name: ${name}`,
        `model: ${name}`,
        'dataset: { name: sched, source: data, workerPath: true }',
        'training: { entrypoint: [python, train.py] }',
        'evaluation: { entrypoint: [python, evaluate.py], primaryMetric: auc }',
        "schedule: { cron: '0 3 * * *' }",
        '',
      ].join('\n'),
    );
    const store = testS3Store(prefix);
    const { client } = testStack().env;
    const scheduledSpec = async () => {
      const d = await client.schedule.getHandle(`retrain/${name}`).describe();
      return (
        d.action.args as [{ spec: { training: { codePackage?: string }; evaluation: { codePackage?: string } } }]
      )[0].spec;
    };
    try {
      // a dry run computes the digest and uploads nothing
      const dry = await cli('--json', 'pipeline', 'apply', path.join(root, 'pipeline.yaml'), '--dry-run');
      assert.equal(dry.code, 0, dry.stderr);
      const [planned] = JSON.parse(dry.stdout).packages as { digest: string; wouldUpload: boolean }[];
      assert.equal(planned!.wouldUpload, true);
      assert.equal(await store.head(`code/${planned!.digest.slice('sha256:'.length)}.zip`), undefined);

      const applied = await cli('--json', 'pipeline', 'apply', path.join(root, 'pipeline.yaml'));
      assert.equal(applied.code, 0, applied.stderr);
      const report = JSON.parse(applied.stdout);
      assert.deepEqual(
        report.packages.map((p: { sections: string[]; digest: string; uploaded: boolean }) => [
          p.sections,
          p.digest,
          p.uploaded,
        ]),
        [[['training', 'evaluation'], planned!.digest, true]],
      );
      const first = await scheduledSpec();
      assert.equal(first.training.codePackage, planned!.digest);
      assert.equal(first.evaluation.codePackage, planned!.digest);
      assert.ok(await store.head(`code/${planned!.digest.slice('sha256:'.length)}.zip`));

      const same = await cli('pipeline', 'apply', path.join(root, 'pipeline.yaml'));
      assert.equal(same.code, 0, same.stderr);
      assert.match(same.stdout, /^= unchanged retrain\//m);
      assert.match(same.stderr, /already in the store/);

      fs.writeFileSync(path.join(root, 'train.py'), 'print("train, better")\n');
      const changed = await cli('pipeline', 'apply', path.join(root, 'pipeline.yaml'));
      assert.equal(changed.code, 0, changed.stderr);
      assert.match(changed.stdout, /^~ update\s+retrain\//m);
      const second = await scheduledSpec();
      assert.match(second.training.codePackage ?? '', /^sha256:[0-9a-f]{64}$/);
      assert.notEqual(second.training.codePackage, first.training.codePackage);
    } finally {
      await client.schedule
        .getHandle(`retrain/${name}`)
        .delete()
        .catch(() => undefined);
    }
  });
});
