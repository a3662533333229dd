/**
 * Fake of every activity a retrain run calls — and the children it starts (`trainModel`,
 * `hyperparameterSweep` and its `sweepTrial`s, `progressiveRollout`) — for the time-skipping
 * workflow tests (test/support/time-skipping.ts): tracking, data, training, evaluation, reports,
 * registry, serving and notifications, in memory. The real ones need a store, training jobs and a
 * gateway; these answer at once from a small scripted world (a champion or none, the metrics a
 * training or evaluation job produces, the verdicts of a rollout's analyses) and record every call,
 * so a test asserts what the run asked for — the registry statuses it recorded, the notifications
 * it sent — rather than how.
 *
 * Pipelines written on the blocks run their own steps (`runStep`): a step's job writes its output
 * folder under its `outputPrefix`, and a snapshot of that folder gets an id of its own (the fake's
 * content address), so a later step's `inputs` can be checked against what was made. A job naming an
 * input snapshot or model that no earlier call produced fails as the real one would (not retried).
 *
 * `activities` is a `Partial<Activities>` for a worker; `overrides` replaces any one activity
 * (e.g. a `notify` that always fails). Calls are recorded whether the activity is the default or an
 * override. `verifyDecision` is not faked: it is the worker's real check of signed decisions.
 */
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { Activities } from '../../activities';
import { createApprovalActivities } from '../../activities/approvals';
import { FilesystemBlobStore } from '../../activities/storage';
import type { BlobStore } from '../../activities/storage/types';
import type { NotifyInput } from '../../activities/notifications';
import type { ModelVersionSummary } from '../../activities/registry/types';
import type { EvaluationSummary } from '../../common/evaluation';

export type ActivityName = keyof Activities;
type InputOf<K extends ActivityName> = Parameters<Activities[K]>[0];
type ResultOf<K extends ActivityName> = Awaited<ReturnType<Activities[K]>>;

/** One recorded activity call, with its result once it returned. */
export interface FakeActivityCall {
  name: ActivityName;
  input: unknown;
  result?: unknown;
}

export interface FakePipelineWorld {
  /** The model's champion when the run starts. @default null: a first run */
  champion?: ModelVersionSummary | null;
  /** The id every snapshot of the dataset gets. @default SNAPSHOT */
  snapshot?: string;
  /** The hash of the training and evaluation code. @default 'code-1' */
  codeVersion?: string;
  /** The final metrics of a training job (a sweep's trial: of its params). @default { auc: 0.9 } */
  trainingMetrics?: (params: Record<string, unknown>) => Record<string, number>;
  /**
   * What a candidate's evaluation job writes: the same for every candidate, or by the evaluation's
   * store prefix (`fakeCandidates` keys it by the candidates' labels). @default { auc: 0.9 }
   */
  candidateMetrics?: Record<string, number> | ((outputPrefix: string) => Record<string, number>);
  /** What the champion's evaluation job writes. @default { auc: 0.8 } */
  championMetrics?: Record<string, number>;
  /** The verdict of the rollout's n-th analysis (0-based). @default always 'pass' */
  analysis?: (n: number) => 'pass' | 'fail' | 'inconclusive';
  /** The final metrics of the job of `runStep` step `step`. @default {} */
  stepMetrics?: (step: string) => Record<string, number>;
  /** The `runStep` step whose job fails on its own (exit code 1: `TrainingJobFailed`, not retried). */
  failingStep?: string;
  /**
   * The store the REAL `verifyDecision` (activities/approvals/) reads the registry's approvers file
   * from: approvals are verified as a worker verifies them, never faked. @default an empty store
   */
  approvalStore?: BlobStore;
}

/** A store with nothing in it (a folder that is never written), for the real `verifyDecision`. */
const EMPTY_STORE = new FilesystemBlobStore(path.join(os.tmpdir(), 'mlops-fake-pipeline-empty-store'));

