/**
 * The churn example pipeline from data to a serving endpoint: `mlops run churn` with the example's
 * spec (only its paths pointed at this run's data) on a real `mlops worker` process, real model
 * variants behind the real gateway. The first run deploys v1 at 100%; the second canaries v2 under
 * live traffic while the worker is SIGKILLed mid-bake and restarted: the rollout resumes with the
 * same model server (no second variant), promotes v2 and retires v1.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ModelRegistry } from '../../activities/registry';
import { setUpChurnPipeline, type ChurnPipeline } from '../support/churn-pipeline';
import { testStack } from '../support/stack';
import { suiteTeardown } from '../support/teardown';
import { startTraffic } from '../support/traffic';
import { startWorkerProcess } from '../training/helpers';

describe('the churn pipeline with its rollout section, end to end', function () {
  this.timeout(420_000);
  const prefix = `e2e-pipe-ro-${randomUUID().slice(0, 8)}`;
  let pipeline: ChurnPipeline;
  const workers: ChildProcess[] = [];

  const json = (...args: string[]) => pipeline.json(...args);
  const variantsOf = () => pipeline.variantsOf('churn');

  const teardown = suiteTeardown();

  before(async () => {
    pipeline = await teardown.start(
      'the churn pipeline',
      () => setUpChurnPipeline(prefix),
      (p) => p.serving.stop(),
    );
    // the workers a test starts later are stopped too
    teardown.add('the workers', () => workers.forEach((w) => w.exitCode === null && w.kill('SIGKILL')));
    workers.push(await startWorkerProcess(pipeline.env));
  });

  it('serves v1 at 100% after the first run, and predict answers through the gateway', async () => {
    const run = await json('run', 'churn', '--spec', pipeline.specFile, '--wait');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.body.outcome, 'approved');
    assert.equal(run.body.version, 1);
    assert.equal(run.body.links.rollout, 'rollout/churn');
    assert.deepEqual(await variantsOf(), [[1, 100]]);
    const predicted = await json('predict', 'churn', '--data', pipeline.rowsFile);
    assert.equal(predicted.code, 0, predicted.stderr);
    assert.match(predicted.body.model, /churn-v1/, 'served by v1');
    const outputs = predicted.body.outputs as { name: string; data: number[] }[];
    assert.equal(outputs[0]!.data.length, 3, 'one prediction per row');
    const registry = new ModelRegistry(pipeline.store);
    const champion = await registry.describeVersion('churn', 'champion');
    assert.equal(champion.version.version, 1);
    assert.equal(champion.status, 'production');
  });

  it('canaries v2 under traffic across a worker SIGKILL mid-bake, without a second variant, and retires v1', async () => {
    const { serving, inferenceBody, env } = pipeline;
    const traffic = startTraffic(serving.gateway.url, 'churn', () => inferenceBody, 20);
    try {
      const started = await json(
        'run',
        'churn',
        '--spec',
        pipeline.specFile,
        '--force',
        '--reason',
        'canary drill',
        '--no-wait',
      );
      assert.equal(started.code, 0, started.stderr);
      const handle = testStack().env.client.workflow.getHandle(started.body.workflowId);

      // wait for the canary step, then kill the worker without warning
      const deadline = Date.now() + 240_000;
      for (;;) {
        const status = await json('rollout', 'status', 'churn');
        if (status.body?.phase === 'baking' && status.body.version === 2) break;
        assert.ok(Date.now() < deadline, `never baked v2: ${status.stdout}${status.stderr}`);
        await new Promise((r) => setTimeout(r, 500));
      }
      const variantDir = path.join(serving.servingRoot, 'churn', 'churn-v2');
      const launched = fs.readFileSync(path.join(variantDir, 'variant.json'), 'utf8');
      const pid = fs.readFileSync(path.join(variantDir, 'pid'), 'utf8');
      workers[0]!.kill('SIGKILL');
      await new Promise((r) => setTimeout(r, 1000));
      workers.push(await startWorkerProcess(env));

      const result = await handle.result();
      assert.equal(result.outcome, 'approved', JSON.stringify(result.steps));
      assert.equal(result.version, 2);
      const rollout = await testStack().env.client.workflow.getHandle('rollout/churn').result();
      assert.equal(rollout.outcome, 'promoted');
      assert.deepEqual(rollout.steps, [25, 100], 'the example canaries at 25% first');
      assert.ok(
        (rollout.analyses as { weight: number; verdict: string }[]).some(
          (a) => a.weight === 25 && a.verdict === 'pass',
        ),
        JSON.stringify(rollout.analyses),
      );
      // the same model server all along: launched once, never replaced
      assert.equal(fs.readFileSync(path.join(variantDir, 'variant.json'), 'utf8'), launched);
      assert.equal(fs.readFileSync(path.join(variantDir, 'pid'), 'utf8'), pid);
      assert.deepEqual(fs.readdirSync(path.join(serving.servingRoot, 'churn')).sort(), ['churn-v2']);
      assert.deepEqual(await variantsOf(), [[2, 100]]);
      const registry = new ModelRegistry(pipeline.store);
      assert.equal((await registry.describeVersion('churn', 'champion')).version.version, 2);
      assert.equal((await registry.describeVersion('churn', 1)).status, 'archived');
    } finally {
      assert.ok((await traffic.stop()) > 20);
    }
  });
});
