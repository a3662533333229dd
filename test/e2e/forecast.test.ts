/**
 * The forecast example end to end, as a user outside the built-in pipeline runs it: a real
 * `mlops worker --workflows examples/forecast/workflows.ts`, and `mlops run forecast --spec
 * examples/forecast/pipeline.yaml` with nothing prepared on disk. The run extracts its data with a
 * job, snapshots it, builds features, trains two algorithms side by side, evaluates both on one
 * holdout, waits for a person's approval (`mlops approve`), rolls the better one out to the
 * endpoint `forecast` (a real model server behind the gateway) and scores the holdout in batch.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ModelRegistry } from '../../activities/registry';
import { cliEnv, runCli } from '../support/cli';
import { recordHistory } from '../support/histories';
import { startTestServing, type TestServing } from '../support/serving';
import { testStack } from '../support/stack';
import { suiteTeardown } from '../support/teardown';
import { testS3Store } from '../support/worker';
import { startWorkerProcess } from '../training/helpers';

const SPEC = 'examples/forecast/pipeline.yaml';

describe('the forecast pipeline written in TypeScript, end to end', function () {
  this.timeout(420_000);
  const prefix = `e2e-forecast-${randomUUID().slice(0, 8)}`;
  let store: ReturnType<typeof testS3Store>;
  let serving: TestServing;
  let env: NodeJS.ProcessEnv;
  const teardown = suiteTeardown();

  const json = async (...args: string[]) => {
    const r = await runCli(['--json', ...args], env, 120_000);
    return { ...r, body: r.stdout.trim() ? JSON.parse(r.stdout) : undefined };
  };
  const statusOf = async (workflowId: string) => {
    const s = await json('status', workflowId);
    assert.equal(s.code, 0, s.stderr);
    return s.body as { stage: string; outcome?: string; version?: number; snapshot?: string; steps: Step[] };
  };
  const waitForStage = async (workflowId: string, stages: string[], ms: number) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const status = await statusOf(workflowId);
      if (stages.includes(status.stage)) return status;
      assert.ok(Date.now() < deadline, `never reached ${stages.join(' or ')}: ${JSON.stringify(status.steps)}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  };

  before(async () => {
    store = testS3Store(prefix);
    const home = fs.mkdtempSync(path.join(testStack().tmpDir, `${prefix}-home-`));
    serving = await teardown.start(
      'the gateway',
      () => startTestServing(store, home),
      (s) => s.stop(),
    );
    env = cliEnv(prefix, { ...serving.env, MLOPS_HOME: home, MLOPS_ACTOR: 'dana@forecast' });
    await teardown.start(
      'the worker',
      () => startWorkerProcess(env, ['--workflows', 'examples/forecast/workflows.ts']),
      async (w) => void (w.exitCode === null && w.kill('SIGKILL')),
    );
  });

  it('runs from an extract to an approved, served version, then scores the holdout with it', async () => {
    const started = await json('run', 'forecast', '--spec', SPEC, '--no-wait');
    assert.equal(started.code, 0, started.stderr);
    const { workflowId } = started.body as { workflowId: string };

    const waiting = await waitForStage(workflowId, ['awaiting-approval', 'rejected', 'failed'], 240_000);
    assert.equal(waiting.stage, 'awaiting-approval', JSON.stringify(waiting.steps));
    const state = (name: string) => waiting.steps.find((s) => s.name === name)?.state;
    for (const step of ['extract', 'features', 'train-ridge', 'train-gradient_boosting', 'evaluate', 'register'])
      assert.equal(state(step), 'done', `${step}: ${JSON.stringify(waiting.steps)}`);
    assert.equal(state('approval'), 'running');
    assert.match(waiting.snapshot ?? '', /^[0-9a-f]{64}$/, "the extract's output is the run's dataset version");

    // listed with the pipeline's other runs, and decided by a person with the CLI
    const listed = await json('runs', 'list', '--pipeline', 'forecast');
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok((listed.body.runs as { workflowId: string }[]).some((r) => r.workflowId === workflowId));
    const approved = await json('approve', workflowId, '--reason', 'the better of two, rmse down');
    assert.equal(approved.code, 0, approved.stderr);

    const done = await waitForStage(workflowId, ['done', 'rejected', 'failed'], 240_000);
    assert.equal(done.stage, 'done', JSON.stringify(done.steps));
    assert.equal(done.version, 1);
    assert.equal(done.steps.find((s) => s.name === 'score')?.state, 'done');
    assert.match(done.steps.find((s) => s.name === 'score')?.summary ?? '', /rows_scored=\d+/);
    await recordHistory('forecast-approved', workflowId);

    // the version: the better candidate, approved by the person, its lineage down to the extract
    const registry = new ModelRegistry(store);
    const champion = await registry.describeVersion('forecast', 'champion');
    assert.equal(champion.version.version, 1);
    assert.equal(champion.status, 'production');
    assert.deepEqual(
      champion.version.steps?.map((s) => [s.step, s.dataset]),
      [
        ['extract', 'forecast'],
        ['features', 'forecast-features'],
      ],
    );
    assert.equal(champion.version.params?.algorithm, 'gradient_boosting', 'the lower rmse of the two');

    // served through the gateway: one prediction per row of the holdout's features
    const restored = path.join(testStack().tmpDir, `${prefix}-features`);
    const materialized = await json('data', 'materialize', 'forecast-features', 'latest', restored);
    assert.equal(materialized.code, 0, materialized.stderr);
    const lines = fs.readFileSync(path.join(restored, 'holdout.csv'), 'utf8').trim().split('\n');
    const header = lines[0]!.split(',');
    const rows = lines.slice(1, 4).map((line) =>
      Object.fromEntries(
        line
          .split(',')
          .map((cell, i) => [header[i]!, Number(cell)] as const)
          .filter(([name]) => !['date', 'store', 'item', 'units'].includes(name)),
      ),
    );
    const rowsFile = path.join(testStack().tmpDir, `${prefix}-rows.json`);
    fs.writeFileSync(rowsFile, JSON.stringify(rows));
    const predicted = await json('predict', 'forecast', '--data', rowsFile);
    assert.equal(predicted.code, 0, predicted.stderr);
    assert.match(predicted.body.model, /forecast-v1/);
    const outputs = predicted.body.outputs as { data: number[] }[];
    assert.equal(outputs[0]!.data.length, 3, 'one forecast per row');
    assert.ok(
      outputs[0]!.data.every((v) => Number.isFinite(v) && v >= 0),
      `demand forecasts: ${outputs[0]!.data}`,
    );
  });
});

interface Step {
  name: string;
  state: string;
  summary?: string;
}