/** Where the fake store is: the URIs of every output folder a fake job writes start with it. */
export const FAKE_STORE = 'file:///fake';

/** The snapshot id the fake gives the output folder at `source` (a stand-in for its content hash). */
export function fakeContentId(source: string): string {
  return createHash('sha256').update(source).digest('hex');
}

/** Where the fake puts a run's evaluation report (`writeEvaluationReport`, `evaluationReportLocation` agree). */
function fakeReportRef(run: string): { key: string; uri: string } {
  const key = `reports/evaluations/${run.replace(/[^A-Za-z0-9._-]/g, '_')}.html`;
  return { key, uri: `${FAKE_STORE}/${key}` };
}

/**
 * `candidateMetrics` for several labelled candidates (`train(…, { label })`): the evaluation of
 * candidate `label` is written under a prefix ending in `/<label>`.
 */
export function fakeCandidates(
  byLabel: Record<string, Record<string, number>>,
): (prefix: string) => Record<string, number> {
  return (prefix) => {
    const label = prefix.slice(prefix.lastIndexOf('/') + 1);
    const metrics = byLabel[label];
    if (!metrics) throw new Error(`no metrics for the candidate evaluated under ${prefix}`);
    return metrics;
  };
}

/** The snapshot id of the fake dataset, unless the world says otherwise. */
export const SNAPSHOT = 'a'.repeat(64);

/** A champion version record as `findChampion` returns it, trained on `trainingSnapshot` with `codeVersion`. */
export function fakeChampion(fields: {
  model: string;
  version: number;
  trainingSnapshot?: string;
  codeVersion?: string;
  /** The `trainingConfig` tag: what the unchanged check compares. */
  trainingConfig?: string;
}): ModelVersionSummary {
  return {
    model: fields.model,
    version: fields.version,
    artifactUri: `file:///fake/models/${fields.model}/v${fields.version}`,
    metrics: { auc: 0.8 },
    params: {},
    trainingSnapshot: { dataset: 'churn', id: fields.trainingSnapshot ?? SNAPSHOT },
    codeVersion: fields.codeVersion ?? 'code-1',
    pipelineRun: 'retrain/earlier',
    trigger: 'manual',
    tags: fields.trainingConfig === undefined ? {} : { trainingConfig: fields.trainingConfig },
    createdAt: '2026-01-01T00:00:00.000Z',
    createdBy: 'pipeline:retrain/earlier',
    initialStatus: 'candidate',
    registrationKey: 'fake',
    status: 'production',
    aliases: ['champion'],
  };
}

/** The fake activities of a retrain run over one scripted world, recording every call. */
export class FakePipelineActivities {
  readonly calls: FakeActivityCall[] = [];
  readonly activities: Partial<Activities>;
  /** Evaluation prefixes an evaluation job has written to. */
  private readonly written = new Set<string>();
  /** Output folders a step's job has written (URIs). */
  private readonly stepOutputs = new Set<string>();
  /** Model folders a training job has written (URIs). */
  private readonly models = new Set<string>();
  /** `<dataset>@<id>` of every snapshot taken. */
  private readonly snapshots = new Set<string>();
  private analyses = 0;

