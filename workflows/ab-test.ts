/**
 * `abTest` (workflow id `abtest/<endpoint>/<time>`): an online A/B test of two model versions on a
 * serving endpoint. Both are deployed as variants and the traffic is split between them; every
 * `analysisInterval` the captured predictions are joined with the feedback labels into each arm's
 * successes and trials (an activity: no request enters the history) and tested — a two-proportion
 * z-test read once at the horizon, or an always-valid mSPRT that may stop early
 * (../common/abtest-stats.ts). The horizon is a duration, a number of labelled requests per arm, or
 * both (whichever comes first). At the end the endpoint gets its traffic back as it was before the
 * test (compensation, also on cancel or failure) — unless the treatment won and `promote` is set:
 * then the treatment rolls out through a child `progressiveRollout` (`rollout/<endpoint>`).
 * The `stop` update ends the test early (no winner is read from an unfinished fixed-horizon test).
 */
import {
  CancellationScope,
  condition,
  continueAsNew,
  defineQuery,
  defineUpdate,
  executeChild,
  isCancellation,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { servingHostOf } from './serving-activities';
import type { EndpointDescription } from '../activities/serving/types';
import type { AbTestSettings } from '../common/schemas/abtest';
import { decideAbTest, type AbTestDecision, type SequentialState } from '../common/abtest-stats';
import { MlEndpoint, MlModel, MlModelVersion, MlStage } from '../common/search-attributes';
import { parseDuration } from '../common/duration';
import type { RolloutSection } from '../common/schemas/spec';
import { progressiveRollout, type RolloutOutput } from './progressive-rollout';
import { refuseUnless, SIGNED_DECISIONS_PATCH, verifiedSigner } from './sdk/verify-decision';
import type { DecisionSignature } from '../common/signed-decision';
import { KEEPALIVE_TIMEOUT } from './keepalive';

export interface AbTestArm {
  name: string;
  version: number;
  artifactUri: string;
}

export interface AbTestInput {
  endpoint: string;
  control: AbTestArm;
  treatment: AbTestArm;
  settings: AbTestSettings;
  /** When set and the treatment wins, it rolls out with these settings (endpoint: this one). */
  promote?: RolloutSection;
  /** After a promotion, how long the old variant keeps serving requests in flight. @default '30s' */
  terminationWait?: string;
  /** Who started the test. */
  actor: string;
  reason?: string;
  /**
   * Task queue of the serving hosts (`mlops-serving`): deploying, readiness, traffic and undeploying
   * run there, and in the promotion rollout. @default the workflow's own queue (runs started before)
   */
  servingTaskQueue?: string;
  /** Carried over by continue-as-new: the test is already running. */
  carried?: AbTestCarried;
}

interface AbTestCarried {
  startedAt: string;
  before: EndpointDescription | null;
  looks: number;
  sequentialState?: SequentialState;
  history: LookRecord[];
}

export type AbTestPhase = 'deploying' | 'running' | 'concluding' | 'promoting' | 'done';

export interface ArmStatus {
  model: string;
  version: number;
  variant: string;
  captured: number;
  trials: number;
  successes: number;
}

export interface LookRecord {
  at: string;
  control: { trials: number; successes: number };
  treatment: { trials: number; successes: number };
  pValue: number;
}

export interface AbTestStatus {
  endpoint: string;
  phase: AbTestPhase;
  settings: AbTestSettings;
  control: ArmStatus;
  treatment: ArmStatus;
  startedAt?: string;
  /** When the duration horizon ends (absent without a duration). */
  endsAt?: string;
  looks: number;
  unmatchedLabels: number;
  /** The latest analysis. */
  decision?: AbTestDecision;
  /** Counts and p-value at recent looks, oldest first. */
  history: LookRecord[];
  /** Who stopped it, and the fingerprint of the key whose signature was verified (absent: unverified). */
  stoppedBy?: { actor: string; reason: string; signedBy?: string };
}

export interface AbTestResult extends AbTestStatus {
  winner: 'control' | 'treatment' | 'none';
  /** `stopped`: ended by the stop update before the test decided. */
  outcome: 'decided' | 'no-winner' | 'stopped';
  /** The promotion rollout's outcome, when the treatment won and `promote` was set. */
  rollout?: { workflowId: string; outcome: RolloutOutput['outcome'] | 'not-started'; reason?: string };
}

export interface AbTestStopInput {
  actor: string;
  reason: string;
  /** The stop signed with the actor's SSH key (common/signed-decision.ts), where the registry requires it. */
  signature?: DecisionSignature;
}

export const abTestStatusQuery = defineQuery<AbTestStatus>('abTestStatus');
/** Ends the test now: traffic back as before, no promotion unless the test had already decided. */
export const stopAbTestUpdate = defineUpdate<AbTestStatus, [AbTestStopInput]>('stop');

const KEEP_LOOKS = 50;

const counting = proxyActivities<Activities>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: KEEPALIVE_TIMEOUT,
  retry: { initialInterval: '2s', maximumInterval: '30s', maximumAttempts: 10 },
});

