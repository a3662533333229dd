/**
 * Code packages in pipeline runs, on the time-skipping test server with fake activities
 * (test/support/fake-pipeline-activities.ts): a spec that carries `training.codePackage` and
 * `evaluation.codePackage` (as the CLI sets them) sends every job its package by digest and no
 * folder, and the registered version's code version is the digest; a spec without packages runs
 * the folders and hashes them as before. `runStep` runs the training package, or packages a step's
 * own folder on the training host first (test/fixtures/pipelines/step-code.ts).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { pipelineSpecSchema, type PipelineSpec, type PipelineSpecInput } from '../../common/schemas/spec';
import { REPO_ROOT } from '../../lib/tools';
import type { PipelineWorkflow } from '../../workflows/sdk';
import {
  FAKE_PIPELINE_ACTIVITY_NAMES,
  FakePipelineActivities,
  fakeChampion,
  fakeCodeDigest,
  type FakePipelineWorld,
} from '../support/fake-pipeline-activities';
import { timeSkippingEnvironment } from '../support/time-skipping';

const STEP_CODE = path.join(REPO_ROOT, 'test', 'fixtures', 'pipelines', 'step-code.ts');
const TRAINING_PACKAGE = `sha256:${'a'.repeat(64)}`;
const EVALUATION_PACKAGE = `sha256:${'b'.repeat(64)}`;

/** Pipeline `churn` whose code is in /code, with the given packages; no gate blocks a first version. */
function specWith(packages: { training?: string; evaluation?: string }, more: Partial<PipelineSpecInput> = {}) {
  return pipelineSpecSchema.parse({
    name: 'churn',
    model: 'churn-model',
    dataset: { name: 'churn', source: '/data/churn' },
    training: {
      entrypoint: ['python', 'train.py'],
      codeDir: '/code',
      ...(packages.training ? { codePackage: packages.training } : {}),
    },
    evaluation: {
      entrypoint: ['python', 'evaluate.py'],
      codeDir: '/code',
      ...(packages.evaluation ? { codePackage: packages.evaluation } : {}),
      primaryMetric: 'auc',
    },
    ...more,
  });
}

describe('code packages in runs (time-skipping)', function () {
  this.timeout(20_000);
  const skipping = timeSkippingEnvironment(FAKE_PIPELINE_ACTIVITY_NAMES, { workflowFiles: [STEP_CODE] });

  /** Runs `workflow` on `spec` to its end; returns the fake activities it called. */
  const runToEnd = async (workflow: string, spec: PipelineSpec, world: FakePipelineWorld = {}) => {
    const fake = new FakePipelineActivities(world);
    skipping.use(fake.activities);
    const { taskQueue } = skipping;
    const handle: WorkflowHandle<PipelineWorkflow> = await skipping
      .env()
      .client.workflow.start<PipelineWorkflow>(workflow, {
        workflowId: `retrain/${spec.name}/${randomUUID().slice(0, 8)}`,
        taskQueue,
        args: [{ spec, trigger: 'manual', actor: 'alice', trainingTaskQueue: taskQueue }],
      });
    try {
      const result = await handle.result();
      return { fake, result };
    } finally {
      await handle.terminate('test over').catch(() => undefined);
    }
  };

  /** The code each job ran, by step: its package digest or its folder. */
  const codeOfJobs = (fake: FakePipelineActivities) =>
    fake.inputsOf('runTrainingJob').map(({ step, job }) => ({
      step,
      codeDir: job.codeDir,
      codePackage: job.codePackage?.digest,
    }));

  it('sends every job its package by digest, and registers the digest as the code version', async () => {
    const spec = specWith({ training: TRAINING_PACKAGE, evaluation: TRAINING_PACKAGE });
    const { fake, result } = await runToEnd('retrainPipeline', spec);
    assert.equal(result.outcome, 'approved');
    const jobs = codeOfJobs(fake);
    assert.deepEqual(
      jobs.map((j) => j.step).sort(),
      ['evaluate-candidate', 'train'],
      'one training and one evaluation job',
    );
    for (const job of jobs)
      assert.deepEqual(job, { step: job.step, codeDir: undefined, codePackage: TRAINING_PACKAGE });
    assert.equal(fake.inputsOf('codeVersion').length, 0, 'no folder is hashed on a worker');
    assert.equal(fake.inputsOf('registerModel')[0]!.codeVersion, TRAINING_PACKAGE);
  });

  it('runs different training and evaluation packages, versioned by both digests', async () => {
    const spec = specWith({ training: TRAINING_PACKAGE, evaluation: EVALUATION_PACKAGE });
    const { fake } = await runToEnd('retrainPipeline', spec);
    const byStep = Object.fromEntries(codeOfJobs(fake).map((j) => [j.step, j.codePackage]));
    assert.deepEqual(byStep, { train: TRAINING_PACKAGE, 'evaluate-candidate': EVALUATION_PACKAGE });
    assert.equal(fake.inputsOf('registerModel')[0]!.codeVersion, `${TRAINING_PACKAGE}+${EVALUATION_PACKAGE}`);
  });

  it('is unchanged when the champion was trained on the same data and package', async () => {
    const spec = specWith({ training: TRAINING_PACKAGE, evaluation: TRAINING_PACKAGE });
    const { fake: first } = await runToEnd('retrainPipeline', spec);
    const registered = first.inputsOf('registerModel')[0]!;
    const champion = fakeChampion({
      model: 'churn-model',
      version: 1,
      codeVersion: TRAINING_PACKAGE,
      trainingConfig: registered.tags!.trainingConfig,
    });
    const { fake, result } = await runToEnd('retrainPipeline', spec, { champion });
    assert.equal(result.outcome, 'unchanged');
    assert.equal(fake.inputsOf('runTrainingJob').length, 0, 'nothing trained');
  });

  it('runs the folders and hashes them on the worker when the spec carries no packages', async () => {
    const { fake, result } = await runToEnd('retrainPipeline', specWith({}), { codeVersion: 'code-7' });
    assert.equal(result.outcome, 'approved');
    for (const job of codeOfJobs(fake))
      assert.deepEqual(job, { step: job.step, codeDir: '/code', codePackage: undefined });
    assert.deepEqual(
      fake.inputsOf('codeVersion').map((c) => c.dirs),
      [['/code']],
    );
    assert.equal(fake.inputsOf('registerModel')[0]!.codeVersion, 'code-7');
  });

  it('runs a step on the training package, and packages a step’s own folder on the training host first', async () => {
    const spec = specWith({ training: TRAINING_PACKAGE, evaluation: TRAINING_PACKAGE });
    const { fake } = await runToEnd('stepCodePipeline', spec);
    assert.deepEqual(
      fake.inputsOf('packageCode').map((p) => p.folder),
      ['/steps/features'],
    );
    assert.deepEqual(codeOfJobs(fake), [
      { step: 'step-extract', codeDir: undefined, codePackage: TRAINING_PACKAGE },
      { step: 'step-features', codeDir: undefined, codePackage: fakeCodeDigest('/steps/features') },
    ]);
  });

  it('runs steps from their folders when the spec carries no packages', async () => {
    const { fake } = await runToEnd('stepCodePipeline', specWith({}));
    assert.equal(fake.inputsOf('packageCode').length, 0);
    assert.deepEqual(codeOfJobs(fake), [
      { step: 'step-extract', codeDir: '/code', codePackage: undefined },
      { step: 'step-features', codeDir: '/steps/features', codePackage: undefined },
    ]);
  });
});