  constructor(world: FakePipelineWorld = {}, overrides: Partial<Activities> = {}) {
    const snapshot = world.snapshot ?? SNAPSHOT;
    const champion = world.champion ?? null;
    const at = '2026-01-01T00:00:00.000Z';
    const summary = (metrics: Record<string, number>): EvaluationSummary => ({ metrics, segments: {} });
    const defaults: Partial<Activities> = {
      startRun: async (input) => ({
        pipeline: input.pipeline,
        run: input.run,
        runKey: input.run.replace(/[^A-Za-z0-9]+/g, '-'),
        params: input.params ?? {},
        tags: input.tags ?? {},
        status: 'running',
        startedAt: at,
      }),
      finishRun: async (input) => ({
        pipeline: input.pipeline,
        run: input.run,
        runKey: input.run.replace(/[^A-Za-z0-9]+/g, '-'),
        params: {},
        tags: {},
        status: input.status,
        startedAt: at,
        endedAt: at,
      }),
      startTrial: async (input) => ({
        pipeline: input.pipeline,
        run: input.run,
        trial: input.trial,
        params: input.params ?? {},
        metrics: {},
        tags: {},
        status: 'running',
        startedAt: at,
        artifacts: [],
        root: `experiments/${input.pipeline}/${input.run.replace(/[^A-Za-z0-9]+/g, '-')}/trials/${input.trial}`,
      }),
      finishTrial: async (input) => ({
        pipeline: input.pipeline,
        run: input.run,
        trial: input.trial,
        params: {},
        metrics: input.metrics ?? {},
        tags: {},
        status: input.status,
        startedAt: at,
        endedAt: at,
        artifacts: [],
      }),
      notify: async () => ({ sent: true }),
      snapshotDataset: async (input) => {
        // a step's output folder has content of its own; any other source is the world's dataset
        const fromStep = input.source !== undefined && this.stepOutputs.has(input.source);
        const id = fromStep ? fakeContentId(input.source!) : snapshot;
        this.snapshots.add(`${input.dataset}@${id}`);
        return {
          dataset: input.dataset,
          id,
          fileCount: 2,
          totalBytes: 2048,
          uploadedFiles: 0,
          uploadedBytes: 0,
          cachedDigests: 2,
          created: false,
          parent: null,
          manifestKey: `datasets/${input.dataset}/snapshots/${id}.json`,
        };
      },
      validateDataset: async (input) => ({
        dataset: input.dataset,
        snapshot: input.id,
        passed: true,
        results: [],
        reportKey: `datasets/${input.dataset}/validations/${input.id}/fake.json`,
        checkedAt: at,
      }),
      resolveSnapshot: async () => ({ id: snapshot }),
      codeVersion: async () => ({ version: world.codeVersion ?? 'code-1', files: 3 }),
      // a folder of the training host packaged: its digest made from its path (no files are read)
      packageCode: async ({ folder }) => ({
        digest: fakeCodeDigest(folder),
        key: `code/${fakeCodeDigest(folder).slice('sha256:'.length)}.zip`,
        files: 3,
        bytes: 3072,
        uploaded: true,
      }),
      findChampion: async () => champion,
      runTrainingJob: async ({ job, step }) => {
        if (step.startsWith('step-')) {
          // a step of a pipeline (`runStep`): its inputs must exist; it writes its output folder
          const name = step.slice('step-'.length);
          const jobId = `step-${job.outputPrefix}`;
          for (const i of job.inputs ?? []) {
            if (i.snapshot && !this.snapshots.has(`${i.snapshot.dataset}@${i.snapshot.snapshot}`))
              throw ApplicationFailure.nonRetryable(
                `input ${i.name}: dataset ${i.snapshot.dataset} has no snapshot ${i.snapshot.snapshot}`,
                'SnapshotNotFound',
              );
            if (i.modelUri !== undefined && !this.models.has(i.modelUri))
              throw ApplicationFailure.nonRetryable(`input ${i.name}: no model at ${i.modelUri}`, 'InvalidInput');
          }
          if (name === world.failingStep)
            throw ApplicationFailure.create({
              type: 'TrainingJobFailed',
              message: `training job ${job.name} (${jobId}) failed with exit code 1: exit code 1`,
              nonRetryable: true,
              details: [{ jobId, exitCode: 1, logTail: 'Traceback: KeyError: sales' }],
            });
          const outputUri = `${FAKE_STORE}/${job.outputPrefix}/output`;
          this.stepOutputs.add(outputUri);
          return { jobId, outputUri, metrics: world.stepMetrics?.(name) ?? {}, latestMetrics: {}, logTail: '' };
        }
        if (job.modelUri !== undefined) {
          // an evaluation job: it writes evaluation.json under its prefix
          this.written.add(job.outputPrefix);
          return { jobId: `evaluate-${this.written.size}`, metrics: {}, latestMetrics: {}, logTail: '' };
        }
        const metrics = world.trainingMetrics?.(job.params) ?? { auc: 0.9 };
        const outputUri = `${FAKE_STORE}/${job.outputPrefix}/model`;
        this.models.add(outputUri);
        return {
          jobId: `train-${job.outputPrefix}`,
          outputUri,
          metrics,
          latestMetrics: {},
          logTail: '',
        };
      },
      readEvaluation: async ({ outputPrefix }) => {
        if (!this.written.has(outputPrefix)) return null;
        const isCandidate = outputPrefix.includes('/evaluations/candidates/');
        const candidate = world.candidateMetrics ?? { auc: 0.9 };
        const metrics = isCandidate
          ? typeof candidate === 'function'
            ? candidate(outputPrefix)
            : candidate
          : (world.championMetrics ?? { auc: 0.8 });
        return { key: `${outputPrefix}/evaluation.json`, summary: summary(metrics) };
      },
      writeEvaluationReport: async (input) => fakeReportRef(input.run),
      evaluationReportLocation: async (input) => fakeReportRef(input.run),
      writeSweepReport: async (input) => ({
        key: `reports/sweeps/${input.pipeline}/report.html`,
        uri: `file:///fake/reports/sweeps/${input.pipeline}/report.html`,
      }),
      registerModel: async (input) => ({ model: input.model, version: (champion?.version ?? 0) + 1, created: true }),
      setModelStatus: async (input) => ({
        changed: true,
        version: input.version,
        status: input.status,
        previous: 'candidate',
      }),
      setModelAlias: async (input) => ({
        changed: true,
        alias: input.alias,
        version: Number(input.version),
        previous: champion?.version ?? null,
      }),
      endpointBeforeRollout: async ({ endpoint }) =>
        champion
          ? {
              endpoint,
              variants: [
                {
                  name: `${champion.model}-v${champion.version}`,
                  model: champion.model,
                  version: champion.version,
                  weight: 100,
                  upstream: 'http://fake',
                  ready: true,
                },
              ],
              revision: 1,
            }
          : null,
      deployVariant: async ({ endpoint, model }) => ({
        endpoint,
        name: `${model.name}-v${model.version}`,
        model: model.name,
        version: model.version,
        artifactUri: model.artifactUri,
        upstream: 'http://fake',
        attached: false,
      }),
      waitVariantReady: async () => undefined,
      setTraffic: async ({ endpoint, weights }) => ({
        endpoint,
        variants: Object.entries(weights).map(([name, weight]) => ({
          name,
          model: name.replace(/-v\d+$/, ''),
          version: Number(/-v(\d+)$/.exec(name)?.[1] ?? 0),
          weight,
          upstream: 'http://fake',
          ready: true,
        })),
        revision: 2,
      }),
      analyzeRollout: async () => {
        const verdict = world.analysis?.(this.analyses) ?? 'pass';
        this.analyses += 1;
        const passed = verdict !== 'fail';
        return {
          candidate: { requests: 100, errorRate: passed ? 0 : 0.5, p95: 10 },
          baseline: { requests: 100, errorRate: 0, p95: 10 },
          verdict,
          checks: [
            {
              check: 'errorRate',
              passed,
              message: passed ? 'error rate 0.00% ≤ 1.00%' : 'error rate 50.00% > 1.00%',
              actual: passed ? 0 : 0.5,
              limit: 0.01,
            },
          ],
        };
      },
      undeployVariant: async () => undefined,
      // not a fake: the worker's own verification of signed decisions
      verifyDecision: createApprovalActivities({ store: world.approvalStore ?? EMPTY_STORE }).verifyDecision,
    };
    const all: Partial<Activities> = { ...defaults, ...overrides };
    this.activities = Object.fromEntries(
      Object.entries(all).map(([name, fn]) => [
        name,
        async (input: unknown) => {
          const call: FakeActivityCall = { name: name as ActivityName, input };
          this.calls.push(call);
          call.result = await (fn as (input: unknown) => Promise<unknown>)(input);
          return call.result;
        },
      ]),
    ) as Partial<Activities>;
  }

