/**
 * `progressiveRollout` (workflow id `rollout/<endpoint>`: one at a time per endpoint): deploys a
 * model version as a new variant of a serving endpoint and shifts traffic to it step by step
 * (canary weights, linear steps, or all at once), analysing it against the baseline variant every
 * `analysisInterval` while each step bakes. Too few requests extends the bake; `failureLimit`
 * failed analyses in a row — or an `abort` — roll back: traffic all to the baseline, the
 * candidate undeployed, its registry status `rolled-back`. Success moves the `champion` alias
 * (compare-and-swap), marks the version `production` and the previous champion `archived`, and
 * retires the old variant after a termination wait. A first deployment (no baseline) goes to 100%
 * once the variant is healthy. A rollback (event `rejected`) and a promotion (event `succeeded`)
 * are posted to the input's notification targets: names of the worker's webhook variables, never
 * URLs, so no URL enters the history.
 */
import {
  CancellationScope,
  condition,
  defineQuery,
  defineUpdate,
  isCancellation,
  patched,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { serving, servingHostOf } from './serving-activities';
import { notifyQuietly } from './sdk/notify';
import { refuseUnless, SIGNED_DECISIONS_PATCH, verifiedSigner } from './sdk/verify-decision';
import type { ApproverEntry, DecisionSignature } from '../common/signed-decision';
import type { AnalysisVerdict } from '../common/rollout-analysis';
import { MlEndpoint, MlModel, MlModelVersion, MlStage } from '../common/search-attributes';
import { parseDuration } from '../common/duration';
import { rolloutWeights } from '../common/rollout-steps';
import type { NotificationEvent, RolloutSection } from '../common/schemas/spec';

/** Where a rollout posts its outcome: like a spec's `notifications` section. */
export interface RolloutNotificationTarget {
  /** Name of the worker's environment variable holding the webhook URL (never the URL). */
  webhookEnv: string;
  /** Which events are posted. @default all */
  events?: readonly NotificationEvent[];
}

export interface ProgressiveRolloutInput {
  endpoint: string;
  model: { name: string; version: number; artifactUri: string };
  rollout: RolloutSection;
  /** Who asked (a person, or `pipeline:<retrain run id>`). */
  actor: string;
  reason?: string;
  /** How long the old variant keeps running after the switch, for requests in flight. @default rollout.terminationWait */
  terminationWait?: string;
  /** Posted to on rollback (`rejected`) and promotion (`succeeded`). @default none */
  notifications?: RolloutNotificationTarget[];
  /** The pipeline named in notifications. @default the model's name */
  pipeline?: string;
  /**
   * Who may sign `promote` / `abort` (the pipeline spec's `approval.approvers`): with a key listed,
   * those decisions must be signed; the registry's approvers file counts too. @default none
   */
  approvers?: ApproverEntry[];
  /**
   * Task queue of the serving hosts (`mlops-serving`): deploying, readiness, traffic and undeploying
   * run there. @default the workflow's own queue (runs started before the serving queue existed)
   */
  servingTaskQueue?: string;
}

export type RolloutPhase =
  'deploying' | 'baking' | 'paused' | 'promoting' | 'rolling-back' | 'promoted' | 'rolled-back';

export interface AnalysisRecord extends AnalysisVerdict {
  at: string;
  step: number;
  weight: number;
  candidate: { requests: number; errorRate: number; p95: number };
  baseline?: { requests: number; errorRate: number; p95: number };
  psi?: number;
}

export interface RolloutStatus {
  endpoint: string;
  model: string;
  version: number;
  variant?: string;
  baseline?: string;
  phase: RolloutPhase;
  weights: Record<string, number>;
  step: number;
  steps: number[];
  consecutiveFailures: number;
  extensions: number;
  /** Held at its step by `pause` (analysis goes on) until `resume`. */
  paused: boolean;
  analyses: AnalysisRecord[];
  reason?: string;
}

export interface RolloutOutput extends RolloutStatus {
  outcome: 'promoted' | 'rolled-back';
}

export interface RolloutDecisionInput {
  actor: string;
  reason: string;
  /** `promote` / `abort` signed with the actor's SSH key (common/signed-decision.ts), where required. */
  signature?: DecisionSignature;
  /** Set by the workflow: the fingerprint of the key whose signature was verified. */
  signedBy?: string;
}

export const rolloutStatusQuery = defineQuery<RolloutStatus>('rolloutStatus');
/** Holds the rollout at its current step (analysis goes on). */
export const pauseUpdate = defineUpdate<RolloutStatus, [RolloutDecisionInput]>('pause');
export const resumeUpdate = defineUpdate<RolloutStatus, [RolloutDecisionInput]>('resume');
/** Skips the remaining steps: the candidate takes all traffic now. */
export const promoteUpdate = defineUpdate<RolloutStatus, [RolloutDecisionInput]>('promote');
/** Rolls back now. */
export const abortUpdate = defineUpdate<RolloutStatus, [RolloutDecisionInput]>('abort');

/** Analyses kept in the status (the history keeps every one). */
const KEEP_ANALYSES = 20;

export async function progressiveRollout(input: ProgressiveRolloutInput): Promise<RolloutOutput> {
  const { endpoint, model, rollout } = input;
  const steps = rolloutWeights(rollout);
  const status: RolloutStatus = {
    endpoint,
    model: model.name,
    version: model.version,
    phase: 'deploying',
    weights: {},
    step: 0,
    steps,
    consecutiveFailures: 0,
    extensions: 0,
    paused: false,
    analyses: [],
  };
  let paused = false;
  let promoteNow: RolloutDecisionInput | undefined;
  let abort: RolloutDecisionInput | undefined;
  const show = () =>
    setCurrentDetails(
      [
        `**${model.name} v${model.version}** → endpoint **${endpoint}** · ${status.phase}${paused ? ' (paused)' : ''}`,
        '',
        `weights: ${
          Object.entries(status.weights)
            .map(([v, w]) => `${v} ${w}%`)
            .join(', ') || '—'
        } · step ${status.step}/${steps.length} (${steps.join(' → ')})`,
        status.analyses.length > 0
          ? `latest analysis: **${status.analyses.at(-1)!.verdict}** — ${status.analyses
              .at(-1)!
              .checks.map((c) => c.message)
              .join('; ')}`
          : 'no analysis yet',
        status.reason ? `reason: ${status.reason}` : '',
      ].join('\n'),
    );
  const phase = (p: RolloutPhase) => {
    status.phase = p;
    upsertSearchAttributes([{ key: MlStage, value: `rollout:${p}` }]);
    show();
  };
  const actorRequired = (arg: RolloutDecisionInput | undefined) => {
    if (typeof arg?.actor !== 'string' || arg.actor.trim() === '') throw new Error('actor: required');
    if (typeof arg.reason !== 'string' || arg.reason.trim() === '') throw new Error('reason: required');
    if (status.phase !== 'baking' && status.phase !== 'deploying' && status.phase !== 'paused')
      throw new Error(`the rollout is ${status.phase}`);
  };
  setHandler(rolloutStatusQuery, () => status);
  setHandler(
    pauseUpdate,
    () => {
      paused = true;
      status.paused = true;
      show();
      return status;
    },
    { validator: actorRequired },
  );
  setHandler(
    resumeUpdate,
    () => {
      paused = false;
      status.paused = false;
      show();
      return status;
    },
    { validator: actorRequired },
  );
  /** A promote or abort, once its signature is verified where required (signature dropped, signer kept). */
  const checked = async (decision: 'promote' | 'abort', arg: RolloutDecisionInput): Promise<RolloutDecisionInput> => {
    const signedBy = await verifiedSigner(
      {
        run: workflowInfo().workflowId,
        model: model.name,
        version: model.version,
        decision,
        comment: arg.reason,
        actor: arg.actor,
      },
      input.approvers,
      arg.signature,
    );
    refuseUnless(() => actorRequired(arg));
    const { actor, reason } = arg;
    return { actor, reason, ...(signedBy ? { signedBy } : {}) };
  };
  /** Takes a decision: at once in runs started before signed decisions (no activity), else once verified. */
  const decide = (
    decision: 'promote' | 'abort',
    arg: RolloutDecisionInput,
    take: (d: RolloutDecisionInput) => void,
  ) => {
    if (!patched(SIGNED_DECISIONS_PATCH)) {
      take(arg);
      return status;
    }
    return checked(decision, arg).then((d) => {
      take(d);
      return status;
    });
  };
  setHandler(promoteUpdate, (arg) => decide('promote', arg, (d) => (promoteNow = d)), { validator: actorRequired });
  setHandler(abortUpdate, (arg) => decide('abort', arg, (d) => (abort = d)), { validator: actorRequired });

  const notify = async (
    event: NotificationEvent,
    title: string,
    text: string,
    fields: Record<string, string>,
  ): Promise<void> => {
    for (const target of input.notifications ?? []) {
      if (target.events && !target.events.includes(event)) continue;
      // a notification that cannot be delivered never changes the rollout's outcome
      await notifyQuietly({
        webhookEnv: target.webhookEnv,
        event,
        pipeline: input.pipeline ?? model.name,
        run: workflowInfo().workflowId,
        title,
        text,
        fields,
      });
    }
  };

  upsertSearchAttributes([
    { key: MlEndpoint, value: endpoint },
    { key: MlModel, value: model.name },
    { key: MlModelVersion, value: `${model.name}:${model.version}` },
  ]);
  phase('deploying');

  const host = servingHostOf(input.servingTaskQueue);
  const before = await host.quick.endpointBeforeRollout.executeWithOptions(
    { summary: `describe endpoint ${endpoint}` },
    [{ endpoint }],
  );
  const baselineVariant = (before?.variants ?? [])
    .filter((v) => v.weight > 0 && !(v.model === model.name && v.version === model.version))
    .sort((a, b) => b.weight - a.weight)[0];
  status.baseline = baselineVariant?.name;
  const deployed = await host.deploying.deployVariant.executeWithOptions(
    { summary: `deploy ${model.name} v${model.version} to ${endpoint}` },
    [{ endpoint, model }],
  );
  const variant = deployed.name;
  status.variant = variant;
  let promotedOk = false;
  try {
    await host.deploying.waitVariantReady.executeWithOptions({ summary: `wait until ${variant} is ready` }, [
      { endpoint, variant, timeoutMs: 5 * 60_000 },
    ]);

    const setWeights = async (weights: Record<string, number>) => {
      await host.quick.setTraffic.executeWithOptions(
        {
          summary: `traffic ${Object.entries(weights)
            .map(([v, w]) => `${v}=${w}%`)
            .join(' ')}`,
        },
        [{ endpoint, weights }],
      );
      status.weights = weights;
      show();
    };

    if (baselineVariant) {
      const bakeMs = parseDuration(rollout.bake);
      const intervalMs = parseDuration(rollout.analysisInterval);
      for (const [i, weight] of steps.entries()) {
        if (promoteNow || abort) break;
        status.step = i + 1;
        await setWeights(
          weight === 100 ? { [variant]: 100 } : { [variant]: weight, [baselineVariant.name]: 100 - weight },
        );
        phase('baking');
        let bakeLeft = rollout.strategy === 'linear' && rollout.interval ? parseDuration(rollout.interval) : bakeMs;
        status.extensions = 0;
        while (bakeLeft > 0 || paused) {
          const wait = intervalMs;
          await condition(() => abort !== undefined || promoteNow !== undefined, wait);
          if (abort || promoteNow) break;
          bakeLeft -= wait;
          const analysis = await serving.analyzeRollout.executeWithOptions(
            { summary: `analyse ${variant} at ${weight}% against ${baselineVariant.name}` },
            [
              {
                endpoint,
                candidate: variant,
                baseline: baselineVariant.name,
                windowSeconds: Math.round(intervalMs / 1000),
                thresholds: {
                  maxErrorRate: rollout.maxErrorRate,
                  maxErrorRateIncrease: rollout.maxErrorRateIncrease,
                  maxLatencyP95Ms: rollout.maxLatencyP95Ms,
                  maxLatencyIncrease: rollout.maxLatencyIncrease,
                  maxPredictionPsi: rollout.maxPredictionPsi,
                  minRequests: rollout.minRequests,
                },
              },
            ],
          );
          const record: AnalysisRecord = { ...analysis, at: new Date().toISOString(), step: i + 1, weight };
          status.analyses = [...status.analyses, record].slice(-KEEP_ANALYSES);
          if (analysis.verdict === 'fail') {
            status.consecutiveFailures += 1;
            if (status.consecutiveFailures >= rollout.failureLimit) {
              abort = {
                actor: 'analysis',
                reason: `${status.consecutiveFailures} failed analyses in a row: ${analysis.checks
                  .filter((c) => !c.passed)
                  .map((c) => c.message)
                  .join('; ')}`,
              };
              break;
            }
          } else if (analysis.verdict === 'pass') {
            status.consecutiveFailures = 0;
          } else if (bakeLeft <= 0 && !paused) {
            // too few requests to judge: bake longer, up to the limit
            if (status.extensions >= rollout.maxBakeExtensions) {
              abort = {
                actor: 'analysis',
                reason: `still inconclusive after ${status.extensions} bake extensions (too few requests)`,
              };
              break;
            }
            status.extensions += 1;
            bakeLeft += bakeMs;
          }
          show();
        }
        if (abort) break;
      }
    }
    if (abort) throw new RolloutAborted(abort);

    phase('promoting');
    if (promoteNow) status.reason = `promoted early by ${decider(promoteNow)}: ${promoteNow.reason}`;
    await setWeights({ [variant]: 100 });
    const reason = `rolled out to ${endpoint} by ${workflowInfo().workflowId}${input.reason ? `: ${input.reason}` : ''}`;
    const previous = await serving.findChampion.executeWithOptions({ summary: `find the champion of ${model.name}` }, [
      { model: model.name },
    ]);
    await serving.setModelAlias.executeWithOptions({ summary: `champion → v${model.version}` }, [
      {
        model: model.name,
        alias: 'champion',
        version: model.version,
        expectedVersion: previous?.version ?? null,
        actor: input.actor,
        reason,
      },
    ]);
    await serving.setModelStatus.executeWithOptions({ summary: `v${model.version} production` }, [
      { model: model.name, version: model.version, status: 'production', actor: input.actor, reason },
    ]);
    if (previous && previous.version !== model.version)
      await serving.setModelStatus.executeWithOptions({ summary: `v${previous.version} archived` }, [
        { model: model.name, version: previous.version, status: 'archived', actor: input.actor, reason },
      ]);
    promotedOk = true;
    await notify('succeeded', `${model.name} v${model.version} promoted on ${endpoint}`, status.reason ?? reason, {
      endpoint,
      candidate: `${model.name} v${model.version} (${variant})`,
      ...(baselineVariant ? { replaces: baselineVariant.name } : {}),
      by: input.actor,
    });
    if (baselineVariant) {
      await condition(() => false, input.terminationWait ?? rollout.terminationWait ?? '30s');
      await host.quick.undeployVariant.executeWithOptions({ summary: `retire ${baselineVariant.name}` }, [
        { endpoint, variant: baselineVariant.name },
      ]);
    }
    phase('promoted');
    return { ...status, outcome: 'promoted' };
  } catch (err) {
    if (promotedOk) throw err;
    const why =
      err instanceof RolloutAborted
        ? `${decider(err.decision)}: ${err.decision.reason}`
        : isCancellation(err)
          ? 'the rollout was cancelled'
          : `the rollout failed: ${err instanceof Error ? err.message : String(err)}`;
    status.reason = why;
    // compensation: whatever happened, traffic goes back to the baseline and the candidate goes away
    await CancellationScope.nonCancellable(async () => {
      phase('rolling-back');
      if (baselineVariant) {
        await host.quick.setTraffic.executeWithOptions({ summary: `traffic ${baselineVariant.name}=100%` }, [
          { endpoint, weights: { [baselineVariant.name]: 100 } },
        ]);
        status.weights = { [baselineVariant.name]: 100 };
      }
      await host.quick.undeployVariant.executeWithOptions({ summary: `undeploy ${variant}` }, [{ endpoint, variant }]);
      await serving.setModelStatus.executeWithOptions({ summary: `v${model.version} rolled-back` }, [
        { model: model.name, version: model.version, status: 'rolled-back', actor: input.actor, reason: why },
      ]);
      phase('rolled-back');
      await notify('rejected', `${model.name} v${model.version} rolled back on ${endpoint}`, why, {
        endpoint,
        candidate: `${model.name} v${model.version} (${variant})`,
        traffic: baselineVariant ? `${baselineVariant.name} 100%` : 'none (no baseline)',
        by: input.actor,
      });
    });
    if (isCancellation(err)) throw err;
    return { ...status, outcome: 'rolled-back' };
  }
}

class RolloutAborted extends Error {
  constructor(readonly decision: RolloutDecisionInput) {
    super(`rollout aborted by ${decision.actor}: ${decision.reason}`);
  }
}

/** Who decided, with the key that signed it when verified. */
function decider(d: RolloutDecisionInput): string {
  return d.signedBy ? `${d.actor} (key ${d.signedBy})` : d.actor;
}