export async function abTest(input: AbTestInput): Promise<AbTestResult> {
  const { endpoint, control, treatment, settings } = input;
  const variantOf = (arm: AbTestArm) => `${arm.name}-v${arm.version}`;
  const arm = (a: AbTestArm): ArmStatus => ({
    model: a.name,
    version: a.version,
    variant: variantOf(a),
    captured: 0,
    trials: 0,
    successes: 0,
  });
  const status: AbTestStatus = {
    endpoint,
    phase: 'deploying',
    settings,
    control: arm(control),
    treatment: arm(treatment),
    startedAt: input.carried?.startedAt,
    looks: input.carried?.looks ?? 0,
    unmatchedLabels: 0,
    history: input.carried?.history ?? [],
  };
  let stop: AbTestStopInput | undefined;
  const show = () => {
    const row = (label: string, a: ArmStatus) =>
      `| ${label} | ${a.variant} | ${a.captured} | ${a.trials} | ${a.trials > 0 ? ((100 * a.successes) / a.trials).toFixed(2) + '%' : '—'} |`;
    setCurrentDetails(
      [
        `**A/B test on ${endpoint}** · ${status.phase} · ${settings.metric}, ${settings.method}, alpha ${settings.alpha}, split ${100 - settings.split}/${settings.split}`,
        '',
        '| arm | variant | captured | labelled | success rate |',
        '| --- | --- | ---: | ---: | ---: |',
        row('control', status.control),
        row('treatment', status.treatment),
        '',
        status.decision ? status.decision.reason : 'no analysis yet',
        status.stoppedBy ? `stopped by ${status.stoppedBy.actor}: ${status.stoppedBy.reason}` : '',
      ].join('\n'),
    );
  };
  const phase = (p: AbTestPhase) => {
    status.phase = p;
    upsertSearchAttributes([{ key: MlStage, value: `abtest:${p}` }]);
    show();
  };
  setHandler(abTestStatusQuery, () => status);
  const stopValidator = (arg: AbTestStopInput | undefined) => {
    if (typeof arg?.actor !== 'string' || arg.actor.trim() === '') throw new Error('actor: required');
    if (typeof arg.reason !== 'string' || arg.reason.trim() === '') throw new Error('reason: required');
    if (status.phase !== 'deploying' && status.phase !== 'running') throw new Error(`the test is ${status.phase}`);
  };
  setHandler(
    stopAbTestUpdate,
    (arg) => {
      const accept = (d: AbTestStopInput & { signedBy?: string }) => {
        stop = d;
        status.stoppedBy = d;
        show();
        return status;
      };
      // runs started before signed decisions stop at once, as they did (no activity)
      if (!patched(SIGNED_DECISIONS_PATCH)) return accept(arg);
      const { actor, reason } = arg;
      const expected = { run: workflowInfo().workflowId, model: treatment.name, version: treatment.version };
      return verifiedSigner({ ...expected, decision: 'stop', comment: reason, actor }, undefined, arg.signature).then(
        (signedBy) => {
          refuseUnless(() => stopValidator(arg));
          return accept({ actor, reason, ...(signedBy ? { signedBy } : {}) });
        },
      );
    },
    { validator: (arg) => stopValidator(arg) },
  );
  upsertSearchAttributes([
    { key: MlEndpoint, value: endpoint },
    { key: MlModel, value: treatment.name },
    { key: MlModelVersion, value: `${treatment.name}:${treatment.version}` },
  ]);
  phase(input.carried ? 'running' : 'deploying');

  const host = servingHostOf(input.servingTaskQueue);
  const before =
    input.carried?.before ??
    (await host.quick.endpointBeforeRollout.executeWithOptions({ summary: `describe endpoint ${endpoint}` }, [
      { endpoint },
    ]));
  const servedBefore = new Set((before?.variants ?? []).map((v) => v.name));
  const controlVariant = status.control.variant;
  const treatmentVariant = status.treatment.variant;
  let promoting = false;

  try {
    if (!input.carried) {
      for (const a of [control, treatment]) {
        await host.deploying.deployVariant.executeWithOptions(
          { summary: `deploy ${a.name} v${a.version} to ${endpoint}` },
          [{ endpoint, model: a }],
        );
      }
      for (const variant of [controlVariant, treatmentVariant]) {
        await host.deploying.waitVariantReady.executeWithOptions({ summary: `wait until ${variant} is ready` }, [
          { endpoint, variant, timeoutMs: 5 * 60_000 },
        ]);
      }
      if (stop) throw new StopRequested();
      await host.quick.setTraffic.executeWithOptions(
        { summary: `traffic ${controlVariant}=${100 - settings.split}% ${treatmentVariant}=${settings.split}%` },
        [{ endpoint, weights: { [controlVariant]: 100 - settings.split, [treatmentVariant]: settings.split } }],
      );
      status.startedAt = new Date().toISOString();
    }
    const startedAt = new Date(status.startedAt!).getTime();
    const durationMs = settings.duration ? parseDuration(settings.duration) : undefined;
    if (durationMs !== undefined) status.endsAt = new Date(startedAt + durationMs).toISOString();
    phase('running');

    let sequentialState = input.carried?.sequentialState;
    const intervalMs = parseDuration(settings.analysisInterval);
    for (;;) {
      const untilEnd = durationMs === undefined ? intervalMs : startedAt + durationMs - Date.now();
      await condition(() => stop !== undefined, Math.max(1, Math.min(intervalMs, untilEnd)));
      const counts = await counting.countAbTestOutcomes.executeWithOptions(
        { summary: `count ${settings.metric} of ${controlVariant} and ${treatmentVariant}` },
        [{ endpoint, controlVariant, treatmentVariant, since: status.startedAt!, metric: settings.metric }],
      );
      Object.assign(status.control, counts.control);
      Object.assign(status.treatment, counts.treatment);
      status.unmatchedLabels = counts.unmatchedLabels;
      const a = { successes: counts.control.successes, trials: counts.control.trials };
      const b = { successes: counts.treatment.successes, trials: counts.treatment.trials };
      const horizonReached =
        !stop &&
        ((durationMs !== undefined && Date.now() - startedAt >= durationMs) ||
          (settings.samplesPerArm !== undefined &&
            a.trials >= settings.samplesPerArm &&
            b.trials >= settings.samplesPerArm));
      const decision = decideAbTest({
        control: a,
        treatment: b,
        alpha: settings.alpha,
        method: settings.method,
        horizonReached,
        sequentialState,
        sequential: { priorEffect: settings.priorEffect, minTrialsPerArm: settings.minTrialsPerArm },
      });
      sequentialState = decision.sequentialState;
      status.decision = decision;
      status.looks += 1;
      status.history = [
        ...status.history,
        { at: new Date().toISOString(), control: a, treatment: b, pValue: decision.pValue },
      ].slice(-KEEP_LOOKS);
      show();
      if (decision.done || stop) break;
      if (workflowInfo().continueAsNewSuggested) {
        await continueAsNew<typeof abTest>({
          ...input,
          carried: {
            startedAt: status.startedAt!,
            before,
            looks: status.looks,
            sequentialState,
            history: status.history,
          },
        });
      }
    }

    phase('concluding');
    const decision = status.decision!;
    const winner = decision.done ? decision.winner : 'none';
    const result: AbTestResult = {
      ...status,
      winner,
      outcome: !decision.done ? 'stopped' : winner === 'none' ? 'no-winner' : 'decided',
    };
    if (winner === 'treatment' && input.promote) {
      // the endpoint goes back to how it was, then the treatment rolls out from there
      await restoreTraffic();
      promoting = true;
      phase('promoting');
      const rolloutId = `rollout/${endpoint}`;
      try {
        const rolled = await executeChild(progressiveRollout, {
          workflowId: rolloutId,
          args: [
            {
              endpoint,
              model: treatment,
              rollout: { ...input.promote, endpoint },
              actor: input.actor,
              terminationWait: input.terminationWait,
              ...(input.servingTaskQueue !== undefined && { servingTaskQueue: input.servingTaskQueue }),
              reason: `won the A/B test ${workflowInfo().workflowId}: ${decision.reason}`,
            },
          ],
          parentClosePolicy: 'REQUEST_CANCEL',
          staticSummary: `rollout ${treatment.name} v${treatment.version} → ${endpoint} (A/B test winner)`,
        });
        result.rollout = { workflowId: rolloutId, outcome: rolled.outcome, reason: rolled.reason };
      } catch (err) {
        if (isCancellation(err)) throw err;
        result.rollout = {
          workflowId: rolloutId,
          outcome: 'not-started',
          reason: err instanceof Error ? err.message : String(err),
        };
        await retire();
      }
    } else {
      await restoreTraffic();
      await retire();
    }
    phase('done');
    return { ...result, phase: 'done' };
  } catch (err) {
    if (promoting && !isCancellation(err)) throw err;
    // compensation: the endpoint's traffic as before the test, and what the test deployed removed
    await CancellationScope.nonCancellable(async () => {
      if (!promoting) {
        await restoreTraffic();
        await retire();
      }
      phase('done');
    });
    if (err instanceof StopRequested) return { ...status, phase: 'done', winner: 'none', outcome: 'stopped' };
    throw err;
  }

  /** The weights the endpoint had before the test, or all to the control if it served nothing then. */
  async function restoreTraffic(): Promise<void> {
    const previous = Object.fromEntries(
      (before?.variants ?? []).filter((v) => v.weight > 0).map((v) => [v.name, v.weight] as const),
    );
    const weights = Object.keys(previous).length > 0 ? previous : { [controlVariant]: 100 };
    await host.quick.setTraffic.executeWithOptions(
      {
        summary: `traffic back: ${Object.entries(weights)
          .map(([v, w]) => `${v}=${w}%`)
          .join(' ')}`,
      },
      [{ endpoint, weights }],
    );
  }

  /** Undeploys the variants the test added (the control stays when the endpoint served nothing before). */
  async function retire(): Promise<void> {
    const keepControl = !before || before.variants.every((v) => v.weight === 0);
    for (const variant of [controlVariant, treatmentVariant]) {
      if (servedBefore.has(variant) || (variant === controlVariant && keepControl)) continue;
      await host.quick.undeployVariant.executeWithOptions({ summary: `undeploy ${variant}` }, [{ endpoint, variant }]);
    }
  }
}

class StopRequested extends Error {
  constructor() {
    super('the A/B test was stopped before it started');
  }
}
