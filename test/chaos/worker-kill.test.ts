/**
 * Fault (a) of docs/reliability.md: the worker (`mlops worker`, its own process) SIGKILLed at five
 * points of one retrain with a canary rollout, and started again each time. The churn example runs
 * twice on the same data: v1 undisturbed (the reference), then v2 (forced), whose worker is killed
 * while its training job runs, while both evaluation jobs run, while the run awaits approval,
 * while the canary's model server starts, and while the canary bakes under traffic. v2 must end as
 * v1 did — approved, the same metrics, every gate passed, the champion alias and all traffic on
 * the new version — with one job per step, one registry version per run and one model server per
 * version. The jobs wait behind gates (test/support/chaos-worker.ts) until the worker is dead, so
 * each kill lands where it is meant to.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { ModelRegistry } from '../../activities/registry';
import { statusQuery, type RetrainPipelineOutput } from '../../workflows/retrain-pipeline';
import { rolloutStatusQuery } from '../../workflows/progressive-rollout';
import { activityAttempts, isRunning, JobGates, KillableWorker, waitUntil } from '../support/chaos-worker';
import { setUpChurnPipeline, VENV_PYTHON, type ChurnPipeline } from '../support/churn-pipeline';
import { testStack } from '../support/stack';
import { suiteTeardown } from '../support/teardown';
import { startTraffic } from '../support/traffic';

describe('a retrain with a canary rollout whose worker is SIGKILLed at five points', function () {
  this.timeout(300_000);
  const prefix = `chaos-kill-${randomUUID().slice(0, 8)}`;
  let pipeline: ChurnPipeline;
  let gates: JobGates;
  let worker: KillableWorker;
  const teardown = suiteTeardown();
  let reference: RetrainPipelineOutput;
  let referenceRun: string;

  const client = () => testStack().env.client;
  const start = async (...extra: string[]) => {
    const started = await pipeline.json('run', 'churn', '--spec', pipeline.specFile, '--no-wait', ...extra);
    assert.equal(started.code, 0, started.stderr);
    return client().workflow.getHandle<(...args: unknown[]) => Promise<RetrainPipelineOutput>>(started.body.workflowId);
  };
  const awaitingApproval = (handle: WorkflowHandle) =>
    waitUntil('the run to await approval', 120_000, async () => {
      return (await handle.query(statusQuery)).stage === 'awaiting-approval';
    });
  const approve = async (handle: WorkflowHandle) => {
    const approved = await pipeline.json('approve', handle.workflowId, '--reason', 'metrics hold', '--actor', 'alice');
    assert.equal(approved.code, 0, approved.stderr);
  };
  const variantDir = (version: number) => path.join(pipeline.serving.servingRoot, 'churn', `churn-v${version}`);

  before(async () => {
    const { tmpDir } = testStack();
    gates = new JobGates(path.join(tmpDir, `${prefix}-gates`));
    pipeline = await teardown.start(
      'the churn pipeline',
      () =>
        setUpChurnPipeline(prefix, {
          editSpec: (spec) => {
            spec.setIn(
              ['training', 'entrypoint'],
              spec.createNode(gates.entrypoint('train', [VENV_PYTHON, 'train.py'])),
            );
            spec.setIn(
              ['evaluation', 'entrypoint'],
              spec.createNode(gates.entrypoint('evaluate', [VENV_PYTHON, 'evaluate.py'])),
            );
            spec.set('approval', spec.createNode({ required: true, approvers: ['alice'], timeout: '1h' }));
            // a short canary: two analyses per step, a request every 20 ms is plenty
            spec.setIn(['rollout', 'bake'], '6s');
            spec.setIn(['rollout', 'analysisInterval'], '3s');
            spec.setIn(['rollout', 'minRequests'], 10);
            spec.setIn(['rollout', 'terminationWait'], '1s');
          },
        }),
      (p) => p.serving.stop(),
    );
    worker = await teardown.start(
      'the worker',
      () => KillableWorker.start(pipeline.env, path.join(tmpDir, `${prefix}-bundle.js`)),
      (w) => w.stop(),
    );
  });

  it('v1, undisturbed: approved by alice and serving all traffic', async () => {
    gates.open('train', 'evaluate');
    const handle = await start();
    await awaitingApproval(handle);
    await approve(handle);
    reference = await handle.result();
    referenceRun = handle.workflowId;
    assert.equal(reference.outcome, 'approved', JSON.stringify(reference.steps));
    assert.equal(reference.version, 1);
    assert.ok(reference.decision?.passed, JSON.stringify(reference.decision));
    assert.deepEqual(await pipeline.variantsOf('churn'), [[1, 100]]);
    assert.deepEqual(gates.starts(), ['train', 'evaluate']);
  });

  it('v2 ends as an undisturbed run would, running each job, version and model server once', async () => {
    assert.ok(reference, 'needs the undisturbed v1 run');
    const w = worker!;
    gates.close('train', 'evaluate');
    const handle = await start('--force', '--reason', 'worker kill drill');

    // 1. while the training job runs: the retried activity must re-attach to it
    await gates.waitForStarts('train', 2);
    await w.kill();
    gates.open('train');
    await w.restart();

    // 2. while both evaluation jobs (candidate and champion v1) run
    await gates.waitForStarts('evaluate', 3);
    await w.kill();
    gates.open('evaluate');
    await w.restart();

    // 3. while the run awaits approval; the restarted worker takes the decision
    await awaitingApproval(handle);
    await w.killAndRestart();
    await approve(handle);

    const traffic = startTraffic(pipeline.serving.gateway.url, 'churn', () => pipeline.inferenceBody, 20);
    try {
      // 4. while the canary's model server starts: launched (its pid recorded), the worker waiting for it to serve
      const rollout = client().workflow.getHandle('rollout/churn');
      await waitUntil('the wait for the v2 model server', 120_000, () => isRunning(rollout, 'waitVariantReady'));
      await w.kill();
      const pidFile = path.join(variantDir(2), 'pid');
      const launched = fs.readFileSync(path.join(variantDir(2), 'variant.json'), 'utf8');
      const pid = fs.readFileSync(pidFile, 'utf8');
      await w.restart();

      // 5. while the canary bakes at 25%, just after an analysis (so none is in flight)
      await waitUntil('an analysis of v2 at 25%', 120_000, async () => {
        const status = await rollout.query(rolloutStatusQuery);
        return status.version === 2 && status.phase === 'baking' && status.analyses.some((a) => a.weight === 25);
      });
      await w.killAndRestart();

      const result = await handle.result();

      // the same result as the undisturbed run
      assert.equal(result.outcome, reference.outcome, JSON.stringify(result.steps));
      assert.equal(result.version, reference.version! + 1);
      const states = (r: RetrainPipelineOutput) => r.steps.map((s) => `${s.name}:${s.state}`);
      assert.deepEqual(states(result), states(reference));
      assert.deepEqual(result.candidateMetrics, reference.candidateMetrics, 'the same model, the same metrics');
      assert.deepEqual(result.championMetrics, reference.candidateMetrics, 'v1 evaluated on the same holdout');
      assert.ok(result.decision?.passed, JSON.stringify(result.decision));
      assert.ok(
        result.decision.reasons.every((r) => r.passed),
        JSON.stringify(result.decision.reasons),
      );
      assert.equal(result.approval?.actor, 'alice');
      const promoted = await rollout.result();
      assert.equal(promoted.outcome, 'promoted', promoted.reason);
      assert.deepEqual(promoted.steps, [25, 100]);
      assert.deepEqual(await pipeline.variantsOf('churn'), [[2, 100]]);

      // one registry version per run
      const registry = new ModelRegistry(pipeline.store);
      const versions = await registry.listVersions('churn');
      assert.deepEqual(
        versions.map((v) => [v.version, v.pipelineRun, v.status]),
        [
          [1, referenceRun, 'archived'],
          [2, handle.workflowId, 'production'],
        ],
      );
      assert.equal((await registry.describeVersion('churn', 'champion')).version.version, 2);

      // one job per step: a process launched and a job folder each (v1: train, evaluate; v2: train, two evaluations)
      assert.deepEqual(gates.starts(), ['train', 'evaluate', 'train', 'evaluate', 'evaluate']);
      // job folders (jobs/code/ holds the code packages the jobs ran)
      assert.equal(fs.readdirSync(path.join(pipeline.home, 'jobs')).filter((name) => name !== 'code').length, 5);

      // one model server for v2, launched once, never replaced; v1's retired
      assert.deepEqual(fs.readdirSync(path.join(pipeline.serving.servingRoot, 'churn')), ['churn-v2']);
      assert.equal(fs.readFileSync(path.join(variantDir(2), 'variant.json'), 'utf8'), launched);
      assert.equal(fs.readFileSync(pidFile, 'utf8'), pid);

      // each kill interrupted what it was meant to: those activities completed on a later attempt
      // (the training job runs in the run's trainModel child, train/<run id>)
      const attempts = await activityAttempts(handle);
      const trainAttempts = await activityAttempts(client().workflow.getHandle(`train/${handle.workflowId}`));
      assert.deepEqual(
        [...(trainAttempts.runTrainingJob ?? []), ...(attempts.runTrainingJob ?? [])],
        [2, 2, 2],
        JSON.stringify({ attempts, trainAttempts }),
      );
      assert.deepEqual((await activityAttempts(rollout)).waitVariantReady, [2]);
      assert.equal(w.pids.length, 6, 'five kills, five restarts');
    } finally {
      await traffic.stop();
    }
  });
});
