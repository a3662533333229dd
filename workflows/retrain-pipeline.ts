/**
 * `retrainPipeline` (workflow id `retrain/<pipeline>/<utc time>`): one durable run from new data to
 * an approved, registered model (docs/architecture.md, "Data flow of one retrain"):
 *
 *   snapshot ─► validate ─► unchanged? (same data, code and training config as the champion: end)
 *   ─► train (one job, or a `hyperparameterSweep` child `sweep/<run id>`)
 *   ─► evaluate candidate and champion on the same holdout snapshot (champion results cached per
 *      version and snapshot) ─► gates (pure) ─► evaluation report ─► register (candidate | rejected)
 *   ─► approval (updates `approve` / `reject`, timeout, reminders) ─► approved
 *
 * The parsed spec travels in the input (and is kept with the tracked run), so a run is reproducible
 * from its history. Every step shows in the details table, the `status` query and `MlStage`.
 */
import {
  ActivityCancellationType,
  CancellationScope,
  condition,
  defineQuery,
  defineUpdate,
  executeChild,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { TrainingJob } from '../activities/training/types';
import { EvaluationMissingError, SweepFailedError, toApplicationFailure } from '../common/failures';
import { describeParams, formatMetric, innermostMessage, shortId } from '../common/format';
import { evaluateGates, type EvaluationSummary, type GateDecision } from '../common/gates';
import {
  MlDatasetVersion,
  MlModel,
  MlModelVersion,
  MlPipeline,
  MlPrimaryMetric,
  MlStage,
  MlTrigger,
} from '../common/search-attributes';
import { parseDuration } from '../common/duration';
import type { NotificationEvent, PipelineSpec } from '../common/schemas/spec';
import { hyperparameterSweep } from './hyperparameter-sweep';
import { progressiveRollout } from './progressive-rollout';
import { KEEPALIVE_TIMEOUT } from './keepalive';

export type Stage =
  'snapshot' | 'train' | 'evaluate' | 'awaiting-approval' | 'rollout' | 'done' | 'unchanged' | 'rejected' | 'failed';

export type Outcome = 'approved' | 'unchanged' | 'rejected' | 'rolled-back';

export interface RetrainPipelineInput {
  /** The parsed spec, paths absolute (client/pipeline-spec.ts). */
  spec: PipelineSpec;
  /** Where the spec came from, for the record. */
  specFile?: string;
  trigger: string;
  /** Who started the run (a person, `schedule`, `monitor/<endpoint>`…). */
  actor: string;
  /** Train and evaluate even when data, code and config equal the champion's. */
  force?: boolean;
  reason?: string;
  /** Task queue of the training workers (training and evaluation jobs). */
  trainingTaskQueue: string;
}

export type StepState = 'pending' | 'running' | 'done' | 'skipped' | 'failed' | 'cancelled';

export interface Step {
  name: string;
  state: StepState;
  startedAt?: string;
  endedAt?: string;
  summary?: string;
  metrics?: Record<string, number>;
}

export interface ApprovalDecision {
  decision: 'approved' | 'rejected';
  actor: string;
  /** The approver's comment or the rejection's reason. */
  comment: string;
  at: string;
  /** `person`, or `timeout` when `onTimeout` decided, or `policy` when no approval was required. */
  by: 'person' | 'timeout' | 'policy';
}

export interface RetrainStatus {
  pipeline: string;
  model: string;
  stage: Stage;
  outcome?: Outcome;
  trigger: string;
  steps: Step[];
  snapshot?: string;
  codeVersion?: string;
  champion?: number;
  version?: number;
  decision?: GateDecision;
  approval?: ApprovalDecision;
  /** Report URIs and related workflow ids. */
  links: Record<string, string>;
}

export interface RetrainPipelineOutput extends RetrainStatus {
  outcome: Outcome;
  candidateMetrics?: Record<string, number>;
  championMetrics?: Record<string, number>;
}

export interface ApproveInput {
  actor: string;
  comment?: string;
}

export interface RejectInput {
  actor: string;
  reason: string;
}

/** Approves the registered candidate while the run awaits approval. */
export const approveUpdate = defineUpdate<ApprovalDecision, [ApproveInput]>('approve');
/** Rejects the registered candidate while the run awaits approval (a reason is required). */
export const rejectUpdate = defineUpdate<ApprovalDecision, [RejectInput]>('reject');
/** Steps with their state, times and summaries; links to reports and child runs. */
export const statusQuery = defineQuery<RetrainStatus>('status');

const STEP_NAMES = ['snapshot', 'validate', 'train', 'evaluate', 'register', 'approval'] as const;
type StepName = (typeof STEP_NAMES)[number] | 'rollout';

const light = proxyActivities<Activities>({
  startToCloseTimeout: '5m',
  heartbeatTimeout: KEEPALIVE_TIMEOUT,
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 10 },
});
const snapshots = proxyActivities<Activities>({
  startToCloseTimeout: '6h',
  heartbeatTimeout: '1m',
  retry: { initialInterval: '2s', maximumInterval: '1m' },
});
const notifications = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '2s', maximumInterval: '30s', maximumAttempts: 5 },
});

