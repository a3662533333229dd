/**
 * Every branch of `retrainPipeline`, on Temporal's time-skipping test server
 * (test/support/time-skipping.ts) with fakes of every activity the run and its children call
 * (test/support/fake-pipeline-activities.ts), so a 24-hour approval timeout passes in milliseconds.
 * The children are the real ones (`hyperparameterSweep` and its trials, `progressiveRollout`); only
 * their activities are fakes.
 *
 * Each test asserts what a user sees of a run: its outcome, the `status` query's stage and steps,
 * what it recorded in the registry, the notifications it sent, and the approval decision with who
 * made it — not the order of the activity calls behind them.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { WorkflowFailedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { pipelineSpecSchema, type PipelineSpecInput } from '../../common/schemas/spec';
import {
  approveUpdate,
  rejectUpdate,
  retrainPipeline,
  statusQuery,
  type RetrainPipelineOutput,
  type RetrainStatus,
  type StepState,
} from '../../workflows/retrain-pipeline';
import {
  FAKE_PIPELINE_ACTIVITY_NAMES,
  FakePipelineActivities,
  fakeChampion,
  type FakePipelineWorld,
} from '../support/fake-pipeline-activities';
import { awaitingApproval, timeSkippingEnvironment } from '../support/time-skipping';

const MODEL = 'churn-model';

/** A parsed spec of pipeline `churn`: one training job, an auc ≥ 0.75 gate, notifications on every event. */
function specWith(more: Partial<PipelineSpecInput> = {}) {
  return pipelineSpecSchema.parse({
    name: 'churn',
    model: MODEL,
    dataset: { name: 'churn', source: '/data/churn' },
    training: { entrypoint: ['python', 'train.py'], codeDir: '/code', params: { n_estimators: 50 } },
    evaluation: {
      entrypoint: ['python', 'evaluate.py'],
      codeDir: '/code',
      holdout: { file: 'holdout.csv' },
      primaryMetric: 'auc',
      gates: { thresholds: { auc: { min: 0.75 } } },
    },
    notifications: { webhookEnv: 'MLOPS_WEBHOOK_TEST' },
    ...more,
  });
}

/** The states of the run's steps, by name. */
const stepStates = (status: RetrainStatus): Record<string, StepState> =>
  Object.fromEntries(status.steps.map((s) => [s.name, s.state]));

