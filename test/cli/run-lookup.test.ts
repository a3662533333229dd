/**
 * Run ids as users type them, and read commands without a worker, on the real dev server: pipeline
 * runs completed by a worker (with the fake pipeline activities), then that worker stopped.
 * `mlops status` answers from the history (exit 0 with the outcome and the steps), `latest` and a
 * unique prefix find the run, an ambiguous prefix exits 2 listing the candidates, none exits 1;
 * a running run (or rollout) no worker polls prints what the server holds and says a worker is needed.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { pipelineInput, pipelineRunId, pipelineSearchAttributes } from '../../common/pipeline-start';
import { pipelineSpecSchema } from '../../common/schemas/spec';
import { resolveRunId } from '../../client/run-lookup';
import { cliEnv, runCli } from '../support/cli';
import { FakePipelineActivities, passingRetrainSpec } from '../support/fake-pipeline-activities';
import { testStack, workflowBundle } from '../support/stack';
import { uniqueQueue } from '../support/worker';

/** Polls `fn` until it returns without throwing (visibility lags a moment behind a start). */
async function eventually<T>(fn: () => Promise<T>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

describe('run ids (latest, prefixes) and status without a worker', function () {
  this.timeout(120_000);
  const pipeline = `lookup-${randomUUID().slice(0, 8)}`;
  const queue = uniqueQueue('lookup');
  let env: NodeJS.ProcessEnv;
  const spec = pipelineSpecSchema.parse({
    ...passingRetrainSpec(pipeline, `${pipeline}-model`, {}),
    rollout: undefined,
  });
  const first = pipelineRunId(pipeline, new Date('2026-03-01T10:00:00.000Z'));
  const second = pipelineRunId(pipeline, new Date('2026-03-01T11:00:00.000Z'));
  const failed = pipelineRunId(`${pipeline}-failing`, new Date('2026-03-01T09:00:00.000Z'));

  const start = (workflowId: string, taskQueue = queue) =>
    testStack().env.client.workflow.start('retrainPipeline', {
      workflowId,
      taskQueue,
      args: [pipelineInput({ spec, trigger: 'manual', actor: 'ci', force: false, trainingTaskQueue: taskQueue })],
      typedSearchAttributes: pipelineSearchAttributes(pipeline, 'manual'),
    });

  before(async () => {
    env = cliEnv(`lookup-${randomUUID().slice(0, 8)}`, { MLOPS_TASK_QUEUE: queue });
    const { env: testEnv } = testStack();
    const workerOn = async (taskQueue: string, fake: FakePipelineActivities) =>
      Worker.create({
        connection: testEnv.nativeConnection,
        namespace: testEnv.namespace,
        taskQueue,
        activities: fake.activities,
        workflowBundle: await workflowBundle(),
      });
    // first, a run that fails at its first step, on a worker of its own, then stopped
    const failingQueue = uniqueQueue('lookup-failing');
    const emptySource = () =>
      Promise.reject(ApplicationFailure.nonRetryable('the source folder is empty', 'DatasetEmpty'));
    const failing = await workerOn(failingQueue, new FakePipelineActivities({}, { snapshotDataset: emptySource }));
    await failing.runUntil(async () => {
      await (await start(failed, failingQueue)).result().catch(() => undefined);
    });
    // two runs end while the worker runs; then it is shut down: no worker polls the queue
    const worker = await workerOn(queue, new FakePipelineActivities());
    await worker.runUntil(async () => {
      for (const id of [first, second]) await (await start(id)).result();
    });
  });

  it('prints the outcome and the steps of a finished run when no worker runs (exit 0, no stack)', async () => {
    const r = await runCli(['status', first], env);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /\n\s+at |ServiceError/);
    assert.match(r.stdout, new RegExp(`^${first}: done \\(approved\\)`));
    assert.match(r.stdout, /^train\s+done/m);
    const json = await runCli(['--json', 'status', first], env);
    assert.equal(json.code, 0, json.stderr);
    const status = JSON.parse(json.stdout);
    assert.equal(status.outcome, 'approved');
    assert.equal(status.source, 'history');
    assert.ok(status.steps.some((s: { name: string; state: string }) => s.name === 'evaluate' && s.state === 'done'));
  });

  it('prints how a failed run failed when no worker runs (exit 0)', async () => {
    const r = await runCli(['status', failed], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /: failed · .*\nfailure: .*the source folder is empty/);
    assert.match(r.stderr, /need a running worker \(mlops worker\)/);
  });

  it('finds latest (of a pipeline) and a unique prefix; an ambiguous prefix exits 2 listing both, none exits 1', async () => {
    const { client } = testStack().env;
    assert.equal(
      await eventually(async () => {
        const id = await resolveRunId(client, 'latest', { pipeline });
        assert.equal(id, second);
        return id;
      }),
      second,
    );
    const latest = await runCli(['--json', 'status', 'latest', '--pipeline', pipeline], env);
    assert.equal(latest.code, 0, latest.stderr);
    assert.equal(JSON.parse(latest.stdout).workflowId, second);

    const prefix = await runCli(['--json', 'status', `retrain/${pipeline}/2026-03-01T10`], env);
    assert.equal(prefix.code, 0, prefix.stderr);
    assert.equal(JSON.parse(prefix.stdout).workflowId, first);

    const ambiguous = await runCli(['status', `retrain/${pipeline}/`], env);
    assert.equal(ambiguous.code, 2);
    assert.match(ambiguous.stderr, /is ambiguous: 2 runs start with it/);
    assert.match(ambiguous.stderr, new RegExp(first.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    assert.match(ambiguous.stderr, new RegExp(second.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));

    const none = await runCli(['status', `retrain/${pipeline}-nothing/`], env);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no run retrain\//);
    const noLatest = await runCli(['status', 'latest', '--pipeline', `${pipeline}-nothing`], env);
    assert.equal(noLatest.code, 1);
    assert.match(noLatest.stderr, /no run for latest/);
  });

  it('says a live answer needs a worker for a running run no worker polls, and still exits 0', async () => {
    const idle = pipelineRunId(pipeline, new Date('2026-03-01T12:00:00.000Z'));
    const handle = await start(idle, uniqueQueue('no-worker'));
    try {
      const r = await runCli(['status', idle], env);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /live details .* need a running worker \(mlops worker\)/);
      assert.match(r.stdout, new RegExp(`^${idle.replace(/\./g, '\\.')}: running · pipeline ${pipeline}$`, 'm'));
      const json = await runCli(['--json', 'status', idle], env);
      assert.equal(json.code, 0, json.stderr);
      const status = JSON.parse(json.stdout);
      assert.equal(status.runStatus, 'running');
      assert.equal(status.source, 'server');
      assert.equal(status.pipeline, pipeline);
    } finally {
      await handle.terminate('test over').catch(() => undefined);
    }
  });

  it('prints what the server holds of a rollout no worker runs, and exits 1 for a monitor that does not exist', async () => {
    const endpoint = `lookup-${randomUUID().slice(0, 8)}`;
    const handle = await testStack().env.client.workflow.start('progressiveRollout', {
      workflowId: `rollout/${endpoint}`,
      taskQueue: uniqueQueue('no-worker'),
      args: [{}],
    });
    try {
      const r = await runCli(['rollout', 'status', endpoint], env);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^rollout/${endpoint}: running · started `));
      assert.match(r.stderr, /live details need a running worker \(mlops worker\)/);
      const missing = await runCli(['monitor', 'status', endpoint], env);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, new RegExp(`no monitor on ${endpoint}`));
    } finally {
      await handle.terminate('test over').catch(() => undefined);
    }
  });
});
