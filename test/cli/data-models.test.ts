import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ModelRegistry } from '../../activities/registry';
import { cliEnv, runCli } from '../support/cli';
import { testStack } from '../support/stack';
import { testDeps, testS3Store, uniqueQueue, withWorker } from '../support/worker';

function csv(rows: number): string {
  const lines = ['customer_id,tenure,plan,churned'];
  for (let i = 0; i < rows; i++) lines.push(`${i},${(i * 7) % 60},${i % 3 === 0 ? 'pro' : 'basic'},${i % 4 === 0}`);
  return lines.join('\n') + '\n';
}

describe('mlops data and mlops models, end to end', function () {
  this.timeout(120_000);
  const prefix = `cli-data-${randomUUID().slice(0, 8)}`;
  const queue = uniqueQueue('mlops-cli-data');
  let env: NodeJS.ProcessEnv;
  let dir: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(testStack().tmpDir, 'dataset-'));
    env = cliEnv(prefix, { MLOPS_TASK_QUEUE: queue, MLOPS_ACTOR: 'ada@example.com' });
  });

  const cli = (...args: string[]) => runCli(args, env);

  it('snapshots a folder twice and diffs the versions: a changed file and a changed row count', async () => {
    const store = testS3Store(prefix);
    await withWorker(queue, testDeps(store), async () => {
      fs.writeFileSync(path.join(dir, 'train.csv'), csv(10));
      fs.writeFileSync(path.join(dir, 'README.txt'), 'churn data\n');
      const first = await cli('--json', 'data', 'snapshot', 'churn', dir, '--description', 'first');
      assert.equal(first.code, 0, first.stderr);
      const a = JSON.parse(first.stdout).snapshot;
      assert.equal(a.created, true);
      assert.equal(a.fileCount, 2);

      const again = await cli('--json', 'data', 'snapshot', 'churn', dir);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(JSON.parse(again.stdout).snapshot.id, a.id, 'identical content gives the identical id');
      assert.equal(JSON.parse(again.stdout).upload.uploadedFiles, 0, 'the CLI uploads nothing the store has');

      fs.writeFileSync(path.join(dir, 'train.csv'), csv(15));
      const second = await cli('--json', 'data', 'snapshot', 'churn', dir);
      assert.equal(second.code, 0, second.stderr);
      const b = JSON.parse(second.stdout).snapshot;
      assert.notEqual(b.id, a.id);
      assert.equal(b.parent, a.id);
      assert.equal(JSON.parse(second.stdout).upload.uploadedFiles, 1, 'only the changed file is uploaded');
      assert.equal(b.uploadedFiles, 0, 'the worker stores nothing: the CLI uploaded it');

      const list = await cli('--json', 'data', 'list', 'churn');
      assert.deepEqual(
        JSON.parse(list.stdout).snapshots.map((s: { id: string }) => s.id),
        [b.id, a.id],
      );

      const diff = await cli('data', 'diff', 'churn', a.id.slice(0, 8), 'latest');
      assert.equal(diff.code, 0, diff.stderr);
      assert.match(diff.stdout, /changed\s+train\.csv/);
      assert.match(diff.stdout, /train\.csv: rows 10 → 15/);
      assert.doesNotMatch(diff.stdout, /README\.txt/);

      const show = await cli('data', 'show', 'churn', 'latest');
      assert.equal(show.code, 0, show.stderr);
      assert.match(show.stdout, /train\.csv: 15 rows, 4 columns/);
      assert.match(show.stdout, /tenure\s+integer/);
    });
  });

  it('restores a snapshot byte for byte and validates it against an expectations file', async () => {
    const target = path.join(testStack().tmpDir, `restored-${prefix}`);
    const restored = await cli('--json', 'data', 'materialize', 'churn', 'latest', target);
    assert.equal(restored.code, 0, restored.stderr);
    assert.equal(JSON.parse(restored.stdout).fileCount, 2);
    for (const file of ['train.csv', 'README.txt']) {
      assert.deepEqual(fs.readFileSync(path.join(target, file)), fs.readFileSync(path.join(dir, file)));
    }

    const expectations = path.join(testStack().tmpDir, `expect-${prefix}.json`);
    fs.writeFileSync(expectations, JSON.stringify({ minRows: 10, labelColumn: 'churned', maxNullRate: { tenure: 0 } }));
    const passed = await cli('data', 'validate', 'churn', 'latest', '--expectations', expectations);
    assert.equal(passed.code, 0, passed.stderr);
    assert.match(passed.stdout, /passed/);
    fs.writeFileSync(expectations, JSON.stringify({ minRows: 100 }));
    const failed = await cli('data', 'validate', 'churn', 'latest', '--expectations', expectations);
    assert.equal(failed.code, 1);
    assert.match(failed.stdout, /FAIL\s+minRows/);
  });

  it('refuses a missing folder and a ragged CSV with a message naming the file, and records no snapshot', async () => {
    const store = testS3Store(prefix);
    await withWorker(queue, testDeps(store), async () => {
      const missing = await cli('data', 'snapshot', 'churn', path.join(dir, 'nope'));
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /nope does not exist/);

      const ragged = fs.mkdtempSync(path.join(testStack().tmpDir, 'ragged-'));
      fs.writeFileSync(path.join(ragged, 'bad.csv'), 'a,b\n1,2\n3\n');
      const result = await cli('data', 'snapshot', 'churn', ragged);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /bad\.csv/);
      assert.doesNotMatch(result.stderr, /\n\s+at /);

      const list = await cli('--json', 'data', 'list', 'churn');
      assert.equal(JSON.parse(list.stdout).snapshots.length, 2);
    });
  });

  it('moves an alias with identity and reason, and shows lineage and the audit trail', async () => {
    const registry = new ModelRegistry(testS3Store(prefix));
    for (const run of ['retrain/churn/1', 'retrain/churn/2']) {
      await registry.registerModel({
        model: 'churn',
        artifactUri: `s3://bucket/${run}/model.joblib`,
        metrics: { auc: run.endsWith('1') ? 0.81 : 0.84 },
        params: { max_depth: 6 },
        trainingSnapshot: { dataset: 'churn', id: 'a'.repeat(64) },
        codeVersion: 'git:abc123',
        pipelineRun: run,
        trigger: 'manual',
      });
    }
    const moved = await cli('models', 'alias', 'churn', 'champion', '2', '--reason', 'better AUC on holdout');
    assert.equal(moved.code, 0, moved.stderr);
    assert.match(moved.stdout, /champion → version 2/);

    const stale = await cli(
      'models',
      'alias',
      'churn',
      'champion',
      '1',
      '--reason',
      'roll back',
      '--expected-version',
      '1',
    );
    assert.equal(stale.code, 1);
    assert.match(stale.stderr, /not moved: it points at 2/);

    const show = await cli('--json', 'models', 'show', 'churn', 'champion');
    assert.equal(show.code, 0, show.stderr);
    const details = JSON.parse(show.stdout);
    assert.equal(details.version.version, 2);
    assert.deepEqual(details.aliases, ['champion']);
    assert.equal(details.version.codeVersion, 'git:abc123');
    const aliasEntry = details.audit.find((e: { action: string }) => e.action === 'alias');
    assert.equal(aliasEntry.actor, 'ada@example.com');
    assert.equal(aliasEntry.reason, 'better AUC on holdout');

    const list = await cli('models', 'list', 'churn');
    assert.match(list.stdout, /^2\s+candidate\s+champion/m);
    const noReason = await cli('models', 'alias', 'churn', 'challenger', '1');
    assert.equal(noReason.code, 2);
    assert.match(noReason.stderr, /--reason/);
  });
  it("shows the outputs of a pipeline's steps in the lineage, as text and as JSON", async () => {
    const registry = new ModelRegistry(testS3Store(prefix));
    const steps = [{ step: 'features', dataset: 'forecast-features', id: 'e5'.repeat(32) }];
    await registry.registerModel({
      model: 'forecast',
      artifactUri: 's3://bucket/retrain/forecast/1/model.joblib',
      metrics: { rmse: 1.5 },
      params: {},
      trainingSnapshot: { dataset: 'forecast-features', id: 'e5'.repeat(32) },
      steps,
      codeVersion: 'git:abc123',
      pipelineRun: 'retrain/forecast/1',
      trigger: 'manual',
    });
    const text = await cli('models', 'show', 'forecast', '1');
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^lineage\n[\s\S]*step features\s+forecast-features@e5e5e5e5e5e5\n[\s\S]*^metrics$/m);
    const json = await cli('--json', 'models', 'show', 'forecast', '1');
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout).version.steps, steps);
  });
});