describe('retrainPipeline (time-skipping)', function () {
  // each run takes well under a second of wall time: a test that waits longer is stuck
  this.timeout(20_000);
  const skipping = timeSkippingEnvironment(FAKE_PIPELINE_ACTIVITY_NAMES);
  const env = () => skipping.env();

  interface Run {
    fake: FakePipelineActivities;
    handle: WorkflowHandle<typeof retrainPipeline>;
    run: string;
  }

  /** Starts a run of `spec` with fake activities over `world` and calls `fn`; the run is ended afterwards. */
  const withRun = async <T>(
    spec: ReturnType<typeof specWith>,
    world: FakePipelineWorld,
    fn: (r: Run) => Promise<T>,
    overrides: ConstructorParameters<typeof FakePipelineActivities>[1] = {},
  ): Promise<T> => {
    const fake = new FakePipelineActivities(world, overrides);
    skipping.use(fake.activities);
    const run = `retrain/${spec.name}/${randomUUID().slice(0, 8)}`;
    const { taskQueue } = skipping;
    const handle = await env().client.workflow.start(retrainPipeline, {
      workflowId: run,
      taskQueue,
      args: [{ spec, trigger: 'manual', actor: 'alice', trainingTaskQueue: taskQueue }],
    });
    try {
      return await fn({ fake, handle, run });
    } finally {
      // a run left open (by a failed assertion) would hold the test server's clock for the next tests
      await handle.terminate('test over').catch(() => undefined);
    }
  };

  /**
   * The run's result and how long it ran on the workflow clock (start to close, in the test server's
   * time, which skips ahead over timers): a wait that took its full duration shows in `workflowMs`,
   * while the file's mocha timeout bounds the wall time.
   */
  const timed = async (handle: Run['handle']): Promise<{ result: RetrainPipelineOutput; workflowMs: number }> => {
    const result = await handle.result();
    const { startTime, closeTime } = await handle.describe();
    return { result, workflowMs: (closeTime?.getTime() ?? Number.NaN) - startTime.getTime() };
  };

  /** The events of the notifications the run itself sent (not its rollout's), in order. */
  const eventsOf = (fake: FakePipelineActivities, run: string) =>
    fake.notifications.filter((n) => n.run === run).map((n) => n.event);

  /** The result of the run's own `finishRun` (children track runs of their own). */
  const finishedAs = (fake: FakePipelineActivities, run: string) =>
    fake
      .inputsOf('finishRun')
      .filter((f) => f.run === run)
      .map((f) => f.status);

  it('approves a first version by policy when there is no champion and no approval section', async () => {
    await withRun(specWith(), {}, async ({ fake, handle, run }) => {
      const { result } = await timed(handle);
      assert.equal(result.outcome, 'approved');
      assert.equal(result.stage, 'done');
      assert.equal(result.champion, undefined);
      assert.equal(result.version, 1);
      assert.deepEqual(result.approval && { ...result.approval, at: undefined }, {
        decision: 'approved',
        actor: 'policy',
        comment: 'approval not required by the spec',
        by: 'policy',
        at: undefined,
      });
      assert.deepEqual(stepStates(result), {
        snapshot: 'done',
        validate: 'skipped',
        train: 'done',
        evaluate: 'done',
        register: 'done',
        approval: 'done',
      });
      const status = await handle.query(statusQuery);
      assert.equal(status.stage, 'done');
      assert.deepEqual(stepStates(status), stepStates(result));
      // registered as a candidate, then approved, then (no rollout configured) made the champion
      assert.deepEqual(
        fake.inputsOf('registerModel').map((r) => [r.model, r.status]),
        [[MODEL, 'candidate']],
      );
      assert.deepEqual(fake.statuses, [[1, 'approved']]);
      assert.equal(fake.inputsOf('setModelStatus')[0]!.actor, 'policy');
      assert.deepEqual(
        fake.inputsOf('setModelAlias').map((a) => [a.alias, a.version, a.expectedVersion]),
        [['champion', 1, null]],
      );
      assert.equal(result.links.champion, `${MODEL} v1`);
      assert.deepEqual(eventsOf(fake, run), ['started', 'succeeded']);
      assert.deepEqual(finishedAs(fake, run), ['succeeded']);
    });
  });

  it('ends unchanged, training nothing, when the champion has the same data, code and training config', async () => {
    // the training config the champion was registered with is the one a run of this spec records
    const spec = specWith();
    const trainingConfig = await withRun(spec, {}, async ({ fake, handle }) => {
      await handle.result();
      return fake.inputsOf('registerModel')[0]!.tags!.trainingConfig!;
    });
    const champion = fakeChampion({ model: MODEL, version: 3, trainingConfig });
    await withRun(spec, { champion }, async ({ fake, handle, run }) => {
      const { result } = await timed(handle);
      assert.equal(result.outcome, 'unchanged');
      assert.equal(result.stage, 'unchanged');
      assert.equal(result.champion, 3);
      assert.deepEqual(stepStates(result), {
        snapshot: 'done',
        validate: 'skipped',
        train: 'skipped',
        evaluate: 'skipped',
        register: 'skipped',
        approval: 'skipped',
      });
      assert.match(result.steps.find((s) => s.name === 'train')!.summary ?? '', /unchanged: champion v3/);
      assert.equal(fake.inputsOf('runTrainingJob').length, 0, 'no job ran');
      assert.equal(fake.inputsOf('registerModel').length, 0, 'nothing registered');
      assert.deepEqual(fake.statuses, []);
      assert.deepEqual(eventsOf(fake, run), ['started', 'unchanged']);
      assert.deepEqual(finishedAs(fake, run), ['succeeded']);
    });
    // the same champion with other code is retrained
    await withRun(spec, { champion, codeVersion: 'code-2' }, async ({ handle }) => {
      assert.equal((await handle.result()).outcome, 'approved');
    });
  });

  it('registers a candidate the gates reject as rejected, and asks nobody to approve it', async () => {
    const spec = specWith({ approval: { required: true, approvers: ['alice'] } });
    await withRun(spec, { candidateMetrics: { auc: 0.6 } }, async ({ fake, handle, run }) => {
      const { result } = await timed(handle);
      assert.equal(result.outcome, 'rejected');
      assert.equal(result.stage, 'rejected');
      assert.equal(result.decision?.passed, false);
      assert.deepEqual(
        result.decision?.reasons.filter((r) => !r.passed).map((r) => r.gate),
        ['thresholds.auc.min'],
      );
      assert.equal(result.approval, undefined);
      assert.deepEqual(stepStates(result), {
        snapshot: 'done',
        validate: 'skipped',
        train: 'done',
        evaluate: 'failed',
        register: 'done',
        approval: 'skipped',
      });
      assert.deepEqual(
        fake.inputsOf('registerModel').map((r) => r.status),
        ['rejected'],
      );
      assert.deepEqual(fake.statuses, [], 'no approval decision recorded');
      assert.deepEqual(eventsOf(fake, run), ['started', 'rejected']);
      assert.match(fake.notifications.at(-1)!.text, /thresholds\.auc\.min/);
      assert.deepEqual(finishedAs(fake, run), ['succeeded']);
    });
  });

  it('evaluates the champion on the same holdout and rejects a candidate that does not beat it', async () => {
    const spec = specWith({
      evaluation: {
        entrypoint: ['python', 'evaluate.py'],
        codeDir: '/code',
        holdout: { file: 'holdout.csv' },
        primaryMetric: 'auc',
        gates: { minImprovement: 0.01 },
      },
    });
    const champion = fakeChampion({ model: MODEL, version: 1, codeVersion: 'code-0' });
    const world = { champion, candidateMetrics: { auc: 0.85 }, championMetrics: { auc: 0.88 } };
    await withRun(spec, world, async ({ fake, handle }) => {
      const { result } = await timed(handle);
      assert.equal(result.outcome, 'rejected');
      assert.deepEqual(result.championMetrics, { auc: 0.88 });
      assert.deepEqual(result.candidateMetrics, { auc: 0.85 });
      const evaluations = fake.inputsOf('runTrainingJob').filter((j) => j.job.modelUri !== undefined);
      assert.deepEqual(
        evaluations.map((j) => j.job.modelUri).sort(),
        [champion.artifactUri, fake.inputsOf('registerModel')[0]!.artifactUri].sort(),
      );
      assert.equal(new Set(evaluations.map((j) => JSON.stringify(j.job.input))).size, 1, 'one holdout for both');
      assert.deepEqual(
        fake.inputsOf('registerModel').map((r) => r.status),
        ['rejected'],
      );
    });
  });

  describe('approval', () => {
    const approval = { required: true, approvers: ['alice', 'bob'], timeout: '24h' };

    it('waits for an approver: an outsider and a reject without reason are refused, an approver approves', async () => {
      await withRun(specWith({ approval }), {}, async ({ fake, handle, run }) => {
        const waiting = await awaitingApproval(handle);
        assert.equal(stepStates(waiting).approval, 'running');
        assert.equal(waiting.version, 1);
        assert.deepEqual(eventsOf(fake, run), ['started', 'awaiting-approval']);

        await assert.rejects(
          handle.executeUpdate(approveUpdate, { args: [{ actor: 'mallory', comment: 'ship it' }] }),
          (err: unknown) => {
            assert.ok(err instanceof WorkflowUpdateFailedError, String(err));
            assert.equal(err.cause?.message, 'actor: mallory may not decide on churn; approvers are alice, bob');
            return true;
          },
        );
        await assert.rejects(
          handle.executeUpdate(rejectUpdate, { args: [{ actor: 'bob', reason: ' ' }] }),
          (err: unknown) => err instanceof WorkflowUpdateFailedError && err.cause?.message === 'reason: required',
        );
        // refused updates change nothing: the run still waits
        assert.equal((await handle.query(statusQuery)).stage, 'awaiting-approval');

        const decided = await handle.executeUpdate(approveUpdate, { args: [{ actor: 'bob', comment: 'looks good' }] });
        assert.deepEqual([decided.decision, decided.actor, decided.by], ['approved', 'bob', 'person']);
        await assert.rejects(
          handle.executeUpdate(approveUpdate, { args: [{ actor: 'alice' }] }),
          (err: unknown) =>
            err instanceof WorkflowUpdateFailedError && /^already approved by bob/.test(err.cause?.message ?? ''),
        );

        const { result } = await timed(handle);
        assert.equal(result.outcome, 'approved');
        assert.deepEqual(
          [result.approval?.decision, result.approval?.actor, result.approval?.comment, result.approval?.by],
          ['approved', 'bob', 'looks good', 'person'],
        );
        assert.equal(stepStates(result).approval, 'done');
        assert.deepEqual(fake.statuses, [[1, 'approved']]);
        assert.equal(fake.inputsOf('setModelStatus')[0]!.actor, 'bob');
        assert.deepEqual(eventsOf(fake, run), ['started', 'awaiting-approval', 'succeeded']);
      });
    });

    it('records a rejection by an approver with its reason', async () => {
      await withRun(specWith({ approval }), {}, async ({ fake, handle, run }) => {
        await awaitingApproval(handle);
        await handle.executeUpdate(rejectUpdate, { args: [{ actor: 'alice', reason: 'too slow at p95' }] });
        const { result } = await timed(handle);
        assert.equal(result.outcome, 'rejected');
        assert.equal(result.stage, 'rejected');
        assert.equal(stepStates(result).approval, 'failed');
        assert.deepEqual(fake.statuses, [[1, 'rejected']]);
        assert.deepEqual(
          fake.inputsOf('setModelStatus').map((s) => [s.actor, s.reason]),
          [['alice', 'too slow at p95']],
        );
        assert.deepEqual(fake.inputsOf('setModelAlias'), [], 'a rejected version is not made the champion');
        assert.deepEqual(eventsOf(fake, run), ['started', 'awaiting-approval', 'rejected']);
      });
    });

    it('sends a reminder every remindEvery while waiting, then rejects at the timeout (onTimeout reject)', async () => {
      const spec = specWith({ approval: { ...approval, timeout: '10m', remindEvery: '3m', onTimeout: 'reject' } });
      await withRun(spec, {}, async ({ fake, handle, run }) => {
        const { result, workflowMs } = await timed(handle);
        assert.ok(workflowMs >= 10 * 60_000, `decided after ${workflowMs} ms of workflow time, before the 10m timeout`);
        assert.equal(result.outcome, 'rejected');
        // reminders at 3, 6 and 9 minutes; none at the deadline itself
        assert.deepEqual(eventsOf(fake, run), [
          'started',
          'awaiting-approval',
          'approval-reminder',
          'approval-reminder',
          'approval-reminder',
          'rejected',
        ]);
        assert.match(fake.notifications.find((n) => n.event === 'approval-reminder')!.text, /else reject$/);
        assert.deepEqual(
          [result.approval?.decision, result.approval?.actor, result.approval?.by],
          ['rejected', 'timeout', 'timeout'],
        );
        assert.equal(result.approval?.comment, 'no decision within 10m: onTimeout is reject');
        assert.deepEqual(fake.statuses, [[1, 'rejected']]);
        assert.equal(fake.inputsOf('setModelStatus')[0]!.actor, 'timeout');
      });
    });

    it('approves when onTimeout is approve, after the full 24-hour wait on the skipped clock', async () => {
      const spec = specWith({ approval: { ...approval, onTimeout: 'approve' } });
      await withRun(spec, {}, async ({ fake, handle, run }) => {
        const { result, workflowMs } = await timed(handle);
        assert.ok(
          workflowMs >= 24 * 3_600_000,
          `decided after ${workflowMs} ms of workflow time, before the 24h timeout`,
        );
        assert.equal(result.outcome, 'approved');
        assert.deepEqual(
          [result.approval?.decision, result.approval?.actor, result.approval?.by],
          ['approved', 'timeout', 'timeout'],
        );
        assert.deepEqual(fake.statuses, [[1, 'approved']]);
        assert.deepEqual(
          fake.inputsOf('setModelAlias').map((a) => [a.version, a.actor]),
          [[1, 'timeout']],
        );
        assert.deepEqual(eventsOf(fake, run), ['started', 'awaiting-approval', 'succeeded']);
      });
    });

    it('fails cancelled when cancelled while awaiting approval, marking the waiting step cancelled', async () => {
      await withRun(specWith({ approval }), {}, async ({ fake, handle, run }) => {
        await awaitingApproval(handle);
        await handle.cancel();
        await assert.rejects(handle.result(), (err: unknown) => {
          assert.ok(err instanceof WorkflowFailedError, String(err));
          assert.ok(err.cause instanceof CancelledFailure, String(err.cause));
          return true;
        });
        const status = await handle.query(statusQuery);
        assert.equal(status.stage, 'failed');
        assert.deepEqual(stepStates(status), {
          snapshot: 'done',
          validate: 'skipped',
          train: 'done',
          evaluate: 'done',
          register: 'done',
          approval: 'cancelled',
        });
        assert.deepEqual(finishedAs(fake, run), ['cancelled']);
        assert.deepEqual(fake.statuses, [], 'no decision recorded');
        assert.deepEqual(eventsOf(fake, run), ['started', 'awaiting-approval', 'failed']);
        assert.match(fake.notifications.at(-1)!.title, /cancelled/);
      });
    });
  });

  it('trains by a sweep child when the spec has a sweep, and registers its best trial', async () => {
    const spec = specWith({
      training: {
        entrypoint: ['python', 'train.py'],
        codeDir: '/code',
        params: { n_estimators: 50 },
        sweep: {
          algorithm: 'grid',
          parallelism: 2,
          objective: { metric: 'val_auc', direction: 'maximize' },
          space: { lr: { type: 'choice', values: [0.01, 0.1, 0.3] } },
        },
      },
    });
    const byLr: Record<string, number> = { '0.01': 0.81, '0.1': 0.87, '0.3': 0.84 };
    const world = { trainingMetrics: (params: Record<string, unknown>) => ({ val_auc: byLr[String(params.lr)]! }) };
    await withRun(spec, world, async ({ fake, handle, run }) => {
      const { result } = await timed(handle);
      assert.equal(result.outcome, 'approved');
      assert.equal(result.links.sweep, `sweep/${run}`);
      assert.ok(result.links.sweepReport, 'the sweep report is linked');
      const train = result.steps.find((s) => s.name === 'train')!;
      assert.equal(train.state, 'done');
      assert.match(train.summary ?? '', /best of 3 trials/);
      const trainingJobs = fake.inputsOf('runTrainingJob').filter((j) => j.job.modelUri === undefined);
      assert.deepEqual(trainingJobs.map((j) => j.job.params.lr).sort(), [0.01, 0.1, 0.3]);
      const [registered] = fake.inputsOf('registerModel');
      assert.deepEqual(registered!.params, { n_estimators: 50, lr: 0.1 });
      assert.equal(registered!.metrics['train.val_auc'], 0.87);
      const best = trainingJobs.find((j) => j.job.params.lr === 0.1)!;
      assert.equal(registered!.artifactUri, `file:///fake/${best.job.outputPrefix}/model`);
    });
  });

  describe('rollout', () => {
    const endpointOf = () => `ep-${randomUUID().slice(0, 8)}`;

    it("rolls back when the canary's analyses fail: outcome rolled-back, the version marked rolled-back", async () => {
      const endpoint = endpointOf();
      const spec = specWith({
        rollout: { endpoint, steps: [50, 100], bake: '10m', analysisInterval: '1m', failureLimit: 2 },
        monitoring: { interval: '10m' },
      });
      const champion = fakeChampion({ model: MODEL, version: 1, trainingSnapshot: 'b'.repeat(64) });
      await withRun(spec, { champion, analysis: () => 'fail' }, async ({ fake, handle, run }) => {
        const { result, workflowMs } = await timed(handle);
        assert.ok(workflowMs >= 2 * 60_000, `rolled back after ${workflowMs} ms of workflow time, before two analyses`);
        assert.equal(result.outcome, 'rolled-back');
        assert.equal(result.stage, 'rejected');
        assert.equal(result.links.rollout, `rollout/${endpoint}`);
        assert.equal(result.links.monitor, undefined, 'no monitor for a rolled-back version');
        const rollout = result.steps.find((s) => s.name === 'rollout')!;
        assert.equal(rollout.state, 'failed');
        assert.match(rollout.summary ?? '', /rolled back: analysis: 2 failed analyses in a row: error rate 50\.00%/);
        assert.deepEqual(fake.statuses, [
          [2, 'approved'],
          [2, 'rolled-back'],
        ]);
        assert.deepEqual(
          fake.inputsOf('setTraffic').map((t) => t.weights),
          [{ [`${MODEL}-v2`]: 50, [`${MODEL}-v1`]: 50 }, { [`${MODEL}-v1`]: 100 }],
        );
        assert.deepEqual(
          fake.inputsOf('undeployVariant').map((u) => u.variant),
          [`${MODEL}-v2`],
        );
        assert.deepEqual(fake.inputsOf('setModelAlias'), [], 'the champion stays');
        // the rollback is posted once, by the rollout
        assert.deepEqual(eventsOf(fake, run), ['started']);
        assert.deepEqual(
          fake.notifications.filter((n) => n.run === `rollout/${endpoint}`).map((n) => n.event),
          ['rejected'],
        );
        assert.deepEqual(finishedAs(fake, run), ['succeeded']);
      });
    });

    it('promotes through the canary and then starts the drift monitor of the endpoint', async () => {
      const endpoint = endpointOf();
      const spec = specWith({
        rollout: { endpoint, steps: [50, 100], bake: '2m', analysisInterval: '1m', terminationWait: '30s' },
        monitoring: { interval: '10m' },
      });
      const champion = fakeChampion({ model: MODEL, version: 1, trainingSnapshot: 'b'.repeat(64) });
      await withRun(spec, { champion }, async ({ fake, handle, run }) => {
        const { result } = await timed(handle);
        assert.equal(result.outcome, 'approved');
        assert.equal(result.stage, 'done');
        assert.equal(result.steps.find((s) => s.name === 'rollout')!.state, 'done');
        assert.deepEqual(fake.statuses, [
          [2, 'approved'],
          [2, 'production'],
          [1, 'archived'],
        ]);
        assert.deepEqual(
          fake.inputsOf('setModelAlias').map((a) => [a.alias, a.version, a.expectedVersion]),
          [['champion', 2, 1]],
        );
        assert.equal(result.links.monitor, `monitor/${endpoint}`);
        const monitor = env().client.workflow.getHandle(`monitor/${endpoint}`);
        const described = await monitor.describe();
        assert.equal(described.type, 'modelMonitor');
        assert.equal(described.status.name, 'RUNNING', 'the monitor outlives the run');
        await monitor.terminate('test over');
        assert.deepEqual(eventsOf(fake, run), ['started', 'succeeded']);
      });
    });
  });

  it('keeps its bookkeeping off the task queue, yet tracks the run and the trial and links the report', async () => {
    // against a champion, so the champion lookup and both evaluations' reads happen too
    const world = { champion: fakeChampion({ model: MODEL, version: 1, trainingSnapshot: 'sha256:old' }) };
    await withRun(specWith(), world, async ({ fake, handle, run }) => {
      const { result } = await timed(handle);
      assert.equal(result.outcome, 'approved');
      const scheduled = async (workflowId: string) =>
        ((await env().client.workflow.getHandle(workflowId).fetchHistory()).events ?? [])
          .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
          .filter((name): name is string => name !== undefined);
      const tasks = [...(await scheduled(run)), ...(await scheduled(`train/${run}`))];
      // quick reads and tracking writes ran as local activities: none is an activity task of its own
      const local = ['startRun', 'finishRun', 'finishTrial', 'findChampion', 'codeVersion', 'evaluationReportLocation'];
      assert.deepEqual(
        tasks.filter((t) => local.includes(t)),
        [],
        tasks.join(', '),
      );
      // what is left: the snapshot, the three jobs with the two reads that run alongside them (the
      // trial's record, the champion's cached evaluation), the report, the registry writes, two notifications
      assert.deepEqual([...tasks].sort(), [
        'notify',
        'notify',
        'readEvaluation',
        'registerModel',
        'runTrainingJob',
        'runTrainingJob',
        'runTrainingJob',
        'setModelAlias',
        'setModelStatus',
        'snapshotDataset',
        'startTrial',
        'writeEvaluationReport',
      ]);
      // the tracker still has everything: the run and its train child started and succeeded, the
      // trial's result recorded by its job's activity
      assert.deepEqual(finishedAs(fake, run), ['succeeded']);
      assert.deepEqual(finishedAs(fake, `train/${run}`), ['succeeded']);
      assert.deepEqual(
        fake.inputsOf('startTrial').map((t) => [t.run, t.trial]),
        [[`train/${run}`, 1]],
      );
      const trainJob = fake.inputsOf('runTrainingJob').find((j) => j.track?.run === `train/${run}`);
      assert.deepEqual(trainJob?.track, { pipeline: 'churn', run: `train/${run}`, trial: 1, finish: true });
      // registered while the report rendered: the version links the report the run links
      assert.equal(fake.inputsOf('registerModel')[0]!.tags?.evaluationReport, result.links.report);
      assert.ok(result.links.report, 'the run links its report');
      assert.deepEqual(eventsOf(fake, run), ['started', 'succeeded']);
    });
  });

  it('never fails a run because its notifications cannot be delivered', async () => {
    const webhookDown = async (): Promise<never> => {
      throw ApplicationFailure.retryable('webhook unreachable', 'WebhookUnreachable');
    };
    await withRun(
      specWith(),
      {},
      async ({ fake, handle, run }) => {
        const { result } = await timed(handle);
        assert.equal(result.outcome, 'approved');
        assert.deepEqual(fake.statuses, [[1, 'approved']]);
        // each notification was tried more than once, and given up on
        const events = eventsOf(fake, run);
        assert.ok(events.filter((e) => e === 'started').length > 1, events.join(', '));
        assert.ok(events.includes('succeeded'), events.join(', '));
        assert.deepEqual(finishedAs(fake, run), ['succeeded']);
      },
      { notify: webhookDown },
    );
  });
});