export async function retrainPipeline(input: RetrainPipelineInput): Promise<RetrainPipelineOutput> {
  const { spec } = input;
  const run = workflowInfo().workflowId;
  const evaluation = spec.evaluation;
  const status: RetrainStatus = {
    pipeline: spec.name,
    model: spec.model,
    stage: 'snapshot',
    trigger: input.trigger,
    steps: [...STEP_NAMES, ...(spec.rollout ? (['rollout'] as const) : [])].map((name) => ({ name, state: 'pending' })),
    links: {},
  };
  let candidateMetrics: Record<string, number> | undefined;
  let championMetrics: Record<string, number> | undefined;
  let decided: ApprovalDecision | undefined;

  const step = (name: StepName) => status.steps.find((s) => s.name === name)!;
  const begin = (name: StepName, summary?: string) => {
    Object.assign(step(name), { state: 'running', startedAt: now(), summary });
    show();
  };
  const end = (name: StepName, state: StepState, summary?: string, metrics?: Record<string, number>) => {
    Object.assign(step(name), { state, endedAt: now(), ...(summary !== undefined ? { summary } : {}), metrics });
    show();
  };
  const stage = (s: Stage) => {
    status.stage = s;
    upsertSearchAttributes([{ key: MlStage, value: s }]);
    show();
  };
  const show = () => setCurrentDetails(renderDetails(status));

  setHandler(statusQuery, () => status);
  const awaiting = () => status.stage === 'awaiting-approval' && decided === undefined;
  const checkActor = (actor: unknown) => {
    if (typeof actor !== 'string' || actor.trim() === '') throw new Error('actor: required (who decides)');
    const approvers = spec.approval?.approvers;
    if (approvers && !approvers.includes(actor))
      throw new Error(`actor: ${actor} may not decide on ${spec.name}; approvers are ${approvers.join(', ')}`);
  };
  const checkOpen = () => {
    if (decided) throw new Error(`already ${decided.decision} by ${decided.actor} at ${decided.at}`);
    if (!awaiting()) throw new Error(`the run is not awaiting approval (stage ${status.stage})`);
  };
  setHandler(
    approveUpdate,
    ({ actor, comment }) => {
      decided = { decision: 'approved', actor, comment: comment ?? '', at: now(), by: 'person' };
      return decided;
    },
    {
      validator: (arg) => {
        checkActor(arg?.actor);
        checkOpen();
      },
    },
  );
  setHandler(
    rejectUpdate,
    ({ actor, reason }) => {
      decided = { decision: 'rejected', actor, comment: reason, at: now(), by: 'person' };
      return decided;
    },
    {
      validator: (arg) => {
        checkActor(arg?.actor);
        if (typeof arg?.reason !== 'string' || arg.reason.trim() === '') throw new Error('reason: required');
        checkOpen();
      },
    },
  );

  /** Starts `monitor/<endpoint>` (it outlives this run) unless it runs already; returns its id. */
  const startMonitor = async (endpoint: string): Promise<string> => {
    const monitorId = `monitor/${endpoint}`;
    try {
      await startChild('modelMonitor', {
        workflowId: monitorId,
        args: [
          {
            endpoint,
            spec,
            specFile: input.specFile,
            trainingTaskQueue: input.trainingTaskQueue,
            actor: `pipeline:${run}`,
          },
        ],
        parentClosePolicy: 'ABANDON',
        staticSummary: `monitor ${endpoint} · drift of ${spec.name} every ${spec.monitoring?.interval ?? '—'}`,
      });
      return monitorId;
    } catch (err) {
      // (WorkflowExecutionAlreadyStartedError, from @temporalio/common)
      if (err instanceof Error && err.name === 'WorkflowExecutionAlreadyStartedError')
        return `${monitorId} (already running)`;
      throw err;
    }
  };

  const notify = async (event: NotificationEvent, title: string, text: string, fields: Record<string, string> = {}) => {
    const n = spec.notifications;
    if (!n || !n.events.includes(event)) return;
    try {
      await notifications.notify.executeWithOptions({ summary: `notify ${event}` }, [
        { webhookEnv: n.webhookEnv, event, pipeline: spec.name, run, title, text, fields, link: status.links.report },
      ]);
    } catch (err) {
      if (isCancellation(err)) throw err;
      // a notification that cannot be delivered never fails the run
      log.warn('notification not delivered', { event, error: String(err) });
    }
  };

  upsertSearchAttributes([
    { key: MlPipeline, value: spec.name },
    { key: MlModel, value: spec.model },
    { key: MlTrigger, value: input.trigger },
    { key: MlStage, value: 'snapshot' },
  ]);
  show();

  try {
    await light.startRun.executeWithOptions({ summary: `track run of ${spec.name}` }, [
      {
        pipeline: spec.name,
        run,
        params: { spec, specFile: input.specFile ?? null, force: input.force ?? false },
        tags: {
          kind: 'retrain',
          trigger: input.trigger,
          actor: input.actor,
          ...(input.reason ? { reason: input.reason } : {}),
        },
      },
    ]);
    await notify(
      'started',
      `Retrain of ${spec.name} started`,
      `${input.trigger} run by ${input.actor}${input.reason ? `: ${input.reason}` : ''}`,
    );

    // 1. snapshot and validate
    begin('snapshot', `snapshot ${spec.dataset.name}`);
    const snap = await snapshots.snapshotDataset.executeWithOptions(
      { summary: `snapshot ${spec.dataset.name} from ${spec.dataset.source}`.slice(0, 200) },
      [{ dataset: spec.dataset.name, source: spec.dataset.source, description: `${spec.name} ${run}` }],
    );
    status.snapshot = snap.id;
    upsertSearchAttributes([{ key: MlDatasetVersion, value: snap.id }]);
    end(
      'snapshot',
      'done',
      `${shortId(snap.id)}: ${snap.fileCount} files${snap.created ? '' : ' (unchanged content)'}`,
    );
    if (spec.dataset.expectations) {
      begin('validate', 'check the expectations');
      const report = await light.validateDataset.executeWithOptions(
        { summary: `validate ${spec.dataset.name}@${shortId(snap.id)}` },
        [{ dataset: spec.dataset.name, id: snap.id, expectations: spec.dataset.expectations }],
      );
      end('validate', 'done', `${report.results.length} checks passed`);
    } else {
      end('validate', 'skipped', 'no expectations in the spec');
    }

    // 2. step caching: the champion was trained on the same data, code and training config
    const [code, champion] = await Promise.all([
      light.codeVersion.executeWithOptions({ summary: 'hash the training and evaluation code' }, [
        { dirs: [...new Set([spec.training.codeDir, evaluation.codeDir])] },
      ]),
      light.findChampion.executeWithOptions({ summary: `find the champion of ${spec.model}` }, [{ model: spec.model }]),
    ]);
    status.codeVersion = code.version;
    status.champion = champion?.version;
    const trainingConfig = stableJson({
      backend: spec.training.backend,
      entrypoint: spec.training.entrypoint,
      params: spec.training.params,
      sweep: spec.training.sweep ?? null,
    });
    if (
      champion &&
      !input.force &&
      champion.trainingSnapshot.id === snap.id &&
      champion.codeVersion === code.version &&
      champion.tags?.trainingConfig === trainingConfig
    ) {
      for (const name of ['train', 'evaluate', 'register', 'approval'] as const)
        end(name, 'skipped', `unchanged: champion v${champion.version} has this data, code and config`);
      stage('unchanged');
      await light.finishRun.executeWithOptions({ summary: 'record run result' }, [
        { pipeline: spec.name, run, status: 'succeeded' },
      ]);
      await notify('unchanged', `Retrain of ${spec.name}: nothing changed`, `champion v${champion.version} stays`);
      return { ...status, outcome: 'unchanged' };
    }

    // 3. train
    stage('train');
    const trainingJob: Omit<TrainingJob, 'outputPrefix'> = {
      name: `${spec.name}-train`,
      command: spec.training.entrypoint,
      codeDir: spec.training.codeDir,
      env: spec.training.env,
      params: spec.training.params,
      input: { dataset: spec.dataset.name, snapshot: snap.id },
      resources: spec.training.resources,
      timeoutSeconds: spec.training.timeoutSeconds,
      backend: spec.training.backend,
    };
    let trained: { outputUri: string; metrics: Record<string, number>; params: Record<string, unknown> };
    if (spec.training.sweep) {
      const sweepId = `sweep/${run}`;
      status.links.sweep = sweepId;
      begin('train', `sweep ${sweepId}`);
      const swept = await executeChild(hyperparameterSweep, {
        workflowId: sweepId,
        args: [
          {
            pipeline: spec.name,
            job: trainingJob,
            sweep: spec.training.sweep,
            trainingTaskQueue: input.trainingTaskQueue,
            trigger: input.trigger,
          },
        ],
        staticSummary: `sweep for ${run}`.slice(0, 200),
      });
      if (swept.reportUri) status.links.sweepReport = swept.reportUri;
      const best = swept.bestTrial;
      if (!best?.outputUri) throw toApplicationFailure(new SweepFailedError('the sweep produced no model'));
      trained = {
        outputUri: best.outputUri,
        metrics: best.metrics,
        params: { ...spec.training.params, ...best.params },
      };
      end('train', 'done', `best of ${swept.leaderboard.length} trials: trial ${best.trial}`, best.metrics);
    } else {
      begin('train', `train ${describeParams(spec.training.params, 5)}`.slice(0, 200));
      const trial = await light.startTrial.executeWithOptions({ summary: 'track trial 1' }, [
        { pipeline: spec.name, run, trial: 1, params: spec.training.params },
      ]);
      const outcome = await trainingActivities(input, spec.training.timeoutSeconds).runTrainingJob.executeWithOptions(
        { summary: `train ${spec.name} ${describeParams(spec.training.params, 5)}`.slice(0, 200) },
        [
          {
            job: { ...trainingJob, outputPrefix: trial.root },
            step: 'train',
            track: { pipeline: spec.name, run, trial: 1 },
          },
        ],
      );
      await light.finishTrial.executeWithOptions({ summary: 'record trial 1 result' }, [
        { pipeline: spec.name, run, trial: 1, metrics: outcome.metrics, status: 'succeeded' },
      ]);
      trained = { outputUri: outcome.outputUri!, metrics: outcome.metrics, params: spec.training.params };
      end('train', 'done', `job ${outcome.jobId}`, pick(outcome.metrics, 4));
    }

    // 4. evaluate candidate and champion on the same holdout snapshot
    stage('evaluate');
    begin('evaluate', champion ? `candidate vs champion v${champion.version}` : 'candidate (no champion yet)');
    const holdout =
      'file' in evaluation.holdout
        ? { dataset: spec.dataset.name, snapshot: snap.id, file: evaluation.holdout.file }
        : {
            dataset: evaluation.holdout.dataset,
            snapshot: (
              await light.resolveSnapshot.executeWithOptions(
                { summary: `pin holdout ${evaluation.holdout.dataset}@${evaluation.holdout.snapshot}` },
                [{ dataset: evaluation.holdout.dataset, snapshot: evaluation.holdout.snapshot }],
              )
            ).id,
            file: undefined,
          };
    const evaluate = async (label: string, modelUri: string, prefix: string, cached: boolean) => {
      if (cached) {
        const found = await light.readEvaluation.executeWithOptions({ summary: `cached evaluation of ${label}` }, [
          { outputPrefix: prefix },
        ]);
        if (found) return { ...found, cached: true };
      }
      await trainingActivities(input, evaluation.timeoutSeconds).runTrainingJob.executeWithOptions(
        { summary: `evaluate ${label} on ${holdout.dataset}@${shortId(holdout.snapshot)}` },
        [
          {
            job: {
              name: `${spec.name}-evaluate`,
              command: evaluation.entrypoint,
              codeDir: evaluation.codeDir,
              env: holdout.file ? { MLOPS_HOLDOUT_FILE: holdout.file } : {},
              params: {},
              input: { dataset: holdout.dataset, snapshot: holdout.snapshot },
              modelUri,
              outputPrefix: prefix,
              timeoutSeconds: evaluation.timeoutSeconds,
              backend: spec.training.backend,
            },
            step: `evaluate-${label.replace(/[^a-z0-9]+/gi, '-')}`,
          },
        ],
      );
      const read = await light.readEvaluation.executeWithOptions({ summary: `read the evaluation of ${label}` }, [
        { outputPrefix: prefix },
      ]);
      if (!read) throw toApplicationFailure(new EvaluationMissingError(label));
      return { ...read, cached: false };
    };
    const [candidateEval, championEval] = await Promise.all([
      evaluate(
        'candidate',
        trained.outputUri,
        `models/${spec.model}/evaluations/candidates/${safeSegment(run)}`,
        false,
      ),
      champion
        ? evaluate(
            `champion v${champion.version}`,
            champion.artifactUri,
            `models/${spec.model}/versions/${champion.version}/evaluations/${holdout.dataset}-${holdout.snapshot}${holdout.file ? `-${safeSegment(holdout.file)}` : ''}`,
            true,
          )
        : Promise.resolve(undefined),
    ]);
    candidateMetrics = numbers(candidateEval.summary.metrics);
    championMetrics = championEval ? numbers(championEval.summary.metrics) : undefined;
    const primary = candidateMetrics[evaluation.primaryMetric];
    if (primary !== undefined) upsertSearchAttributes([{ key: MlPrimaryMetric, value: primary }]);
    const decision = evaluateGates({
      gates: evaluation.gates,
      primaryMetric: evaluation.primaryMetric,
      direction: evaluation.direction,
      candidate: candidateEval.summary as EvaluationSummary,
      champion: championEval?.summary as EvaluationSummary | undefined,
    });
    status.decision = decision;
    const report = await light.writeEvaluationReport.executeWithOptions({ summary: 'write the evaluation report' }, [
      {
        pipeline: spec.name,
        run,
        model: spec.model,
        primaryMetric: evaluation.primaryMetric,
        direction: evaluation.direction,
        candidate: { label: 'candidate', evaluationKey: candidateEval.key },
        champion: championEval
          ? { label: `champion v${champion!.version}`, evaluationKey: championEval.key }
          : undefined,
        decision,
        metrics: evaluation.metrics,
      },
    ]);
    status.links.report = report.uri;
    end(
      'evaluate',
      decision.passed ? 'done' : 'failed',
      `${evaluation.primaryMetric} ${formatMetric(primary)}${championMetrics ? ` vs ${formatMetric(championMetrics[evaluation.primaryMetric])}${championEval?.cached ? ' (cached)' : ''}` : ''}: ${
        decision.passed
          ? 'gates passed'
          : `rejected by ${decision.reasons
              .filter((r) => !r.passed)
              .map((r) => r.gate)
              .join(', ')}`
      }`,
      pick(candidateMetrics, 5),
    );

    // 5. register
    begin('register', `register ${spec.model}`);
    const registered = await light.registerModel.executeWithOptions(
      { summary: `register ${spec.model} (${decision.passed ? 'candidate' : 'rejected'})` },
      [
        {
          model: spec.model,
          artifactUri: trained.outputUri,
          metrics: { ...prefixed(trained.metrics, 'train.'), ...candidateMetrics },
          params: trained.params,
          trainingSnapshot: { dataset: spec.dataset.name, id: snap.id },
          evaluationSnapshot: { dataset: holdout.dataset, id: holdout.snapshot },
          codeVersion: code.version,
          pipelineRun: run,
          trigger: input.trigger,
          status: decision.passed ? 'candidate' : 'rejected',
          description: spec.description,
          tags: { trainingConfig, evaluationReport: report.uri, pipeline: spec.name },
          actor: `pipeline:${run}`,
        },
      ],
    );
    status.version = registered.version;
    upsertSearchAttributes([{ key: MlModelVersion, value: `${spec.model}:${registered.version}` }]);
    end('register', 'done', `${spec.model} v${registered.version} (${decision.passed ? 'candidate' : 'rejected'})`);

    if (!decision.passed) {
      end('approval', 'skipped', 'rejected by the gates');
      stage('rejected');
      await light.finishRun.executeWithOptions({ summary: 'record run result' }, [
        { pipeline: spec.name, run, status: 'succeeded' },
      ]);
      await notify(
        'rejected',
        `${spec.model} v${registered.version} rejected`,
        decision.reasons
          .filter((r) => !r.passed)
          .map((r) => `${r.gate}: ${r.message}`)
          .join('\n'),
      );
      return { ...status, outcome: 'rejected', candidateMetrics, championMetrics };
    }

    // 6. approval
    const approval = spec.approval;
    if (approval?.required) {
      stage('awaiting-approval');
      begin('approval', `awaiting approval${approval.approvers ? ` by ${approval.approvers.join(', ')}` : ''}`);
      await notify(
        'awaiting-approval',
        `${spec.model} v${registered.version} awaits approval`,
        `${evaluation.primaryMetric} ${formatMetric(primary)}; approve with: mlops approve ${run} --comment "…"`,
      );
      const deadline = Date.now() + parseDuration(approval.timeout);
      const remind = approval.remindEvery ? parseDuration(approval.remindEvery) : undefined;
      while (decided === undefined) {
        const left = deadline - Date.now();
        if (left <= 0) break;
        const wait = remind !== undefined ? Math.min(remind, left) : left;
        if (await condition(() => decided !== undefined, wait)) break;
        if (remind !== undefined && deadline - Date.now() > 0)
          await notify(
            'approval-reminder',
            `Reminder: ${spec.model} v${registered.version} awaits approval`,
            `decide before ${new Date(deadline).toISOString()}, else ${approval.onTimeout}`,
          );
      }
      decided ??= {
        decision: approval.onTimeout === 'approve' ? 'approved' : 'rejected',
        actor: 'timeout',
        comment: `no decision within ${approval.timeout}: onTimeout is ${approval.onTimeout}`,
        at: now(),
        by: 'timeout',
      };
    } else {
      decided = {
        decision: 'approved',
        actor: 'policy',
        comment: 'approval not required by the spec',
        at: now(),
        by: 'policy',
      };
    }
    status.approval = decided;
    await light.setModelStatus.executeWithOptions({ summary: `record ${decided.decision} by ${decided.actor}` }, [
      {
        model: spec.model,
        version: registered.version,
        status: decided.decision,
        expectedStatus: 'candidate',
        actor: decided.actor,
        reason: decided.comment || decided.decision,
      },
    ]);
    end(
      'approval',
      decided.decision === 'approved' ? 'done' : 'failed',
      `${decided.decision} by ${decided.actor}${decided.comment ? `: ${decided.comment}` : ''}`,
    );
    // 7. rollout to the spec's endpoint (child `rollout/<endpoint>`: one at a time per endpoint)
    let rolledBack: string | undefined;
    // whether the rollout posts its own rollback (then this run does not post it a second time)
    let rolloutNotifies = false;
    if (decided.decision === 'approved' && spec.rollout) {
      const rolloutId = `rollout/${spec.rollout.endpoint}`;
      status.links.rollout = rolloutId;
      stage('rollout');
      begin('rollout', `${spec.rollout.strategy} to ${spec.rollout.endpoint}`);
      rolloutNotifies = patched('rollout-notifies') && spec.notifications !== undefined;
      const rolled = await executeChild(progressiveRollout, {
        workflowId: rolloutId,
        args: [
          {
            endpoint: spec.rollout.endpoint,
            model: { name: spec.model, version: registered.version, artifactUri: trained.outputUri },
            rollout: spec.rollout,
            actor: `pipeline:${run}`,
            reason: input.reason ?? `retrain ${run}`,
            ...(rolloutNotifies ? { notifications: [spec.notifications!], pipeline: spec.name } : {}),
          },
        ],
        // a terminated retrain still lets its rollout roll back cleanly
        parentClosePolicy: 'REQUEST_CANCEL',
        staticSummary: `rollout ${spec.model} v${registered.version} → ${spec.rollout.endpoint} (from ${run})`.slice(
          0,
          200,
        ),
      });
      if (rolled.outcome === 'rolled-back') rolledBack = rolled.reason ?? 'rolled back';
      end(
        'rollout',
        rolledBack ? 'failed' : 'done',
        rolledBack ? `rolled back: ${rolledBack}` : `v${registered.version} serves all of ${spec.rollout.endpoint}`,
      );
      if (!rolledBack && spec.monitoring) status.links.monitor = await startMonitor(spec.rollout.endpoint);
    }
    stage(decided.decision === 'approved' && !rolledBack ? 'done' : 'rejected');
    await light.finishRun.executeWithOptions({ summary: 'record run result' }, [
      { pipeline: spec.name, run, status: 'succeeded' },
    ]);
    if (decided.decision === 'approved' && !spec.rollout) {
      // no serving rollout configured: the approved version becomes the champion now
      const promoted = await light.setModelAlias.executeWithOptions(
        { summary: `promote v${registered.version} to champion` },
        [
          {
            model: spec.model,
            alias: 'champion',
            version: registered.version,
            expectedVersion: champion?.version ?? null,
            actor: decided.actor,
            reason: `approved in ${run} (no rollout configured)`,
          },
        ],
      );
      status.links.champion = promoted.changed
        ? `${spec.model} v${registered.version}`
        : `${spec.model} v${promoted.current ?? '—'} (not moved: another run promoted meanwhile)`;
    }
    if (rolledBack) {
      if (!rolloutNotifies) await notify('rejected', `${spec.model} v${registered.version} rolled back`, rolledBack);
      return { ...status, outcome: 'rolled-back', candidateMetrics, championMetrics };
    }
    if (decided.decision === 'approved') {
      await notify(
        'succeeded',
        `${spec.model} v${registered.version} approved`,
        `${decided.actor}: ${decided.comment}`,
      );
      return { ...status, outcome: 'approved', candidateMetrics, championMetrics };
    }
    await notify('rejected', `${spec.model} v${registered.version} rejected`, `${decided.actor}: ${decided.comment}`);
    return { ...status, outcome: 'rejected', candidateMetrics, championMetrics };
  } catch (err) {
    const cancelled = isCancellation(err);
    for (const s of status.steps) {
      if (s.state === 'running') Object.assign(s, { state: cancelled ? 'cancelled' : 'failed', endedAt: now() });
    }
    await CancellationScope.nonCancellable(async () => {
      stage('failed');
      await light.finishRun
        .executeWithOptions({ summary: 'record run result' }, [
          { pipeline: spec.name, run, status: cancelled ? 'cancelled' : 'failed' },
        ])
        .catch(() => undefined);
      await notify('failed', `Retrain of ${spec.name} ${cancelled ? 'cancelled' : 'failed'}`, innermostMessage(err));
    });
    throw err;
  }
}

