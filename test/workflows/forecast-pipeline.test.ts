/**
 * The building blocks a pipeline written in TypeScript uses beyond the built-in one — `runStep` with
 * named inputs, candidates trained side by side with `train(…, { label })`, the choice among them,
 * `register` with step lineage, approval, rollout and a step after it — through the example's
 * `forecastPipeline` (examples/forecast/workflows.ts, run with examples/forecast/pipeline.yaml as
 * the project loads it) and, for the mistakes a pipeline's code can make, small test pipelines
 * (test/fixtures/pipelines/step-mistakes.ts). Both are bundled with the built-in workflows as
 * `mlops worker --workflows` bundles them, on the time-skipping test server with fake activities
 * (test/support/fake-pipeline-activities.ts); the children (`trainModel`, `progressiveRollout`) are
 * the real ones.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { loadPipelineSpec } from '../../client/pipeline-spec';
import { notificationsSectionSchema, type PipelineSpec } from '../../common/schemas/spec';
import { REPO_ROOT } from '../../lib/tools';
import {
  approveUpdate,
  rejectUpdate,
  statusQuery,
  type PipelineOutput,
  type PipelineStatus,
  type PipelineWorkflow,
  type StepState,
} from '../../workflows/sdk';
import {
  FAKE_PIPELINE_ACTIVITY_NAMES,
  FakePipelineActivities,
  fakeCandidates,
  fakeChampion,
  type FakePipelineWorld,
} from '../support/fake-pipeline-activities';
import { awaitingApproval, timeSkippingEnvironment } from '../support/time-skipping';

const FORECAST = path.join(REPO_ROOT, 'examples', 'forecast');
const STEP_MISTAKES = path.join(REPO_ROOT, 'test', 'fixtures', 'pipelines', 'step-mistakes.ts');

/** The example's spec, loaded as `mlops run` loads it. */
const forecastSpec = (): PipelineSpec => loadPipelineSpec(path.join(FORECAST, 'pipeline.yaml')).spec;

/** The champion when a run starts: v3, trained on other data, scored rmse 13 / r2 0.6 on the holdout. */
const CHAMPION = fakeChampion({ model: 'forecast', version: 3, trainingSnapshot: 'b'.repeat(64) });
const CHAMPION_METRICS = { rmse: 13, mae: 9, r2: 0.6 };

/** A world with the champion, where the candidates' evaluations score `byLabel`. */
const worldWith = (
  byLabel: Record<'ridge' | 'gradient_boosting', Record<string, number>>,
  more: FakePipelineWorld = {},
): FakePipelineWorld => ({
  champion: CHAMPION,
  championMetrics: CHAMPION_METRICS,
  candidateMetrics: fakeCandidates(byLabel),
  trainingMetrics: (params) => ({ train_rmse: params.algorithm === 'ridge' ? 11 : 9 }),
  ...more,
});

/** The states of a run's steps, by name. */
const stepStates = (status: PipelineStatus): Record<string, StepState> =>
  Object.fromEntries(status.steps.map((s) => [s.name, s.state]));

