import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import type { ActivityDeps } from '../../activities';
import type { BlobStore } from '../../activities/storage/types';
import { ExperimentTracker, runKeyOf } from '../../activities/tracking';
import { MlPrimaryMetric } from '../../common/search-attributes';
import { sweepSectionSchema, type SweepSection } from '../../common/schemas/sweep';
import { sweepTrials } from '../../common/sweep-plan';
import { REPO_ROOT } from '../../lib/tools';
import { hyperparameterSweep, sweepProgressQuery } from '../../workflows/hyperparameter-sweep';
import { testStack } from '../support/stack';
import { testDeps, testS3Store, uniqueQueue, withWorker } from '../support/worker';
import { recordHistory } from '../support/histories';

const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'training');

function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

/** The most trials running at once, from the job's start/end event lines. */
function maxConcurrency(events: string): number {
  const marks = events
    .trim()
    .split('\n')
    .map((line) => line.split(' '))
    .map(([kind, , at]) => ({ delta: kind === 'start' ? 1 : -1, at: Number(at) }))
    .sort((a, b) => a.at - b.at || a.delta - b.delta);
  let now = 0;
  let most = 0;
  for (const m of marks) most = Math.max(most, (now += m.delta));
  return most;
}

describe('hyperparameterSweep', function () {
  this.timeout(120_000);
  const id = randomUUID().slice(0, 8);
  let store: BlobStore;
  let deps: ActivityDeps;
  let tracker: ExperimentTracker;
  before(() => {
    store = testS3Store(`sweep-${id}`);
    deps = testDeps(store);
    tracker = new ExperimentTracker(store);
  });
  const queue = uniqueQueue('sweep');
  const trainingQueue = uniqueQueue('sweep-training');

  const run = <T>(fn: () => Promise<T>) =>
    withWorker(queue, deps, () => withWorker(trainingQueue, deps, fn, { workflows: false }));

  const start = (name: string, sweep: SweepSection, params: Record<string, unknown>, env: Record<string, string>) =>
    testStack().env.client.workflow.start(hyperparameterSweep, {
      workflowId: `sweep/${name}/${id}`,
      taskQueue: queue,
      args: [
        {
          pipeline: name,
          trainingTaskQueue: trainingQueue,
          sweep,
          job: {
            name,
            command: ['python', 'sweep_job.py'],
            codeDir: FIXTURES,
            env,
            params,
          },
        },
      ],
    });

  it('runs every trial with bounded parallelism, ranks them, tracks them and writes the report', async () => {
    const events = path.join(testStack().tmpDir, `sweep-events-${id}`);
    const sweep = sweepSectionSchema.parse({
      algorithm: 'random',
      seed: 11,
      maxTrials: 6,
      parallelism: 2,
      objective: { metric: 'score', direction: 'maximize' },
      space: { x: { type: 'uniform', min: 0, max: 1 }, fail: { type: 'choice', values: [false, false, true] } },
    });
    const planned = sweepTrials(sweep);
    const failing = planned.flatMap((p, i) => (p.fail ? [i + 1] : []));
    assert.ok(failing.length > 0 && failing.length < 6, 'the seed gives some failing trials');
    const expected = planned
      .map((p, i) => ({ trial: i + 1, score: 1 - ((p.x as number) - 0.3) ** 2, fail: p.fail }))
      .filter((t) => !t.fail)
      .sort((a, b) => b.score - a.score);

    await run(async () => {
      const handle = await start('sweepy', sweep, { steps: 3, delay: 0.3 }, { SWEEP_EVENTS: events });
      const out = await handle.result();

      assert.deepEqual(
        out.leaderboard.slice(0, expected.length).map((t) => t.trial),
        expected.map((t) => t.trial),
      );
      assert.equal(out.bestTrial?.trial, expected[0]!.trial);
      assert.ok(Math.abs(out.bestTrial!.objective! - expected[0]!.score) < 1e-9);
      assert.deepEqual(out.counts, {
        succeeded: expected.length,
        'stopped-early': 0,
        failed: failing.length,
        cancelled: 0,
      });
      const failed = out.leaderboard.filter((t) => t.status === 'failed');
      assert.deepEqual(failed.map((t) => t.trial).sort(), failing);
      for (const t of failed) assert.match(t.note ?? '', /x is cursed/);

      // at most two jobs at once, and two did overlap
      assert.equal(maxConcurrency(fs.readFileSync(events, 'utf8')), 2);

      // every trial tracked under the sweep's run, with its params and (for succeeded ones) metrics
      const trials = await tracker.listTrials('sweepy', handle.workflowId);
      assert.equal(trials.length, 6);
      for (const t of trials) {
        assert.equal(t.params.x, planned[t.trial - 1]!.x);
        assert.equal(t.status, failing.includes(t.trial) ? 'failed' : 'succeeded');
        if (t.status === 'succeeded') {
          assert.equal(t.metrics.score, 1 - ((t.params.x as number) - 0.3) ** 2);
          const curve = await tracker.readMetrics('sweepy', handle.workflowId, t.trial, 'score');
          assert.deepEqual(
            curve.map((p) => p.step),
            [1, 2, 3],
          );
        }
      }

      // each trial is a child workflow named after the sweep
      const child = await testStack().env.client.workflow.getHandle(`trial/${handle.workflowId}/1`).describe();
      assert.equal(child.type, 'sweepTrial');
      assert.equal(child.status.name, failing.includes(1) ? 'FAILED' : 'COMPLETED');

      const described = await handle.describe();
      assert.ok(Math.abs(described.typedSearchAttributes.get(MlPrimaryMetric)! - expected[0]!.score) < 1e-9);
      const key = `reports/sweeps/${runKeyOf(handle.workflowId)}.html`;
      assert.equal(out.reportUri, `${store.uri.replace(/\/$/, '')}/${key}`);
      const html = (await store.getBytes(key)).toString('utf8');
      assert.match(html, /<svg/);
      assert.ok(html.includes(`${expected[0]!.score}`.slice(0, 6)), 'the report shows the best score');
      await recordHistory('hyperparameter-sweep', handle.workflowId);
      await recordHistory(
        `sweep-trial-${failing.includes(1) ? 'failed' : 'succeeded'}`,
        `trial/${handle.workflowId}/1`,
      );
      const other = planned.findIndex((p) => p.fail !== planned[0]!.fail) + 1;
      await recordHistory(
        `sweep-trial-${failing.includes(other) ? 'failed' : 'succeeded'}`,
        `trial/${handle.workflowId}/${other}`,
      );
    });
  });

  it('stops a trial whose curve falls below the median of its peers, and cancels its job', async () => {
    const events = path.join(testStack().tmpDir, `sweep-stop-${id}`);
    const sweep = sweepSectionSchema.parse({
      algorithm: 'grid',
      parallelism: 2,
      objective: { metric: 'score', direction: 'maximize' },
      earlyStopping: { rule: 'median', minSteps: 3, minTrials: 2 },
      space: { x: { type: 'choice', values: [0.3, 0.35, 0.95] } },
    });
    await run(async () => {
      const handle = await start('stopper', sweep, { steps: 30, delay: 0.1 }, { SWEEP_EVENTS: events });
      const out = await handle.result();
      assert.deepEqual(
        out.leaderboard.map((t) => [t.trial, t.status]),
        [
          [1, 'succeeded'],
          [2, 'succeeded'],
          [3, 'stopped-early'],
        ],
      );
      assert.match(out.leaderboard[2]!.note ?? '', /stopped at step \d+: best .* vs median .* of 2 trials/);
      const stopped = await tracker.getTrial('stopper', handle.workflowId, 3);
      assert.equal(stopped.status, 'stopped-early');
      const curve = await tracker.readMetrics('stopper', handle.workflowId, 3, 'score');
      assert.ok(curve.length >= 3 && curve.length < 30, `stopped after ${curve.length} of 30 steps`);
      // the stopped job never finished, and its process is gone
      const lines = fs.readFileSync(events, 'utf8');
      assert.doesNotMatch(lines, /^end 0\.95 /m);
      const pids = fs.readFileSync(`${events}.pids`, 'utf8').trim().split('\n').map(Number);
      assert.equal(pids.length, 3);
      for (const pid of pids) assert.equal(alive(pid), false, `job process ${pid} still alive`);
    });
  });

  it('cancelling the sweep stops every running trial job and starts no more', async () => {
    const events = path.join(testStack().tmpDir, `sweep-cancel-${id}`);
    const sweep = sweepSectionSchema.parse({
      algorithm: 'grid',
      parallelism: 2,
      objective: { metric: 'score', direction: 'maximize' },
      space: { x: { type: 'choice', values: [0.1, 0.2, 0.3, 0.4] } },
    });
    await run(async () => {
      const handle = await start('cancelled', sweep, { steps: 600, delay: 0.1 }, { SWEEP_EVENTS: events });
      const deadline = Date.now() + 30_000;
      const pidFile = `${events}.pids`;
      const readPids = () =>
        fs.existsSync(pidFile) ? fs.readFileSync(pidFile, 'utf8').trim().split('\n').filter(Boolean).map(Number) : [];
      while (readPids().length < 2) {
        assert.ok(Date.now() < deadline, 'two trial jobs never started');
        await new Promise((r) => setTimeout(r, 100));
      }
      const progress = await handle.query(sweepProgressQuery);
      assert.deepEqual(progress.running, [1, 2]);
      const pids = readPids();
      assert.ok(pids.every(alive));

      await handle.cancel();
      await assert.rejects(
        handle.result(),
        (err: unknown) => err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure,
      );
      // the sweep ended only after its trials' jobs stopped
      for (const pid of pids) assert.equal(alive(pid), false, `job process ${pid} outlived the sweep`);
      assert.equal(readPids().length, 2, 'no further trial started');
      const trials = await tracker.listTrials('cancelled', handle.workflowId);
      assert.deepEqual(
        trials.map((t) => [t.trial, t.status]),
        [
          [1, 'cancelled'],
          [2, 'cancelled'],
        ],
      );
      assert.equal((await tracker.getRun('cancelled', handle.workflowId)).status, 'cancelled');
    });
  });
});