  /** The inputs of every call of `name`, in order. */
  inputsOf<K extends ActivityName>(name: K): InputOf<K>[] {
    return this.calls.filter((c) => c.name === name).map((c) => c.input as InputOf<K>);
  }

  /** The input and result of every call of `name` that returned, in the order they were made. */
  returnedOf<K extends ActivityName>(name: K): { input: InputOf<K>; result: ResultOf<K> }[] {
    return this.calls
      .filter((c) => c.name === name && 'result' in c)
      .map((c) => ({ input: c.input as InputOf<K>, result: c.result as ResultOf<K> }));
  }

  /** Every notification asked for (delivered or not), in order. */
  get notifications(): NotifyInput[] {
    return this.inputsOf('notify');
  }

  /** The [version, status] of every registry status change, in order. */
  get statuses(): [number, string][] {
    return this.inputsOf('setModelStatus').map((s) => [s.version, s.status]);
  }
}

/** The digest the fake `packageCode` gives `folder`: `sha256:` and 64 hex digits made from it. */
export function fakeCodeDigest(folder: string): string {
  const hex = createHash('sha256').update(`fake code ${folder}`).digest('hex');
  return `sha256:${hex}`;
}

/** The names of every activity `FakePipelineActivities` fakes: what a worker running them registers. */
export const FAKE_PIPELINE_ACTIVITY_NAMES = Object.keys(new FakePipelineActivities().activities) as ActivityName[];