describe('pipelines on the building blocks (time-skipping)', function () {
  // each run takes well under a second of wall time: a test that waits longer is stuck
  this.timeout(20_000);
  const skipping = timeSkippingEnvironment(FAKE_PIPELINE_ACTIVITY_NAMES, {
    workflowFiles: [path.join(FORECAST, 'workflows.ts'), STEP_MISTAKES],
  });
  const env = () => skipping.env();

  interface Run {
    fake: FakePipelineActivities;
    handle: WorkflowHandle<PipelineWorkflow>;
    run: string;
    /** The run id as a store key segment (what its store folders are named by). */
    key: string;
  }

  /** Starts `workflow` on `spec` with fake activities over `world` and calls `fn`; the run is ended afterwards. */
  const withRun = async <T>(
    workflow: string,
    spec: PipelineSpec,
    world: FakePipelineWorld,
    fn: (r: Run) => Promise<T>,
  ): Promise<T> => {
    const fake = new FakePipelineActivities(world);
    skipping.use(fake.activities);
    const run = `retrain/${spec.name}/${randomUUID().slice(0, 8)}`;
    const { taskQueue } = skipping;
    const handle = await env().client.workflow.start<PipelineWorkflow>(workflow, {
      workflowId: run,
      taskQueue,
      args: [{ spec, trigger: 'manual', actor: 'alice', trainingTaskQueue: taskQueue }],
    });
    try {
      return await fn({ fake, handle, run, key: run.replace(/[^A-Za-z0-9._-]/g, '_') });
    } finally {
      // a run left open (by a failed assertion) would hold the test server's clock for the next tests
      await handle.terminate('test over').catch(() => undefined);
    }
  };

  /** The jobs of the run's `runStep` steps, with what they returned, in order. */
  const stepJobs = (fake: FakePipelineActivities) =>
    fake.returnedOf('runTrainingJob').filter((j) => j.input.step.startsWith('step-'));

  /** The training jobs (of the `trainModel` children), by their `algorithm` param. */
  const trainingJobs = (fake: FakePipelineActivities) =>
    Object.fromEntries(
      fake
        .returnedOf('runTrainingJob')
        .filter((j) => j.input.step === 'train')
        .map((j) => [String(j.input.job.params.algorithm), j]),
    );

  /** The result of the run's own `finishRun` (children track runs of their own). */
  const finishedAs = (fake: FakePipelineActivities, run: string) =>
    fake
      .inputsOf('finishRun')
      .filter((f) => f.run === run)
      .map((f) => f.status);

  /** The run's failure: the workflow failed, with this cause. */
  const failureOf = async (handle: Run['handle']): Promise<unknown> => {
    const err = await handle.result().then(
      (out: PipelineOutput) => assert.fail(`the run ended ${out.outcome}; it should have failed`),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError, String(err));
    return err.cause;
  };

  describe('forecastPipeline', () => {
    const better = { rmse: 10.5, mae: 7, r2: 0.8 };
    const worse = { rmse: 12, mae: 8, r2: 0.7 };

    it('extracts, featurizes, trains both candidates, registers the better with its lineage, rolls it out and scores', async () => {
      const world = worldWith({ ridge: worse, gradient_boosting: better });
      await withRun('forecastPipeline', forecastSpec(), world, async ({ fake, handle, run, key }) => {
        await awaitingApproval(handle);
        await handle.executeUpdate(approveUpdate, { args: [{ actor: 'alice', comment: 'rmse down' }] });
        const result = await handle.result();

        // the steps: each job's output folder under the run's steps/, snapshotted into its dataset
        const [extract, features, score, ...more] = stepJobs(fake);
        assert.deepEqual(more, [], 'three step jobs: extract, features, score');
        assert.deepEqual(
          [extract, features, score].map((j) => [j!.input.step, j!.input.job.outputPrefix]),
          [
            ['step-extract', `experiments/forecast/${key}/steps/extract`],
            ['step-features', `experiments/forecast/${key}/steps/features`],
            ['step-score', `experiments/forecast/${key}/steps/score`],
          ],
        );
        assert.deepEqual(extract!.input.job.params, { seed: 7, days: 365 });
        assert.equal(extract!.input.job.inputs, undefined, 'the extract reads nothing');
        const snapshots = fake.returnedOf('snapshotDataset');
        assert.deepEqual(
          snapshots.map((s) => [s.input.dataset, s.input.source]),
          [
            ['forecast', extract!.result.outputUri],
            ['forecast-features', features!.result.outputUri],
            ['forecast-score', score!.result.outputUri],
          ],
        );
        const [raw, featured] = snapshots.map((s) => s.result);
        assert.notEqual(raw!.id, featured!.id);
        assert.deepEqual(features!.input.job.inputs, [
          { name: 'raw', snapshot: { dataset: 'forecast', snapshot: raw!.id } },
        ]);

        // two candidates, each a trainModel child training on the features
        const trained = trainingJobs(fake);
        assert.deepEqual(Object.keys(trained).sort(), ['gradient_boosting', 'ridge']);
        for (const [algorithm, job] of Object.entries(trained)) {
          assert.deepEqual(job.input.job.input, { dataset: 'forecast-features', snapshot: featured!.id }, algorithm);
          assert.equal(job.input.job.params.alpha, 1.0, 'the spec params under each candidate');
          const child = await env().client.workflow.getHandle(`train/${run}/${algorithm}`).describe();
          assert.deepEqual([child.type, child.status.name], ['trainModel', 'COMPLETED']);
        }
        const evaluated = fake.inputsOf('runTrainingJob').filter((j) => j.job.modelUri !== undefined);
        assert.deepEqual(
          evaluated.map((j) => j.job.modelUri).sort(),
          [CHAMPION.artifactUri, trained.ridge!.result.outputUri, trained.gradient_boosting!.result.outputUri].sort(),
        );
        assert.equal(new Set(evaluated.map((j) => JSON.stringify(j.job.input))).size, 1, 'one holdout for all three');

        // the lower rmse wins (the spec minimizes it), registered with the steps that made its data
        const [registered, ...others] = fake.inputsOf('registerModel');
        assert.deepEqual(others, [], 'one version registered');
        assert.equal(registered!.artifactUri, trained.gradient_boosting!.result.outputUri);
        assert.equal(registered!.status, 'candidate');
        assert.equal(registered!.params.algorithm, 'gradient_boosting');
        assert.deepEqual(registered!.trainingSnapshot, { dataset: 'forecast-features', id: featured!.id });
        assert.deepEqual(registered!.steps, [
          { step: 'extract', dataset: 'forecast', id: raw!.id },
          { step: 'features', dataset: 'forecast-features', id: featured!.id },
        ]);

        // approved by alice, rolled out, the champion replaced; then the score step on the promoted model
        assert.deepEqual(fake.statuses, [
          [4, 'approved'],
          [4, 'production'],
          [3, 'archived'],
        ]);
        assert.equal(fake.inputsOf('setModelStatus')[0]!.actor, 'alice');
        assert.deepEqual(
          fake.inputsOf('setModelAlias').map((a) => [a.alias, a.version, a.expectedVersion]),
          [['champion', 4, 3]],
        );
        const rollout = await env().client.workflow.getHandle('rollout/forecast').describe();
        assert.deepEqual([rollout.type, rollout.status.name], ['progressiveRollout', 'COMPLETED']);
        assert.deepEqual(score!.input.job.inputs, [
          { name: 'model', modelUri: registered!.artifactUri },
          { name: 'features', snapshot: { dataset: 'forecast-features', snapshot: featured!.id } },
        ]);
        const scoreCall = fake.calls.findIndex((c) => c.name === 'runTrainingJob' && c.input === score!.input);
        assert.ok(
          fake.calls.findIndex((c) => c.name === 'setModelAlias') < scoreCall,
          'the score step runs after the promotion',
        );

        assert.equal(result.outcome, 'approved');
        assert.equal(result.stage, 'done');
        assert.deepEqual(result.candidateMetrics, better);
        assert.deepEqual(result.championMetrics, CHAMPION_METRICS);
        assert.deepEqual([result.approval?.decision, result.approval?.actor], ['approved', 'alice']);
        const status = await handle.query(statusQuery);
        assert.deepEqual(stepStates(status), {
          extract: 'done',
          features: 'done',
          'train-ridge': 'done',
          'train-gradient_boosting': 'done',
          evaluate: 'done',
          register: 'done',
          approval: 'done',
          rollout: 'done',
          score: 'done',
        });
        assert.equal(status.snapshot, raw!.id, "the run's dataset version is the extract's snapshot");
        assert.equal(status.version, 4);
        assert.deepEqual(finishedAs(fake, run), ['succeeded']);
      });
    });

    it('registers the worse candidate when the better one fails a gate and the worse passes', async () => {
      const world = worldWith({ ridge: worse, gradient_boosting: { ...better, r2: 0.45 } });
      await withRun('forecastPipeline', forecastSpec(), world, async ({ fake, handle }) => {
        const waiting = await awaitingApproval(handle);
        assert.equal(waiting.decision?.passed, true);
        const [registered] = fake.inputsOf('registerModel');
        assert.equal(registered!.artifactUri, trainingJobs(fake).ridge!.result.outputUri);
        assert.equal(registered!.status, 'candidate');
        assert.equal(registered!.metrics.rmse, worse.rmse);
        await handle.executeUpdate(approveUpdate, { args: [{ actor: 'bob' }] });
        const result = await handle.result();
        assert.equal(result.outcome, 'approved');
        assert.deepEqual(result.candidateMetrics, worse);
      });
    });

    it('registers the better of two candidates that both fail the gates as rejected, and asks nobody', async () => {
      const world = worldWith({ ridge: { ...worse, r2: 0.3 }, gradient_boosting: { ...better, r2: 0.4 } });
      await withRun('forecastPipeline', forecastSpec(), world, async ({ fake, handle, run }) => {
        const result = await handle.result();
        assert.equal(result.outcome, 'rejected');
        assert.equal(result.stage, 'rejected');
        assert.equal(result.decision?.passed, false);
        assert.deepEqual(
          result.decision?.reasons.filter((r) => !r.passed).map((r) => r.gate),
          ['thresholds.r2.min'],
        );
        assert.deepEqual(
          fake.inputsOf('registerModel').map((r) => [r.artifactUri, r.status]),
          [[trainingJobs(fake).gradient_boosting!.result.outputUri, 'rejected']],
        );
        assert.equal(result.approval, undefined);
        assert.deepEqual(
          ['approval', 'rollout', 'score'].map((step) => stepStates(result)[step]),
          ['skipped', 'skipped', 'skipped'],
          'steps not reached are skipped, not left pending',
        );
        const { events } = await handle.fetchHistory();
        assert.ok(!events?.some((e) => e.timerStartedEventAttributes), 'no approval was awaited');
        assert.deepEqual(fake.statuses, [], 'no approval decision recorded');
        assert.deepEqual(fake.inputsOf('deployVariant'), [], 'nothing rolled out');
        assert.deepEqual(
          stepJobs(fake).map((j) => j.input.step),
          ['step-extract', 'step-features'],
        );
        assert.equal(stepStates(result).evaluate, 'failed');
        assert.deepEqual(finishedAs(fake, run), ['succeeded']);
      });
    });

    it('neither rolls out nor scores a version an approver rejects', async () => {
      const world = worldWith({ ridge: worse, gradient_boosting: better });
      await withRun('forecastPipeline', forecastSpec(), world, async ({ fake, handle }) => {
        await awaitingApproval(handle);
        await handle.executeUpdate(rejectUpdate, { args: [{ actor: 'alice', reason: 'holiday weeks look off' }] });
        const result = await handle.result();
        assert.equal(result.outcome, 'rejected');
        assert.deepEqual([result.approval?.decision, result.approval?.actor], ['rejected', 'alice']);
        assert.equal(stepStates(result).approval, 'failed');
        assert.deepEqual([stepStates(result).rollout, stepStates(result).score], ['skipped', 'skipped'], 'not reached');
        assert.deepEqual(fake.statuses, [[4, 'rejected']]);
        assert.deepEqual(fake.inputsOf('deployVariant'), [], 'nothing deployed');
        assert.deepEqual(fake.inputsOf('setModelAlias'), [], 'the champion stays');
        assert.equal(result.links.rollout, undefined, 'no rollout started');
        assert.deepEqual(
          stepJobs(fake).map((j) => j.input.step),
          ['step-extract', 'step-features'],
          'no score step',
        );
      });
    });

    it("fails the run when a step's job fails: the step failed, the run recorded failed, a failed notification", async () => {
      const spec = {
        ...forecastSpec(),
        notifications: notificationsSectionSchema.parse({ webhookEnv: 'MLOPS_WEBHOOK_FORECAST' }),
      };
      const world = worldWith({ ridge: worse, gradient_boosting: better }, { failingStep: 'features' });
      await withRun('forecastPipeline', spec, world, async ({ fake, handle, run }) => {
        const cause = await failureOf(handle);
        assert.ok(cause instanceof ActivityFailure, String(cause));
        assert.ok(cause.cause instanceof ApplicationFailure, String(cause.cause));
        assert.equal(cause.cause.type, 'TrainingJobFailed');
        const status = await handle.query(statusQuery);
        assert.equal(status.stage, 'failed');
        assert.deepEqual(
          status.steps.filter((s) => s.state !== 'pending').map((s) => [s.name, s.state]),
          [
            ['extract', 'done'],
            ['features', 'failed'],
          ],
        );
        assert.equal(
          fake.inputsOf('runTrainingJob').filter((j) => j.step === 'step-features').length,
          1,
          'a job failing on its own is not retried',
        );
        assert.deepEqual(trainingJobs(fake), {}, 'nothing trained');
        assert.deepEqual(fake.inputsOf('registerModel'), []);
        assert.deepEqual(finishedAs(fake, run), ['failed']);
        assert.deepEqual(
          fake.notifications.map((n) => n.event),
          ['started', 'failed'],
        );
        assert.match(fake.notifications[1]!.text, /forecast-features .*failed with exit code 1/);
      });
    });
  });

  describe('runStep refuses a mistake in the pipeline code', () => {
    const spec = forecastSpec;

    /** Asserts the run failed at once with a non-retryable InvalidArgument saying `message`. */
    const invalidArgument = async (handle: Run['handle'], message: RegExp) => {
      const cause = await failureOf(handle);
      assert.ok(cause instanceof ApplicationFailure, String(cause));
      assert.equal(cause.type, 'InvalidArgument');
      assert.equal(cause.nonRetryable, true);
      assert.match(cause.message, message);
    };

    it('fails the run on a step name that is not lower case, running no job', async () => {
      await withRun('badStepNamePipeline', spec(), {}, async ({ fake, handle, run }) => {
        await invalidArgument(handle, /^name: "Extract" is not a step name/);
        assert.deepEqual(fake.inputsOf('runTrainingJob'), []);
        assert.deepEqual(finishedAs(fake, run), ['failed']);
      });
    });

    it('fails the run on an input name with a dash, before the step that names it runs', async () => {
      await withRun('badInputNamePipeline', spec(), {}, async ({ fake, handle, run }) => {
        await invalidArgument(handle, /^inputs\.raw-data: not an input name/);
        assert.deepEqual(
          stepJobs(fake).map((j) => j.input.step),
          ['step-extract'],
        );
        const status = await handle.query(statusQuery);
        assert.deepEqual(stepStates(status), { extract: 'done', features: 'pending' });
        assert.deepEqual(finishedAs(fake, run), ['failed']);
      });
    });
  });
});