/** Training and evaluation jobs: on the training queue, heartbeating, re-attaching on retry. */
function trainingActivities(input: RetrainPipelineInput, timeoutSeconds: number | undefined) {
  return proxyActivities<Activities>({
    taskQueue: input.trainingTaskQueue,
    startToCloseTimeout: `${(timeoutSeconds ?? 24 * 3600) + 600}s`,
    heartbeatTimeout: '15s',
    // a cancelled run ends only once its job has stopped
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { initialInterval: '5s', maximumInterval: '1m', maximumAttempts: 5 },
  });
}

/** The details markdown of a run: header, the step table, links and rejection reasons. */
export function renderDetails(s: RetrainStatus): string {
  const icon: Record<StepState, string> = {
    pending: '·',
    running: '▶',
    done: '✓',
    skipped: '–',
    failed: '✗',
    cancelled: '⊘',
  };
  const esc = (t: string) => t.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = [
    `**${s.pipeline}** → model **${s.model}** · stage **${s.stage}** · trigger ${s.trigger}`,
    '',
    '| step | state | summary |',
    '|---|---|---|',
    ...s.steps.map((st) => `| ${st.name} | ${icon[st.state]} ${st.state} | ${esc(st.summary ?? '')} |`),
  ];
  const links = Object.entries(s.links);
  if (links.length > 0) lines.push('', ...links.map(([k, v]) => `- ${k}: ${v}`));
  if (s.decision && !s.decision.passed)
    lines.push(
      '',
      '**rejected by:**',
      ...s.decision.reasons.filter((r) => !r.passed).map((r) => `- ${r.gate}: ${esc(r.message)}`),
    );
  return lines.join('\n');
}

/** JSON with object keys sorted, so equal configs give equal strings. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

/** A store key segment: characters outside [A-Za-z0-9._-] become `_`. */
function safeSegment(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]/g, '_');
}

function numbers(metrics: Record<string, number | null | undefined>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(metrics)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  return out;
}

function prefixed(metrics: Record<string, number>, prefix: string): Record<string, number> {
  return Object.fromEntries(Object.entries(metrics).map(([k, v]) => [`${prefix}${k}`, v]));
}

function pick(metrics: Record<string, number>, n: number): Record<string, number> {
  return Object.fromEntries(Object.entries(metrics).slice(0, n));
}

function now(): string {
  return new Date().toISOString();
}