/**
 * The tracking, data, training, evaluation and registry activities of a run whose candidate passes
 * its gate and is registered as `version` (the serving workflow tests' short retrains), without the
 * recording world of `FakePipelineActivities`.
 */
export function passingRetrainSteps(pipeline: string, version: number) {
  return {
    startRun: () => Promise.resolve({}),
    finishRun: () => Promise.resolve({}),
    startTrial: () => Promise.resolve({ root: `experiments/${pipeline}/run/trials/1` }),
    finishTrial: () => Promise.resolve({}),
    snapshotDataset: () => Promise.resolve({ id: SNAPSHOT, fileCount: 2, created: true }),
    codeVersion: () => Promise.resolve({ version: 'code-1' }),
    runTrainingJob: () =>
      Promise.resolve({ jobId: 'job-1', outputUri: `${FAKE_STORE}/v${version}`, metrics: { auc: 0.9 } }),
    readEvaluation: () => Promise.resolve({ key: 'evaluation.json', summary: { metrics: { auc: 0.9 } } }),
    writeEvaluationReport: () => Promise.resolve({ uri: `${FAKE_STORE}/report.html` }),
    evaluationReportLocation: () => Promise.resolve({ key: 'report.html', uri: `${FAKE_STORE}/report.html` }),
    registerModel: () => Promise.resolve({ version }),
  };
}

/** The pipeline spec of those retrains: churn data, an AUC gate of 0.75, and the given rollout (if any). */
export function passingRetrainSpec(name: string, model: string, rollout?: Record<string, unknown>) {
  return {
    name,
    model,
    dataset: { name: 'churn', source: '/data/churn' },
    training: { entrypoint: ['python', 'train.py'], codeDir: '/code' },
    evaluation: {
      entrypoint: ['python', 'evaluate.py'],
      codeDir: '/code',
      holdout: { file: 'holdout.csv' },
      primaryMetric: 'auc',
      gates: { thresholds: { auc: { min: 0.75 } } },
    },
    ...(rollout ? { rollout } : {}),
  };
}
