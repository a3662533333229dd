/**
 * `modelMonitor` (workflow id `monitor/<endpoint>`): watches a serving endpoint for drift and closes
 * the loop. Every `interval` it judges the requests captured since the last window against the
 * training data of the model's current champion (the baseline follows each new champion): feature
 * drift, prediction drift and, where labels arrived, live accuracy (an activity; only the scores
 * enter the history), and writes a drift report. After `consecutiveWindows` drifting windows it
 * notifies and starts the pipeline's retrain (trigger `drift`, a child that outlives the monitor) —
 * never while a retrain of the pipeline runs, and not within `cooldown` of the end of the last one it
 * started (completed, failed or cancelled: the child's result says when; after a continue-as-new an
 * activity asks the server). Updates `pause`/`resume`; query `monitorStatus`; continues as new when
 * the history grows or after `maxWindowsPerRun` windows, carrying its state.
 */
import {
  condition,
  continueAsNew,
  defineQuery,
  defineUpdate,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  allHandlersFinished,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { DriftWindowResult } from '../activities/monitoring/activities';
import type { FeatureScore } from '../activities/monitoring/window';
import { MlEndpoint, MlModel, MlModelVersion, MlPipeline, MlStage } from '../common/search-attributes';
import { parseDuration } from '../common/duration';
import type { PipelineSpec } from '../common/schemas/spec';
import {
  pipelineInput,
  pipelineRunId,
  pipelineSearchAttributes,
  pipelineSummary,
  pipelineWorkflowType,
} from '../common/pipeline-start';
import type { PipelineWorkflow } from './sdk/types';
import { KEEPALIVE_TIMEOUT } from './keepalive';
import { notifyQuietly } from './sdk/notify';

export interface ModelMonitorInput {
  endpoint: string;
  /** The pipeline whose model serves the endpoint; its `monitoring` section sets the policy. */
  spec: PipelineSpec;
  specFile?: string;
  trainingTaskQueue: string;
  /** Task queue of the serving hosts, passed on to the retrains it starts. @default none (the rollout's own queue) */
  servingTaskQueue?: string;
  /** Who started the monitor (a person, or `pipeline:<run>`). */
  actor: string;
  /**
   * Windows one run judges before it continues as new (it also does when the server suggests it): a
   * bound on the history's size. @default 500
   */
  maxWindowsPerRun?: number;
  /** Carried over by continue-as-new. */
  carried?: MonitorCarried;
}

interface MonitorCarried {
  startedAt: string;
  lastEnd?: string;
  windows: WindowRecord[];
  windowCount: number;
  consecutive: number;
  paused: boolean;
  baseline?: MonitorBaseline;
  lastRetrainAt?: string;
  lastRetrainEndedAt?: string;
  retrains: string[];
}

export interface MonitorBaseline {
  model: string;
  version: number;
  dataset: string;
  snapshot: string;
}

export type WindowRecord = Pick<
  DriftWindowResult,
  'from' | 'to' | 'samples' | 'judged' | 'drifted' | 'share' | 'drifts' | 'summary' | 'report'
> & {
  predictionPsi?: number;
  accuracy?: number;
  /** The scores of each drifting feature: PSI, Jensen-Shannon distance, and the KS or chi-square p-value. */
  scores?: Record<string, DriftingFeatureScore>;
  /** What the window led to: a retrain started, or why none was. */
  action?: string;
};

export type DriftingFeatureScore = Pick<FeatureScore, 'psi' | 'js' | 'ksPvalue' | 'chi2Pvalue'>;

export interface MonitorStatus {
  endpoint: string;
  pipeline: string;
  phase: 'waiting-for-champion' | 'watching' | 'paused';
  startedAt: string;
  baseline?: MonitorBaseline;
  interval: string;
  consecutive: number;
  consecutiveWindows: number;
  windowCount: number;
  /** The most recent windows, oldest first. */
  windows: WindowRecord[];
  /** Retrains this monitor started (most recent last). */
  retrains: string[];
  /** When the monitor started the last of them, and when it closed (unset while it runs or is not known yet). */
  lastRetrainAt?: string;
  lastRetrainEndedAt?: string;
  /** No drift retrain before this: `retrain.cooldown` after the end of the last one the monitor started. */
  cooldownUntil?: string;
  latestReport?: string;
}

export interface MonitorDecisionInput {
  actor: string;
  reason: string;
}

export const monitorStatusQuery = defineQuery<MonitorStatus>('monitorStatus');
export const pauseMonitorUpdate = defineUpdate<MonitorStatus, [MonitorDecisionInput]>('pause');
export const resumeMonitorUpdate = defineUpdate<MonitorStatus, [MonitorDecisionInput]>('resume');

const KEEP_WINDOWS = 24;
const MAX_WINDOWS_PER_RUN = 500;
/** How long captures may take to reach the store (the gateway's default batch age is 10 s). */
const MAX_CAPTURE_LAG_MS = 12_000;

const light = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  heartbeatTimeout: KEEPALIVE_TIMEOUT,
  retry: { initialInterval: '1s', maximumInterval: '20s', maximumAttempts: 10 },
});
const heavy = proxyActivities<Activities>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: KEEPALIVE_TIMEOUT,
  retry: { initialInterval: '2s', maximumInterval: '1m', maximumAttempts: 5 },
});

export async function modelMonitor(input: ModelMonitorInput): Promise<MonitorStatus> {
  const { endpoint, spec } = input;
  const monitoring = spec.monitoring;
  if (!monitoring) throw new Error(`pipeline ${spec.name} has no monitoring section`);
  const intervalMs = parseDuration(monitoring.interval);
  const lagMs = Math.min(MAX_CAPTURE_LAG_MS, Math.round(intervalMs / 2));
  const carried = input.carried;
  const status: MonitorStatus = {
    endpoint,
    pipeline: spec.name,
    phase: 'watching',
    startedAt: carried?.startedAt ?? new Date().toISOString(),
    baseline: carried?.baseline,
    interval: monitoring.interval,
    consecutive: carried?.consecutive ?? 0,
    consecutiveWindows: monitoring.consecutiveWindows,
    windowCount: carried?.windowCount ?? 0,
    windows: carried?.windows ?? [],
    retrains: carried?.retrains ?? [],
    lastRetrainAt: carried?.lastRetrainAt,
    lastRetrainEndedAt: carried?.lastRetrainEndedAt,
    latestReport: carried?.windows.at(-1)?.report,
  };
  let paused = carried?.paused ?? false;
  let lastEnd = carried?.lastEnd ?? status.startedAt;
  /** The retrain this run of the monitor started and has not seen end. */
  let ownRetrainRunning = false;
  let windowsThisRun = 0;
  const maxWindowsPerRun = input.maxWindowsPerRun ?? MAX_WINDOWS_PER_RUN;
  const cooldownMs = parseDuration(monitoring.retrain.cooldown);
  /** When the cooldown after the last retrain the monitor started ends; undefined while it runs or never ran. */
  const cooldownUntil = () =>
    status.lastRetrainEndedAt
      ? new Date(new Date(status.lastRetrainEndedAt).getTime() + cooldownMs).toISOString()
      : undefined;

  const show = () =>
    setCurrentDetails(
      [
        `**Monitoring ${endpoint}** (pipeline ${spec.name}) · ${paused ? 'paused' : status.phase} · every ${monitoring.interval}`,
        status.baseline
          ? `baseline: ${status.baseline.model} v${status.baseline.version}, ${status.baseline.dataset} snapshot ${status.baseline.snapshot.slice(0, 12)}`
          : 'baseline: none yet (no champion)',
        `drifting windows in a row: ${status.consecutive}/${monitoring.consecutiveWindows} · windows: ${status.windowCount} · retrains started: ${status.retrains.length}`,
        retrainLine(),
        '',
        '| window end | rows | verdict | action |',
        '| --- | ---: | --- | --- |',
        ...status.windows.slice(-8).map((w) => `| ${w.to} | ${w.samples} | ${w.summary} | ${w.action ?? ''} |`),
        status.latestReport ? `\nlatest report: ${status.latestReport}` : '',
      ].join('\n'),
    );
  const stage = (value: string) => upsertSearchAttributes([{ key: MlStage, value: `monitor:${value}` }]);
  const checkDecision = (arg: MonitorDecisionInput | undefined) => {
    if (typeof arg?.actor !== 'string' || arg.actor.trim() === '') throw new Error('actor: required');
    if (typeof arg.reason !== 'string' || arg.reason.trim() === '') throw new Error('reason: required');
  };
  function retrainLine(): string {
    const last = status.retrains.at(-1);
    if (!last || !status.lastRetrainAt) return '';
    if (ownRetrainRunning) return `last retrain: ${last}, running`;
    if (!status.lastRetrainEndedAt) return `last retrain: ${last}`;
    const until = cooldownUntil()!;
    return `last retrain: ${last}, ended ${status.lastRetrainEndedAt}${until > new Date().toISOString() ? ` · in cooldown until ${until}` : ''}`;
  }
  setHandler(monitorStatusQuery, () => ({
    ...status,
    phase: paused ? 'paused' : status.phase,
    cooldownUntil: cooldownUntil(),
  }));
  setHandler(
    pauseMonitorUpdate,
    (arg) => {
      paused = true;
      log.info('monitor paused', { actor: arg.actor, reason: arg.reason });
      stage('paused');
      show();
      return { ...status, phase: 'paused' };
    },
    { validator: checkDecision },
  );
  setHandler(
    resumeMonitorUpdate,
    (arg) => {
      if (paused) {
        // what was served while paused is never judged: the next window starts here
        const resumedEnd = new Date(Date.now() - lagMs).toISOString();
        if (resumedEnd > lastEnd) lastEnd = resumedEnd;
      }
      paused = false;
      log.info('monitor resumed', { actor: arg.actor, reason: arg.reason });
      stage(status.phase);
      show();
      return status;
    },
    { validator: checkDecision },
  );

  upsertSearchAttributes([
    { key: MlEndpoint, value: endpoint },
    { key: MlPipeline, value: spec.name },
    { key: MlModel, value: spec.model },
  ]);
  stage(paused ? 'paused' : 'watching');
  show();

  const notify = async (title: string, text: string, fields: Record<string, string>) => {
    const n = spec.notifications;
    if (!n || !n.events.includes('drift-detected')) return;
    await notifyQuietly({
      webhookEnv: n.webhookEnv,
      event: 'drift-detected',
      pipeline: spec.name,
      run: workflowInfo().workflowId,
      title,
      text,
      fields,
      link: status.latestReport,
    });
  };

  for (;;) {
    await condition(() => false, intervalMs);
    if (paused) {
      // windows are not judged while paused; resuming moves the next one's start (see the handler)
      await condition(() => !paused);
      continue;
    }
    const champion = await light.findChampion.executeWithOptions({ summary: `find the champion of ${spec.model}` }, [
      { model: spec.model },
    ]);
    if (!champion) {
      status.phase = 'waiting-for-champion';
      stage(status.phase);
      show();
      continue;
    }
    const baseline: MonitorBaseline = {
      model: champion.model,
      version: champion.version,
      dataset: champion.trainingSnapshot.dataset,
      snapshot: champion.trainingSnapshot.id,
    };
    if (status.baseline?.version !== baseline.version || status.baseline.model !== baseline.model) {
      // a new champion: the baseline follows it, and its drift count starts over
      status.baseline = baseline;
      status.consecutive = 0;
      upsertSearchAttributes([{ key: MlModelVersion, value: `${baseline.model}:${baseline.version}` }]);
    }
    if (status.phase !== 'watching') {
      status.phase = 'watching';
      stage('watching');
    }
    const to = new Date(Date.now() - lagMs).toISOString();
    const window = await heavy.computeDriftWindow.executeWithOptions(
      { summary: `drift of ${endpoint} in ${lastEnd.slice(11, 19)}–${to.slice(11, 19)} against v${baseline.version}` },
      [
        {
          endpoint,
          model: baseline.model,
          version: baseline.version,
          baseline: {
            dataset: baseline.dataset,
            snapshot: baseline.snapshot,
            file: spec.dataset.expectations?.file ?? 'train.csv',
            exclude: spec.dataset.expectations?.labelColumn ? [spec.dataset.expectations.labelColumn] : [],
          },
          from: lastEnd,
          to,
          settings: monitoring,
          expectedAccuracy: champion.metrics.accuracy,
          seed: status.windowCount + 1,
        },
      ],
    );
    // a resume while the window was computed has moved the start past it already
    if (to > lastEnd) lastEnd = to;
    status.windowCount += 1;
    windowsThisRun += 1;
    status.latestReport = window.report;
    const record: WindowRecord = {
      from: window.from,
      to: window.to,
      samples: window.samples,
      judged: window.judged,
      drifted: window.drifted,
      share: window.share,
      drifts: window.drifts,
      summary: window.summary,
      report: window.report,
      predictionPsi: window.prediction && 'psi' in window.prediction ? window.prediction.psi : undefined,
      accuracy: window.performance?.accuracy,
      scores: driftingScores(window.features),
    };
    if (paused) {
      // paused while the window was computed: shown, but it neither counts nor acts
      record.action = 'monitor paused: not counted';
    } else if (window.judged) status.consecutive = window.drifts ? status.consecutive + 1 : 0;

    if (!paused && status.consecutive >= monitoring.consecutiveWindows) {
      status.consecutive = 0;
      record.action = await onDrift(record);
    }
    status.windows = [...status.windows, record].slice(-KEEP_WINDOWS);
    show();

    if (workflowInfo().continueAsNewSuggested || windowsThisRun >= maxWindowsPerRun) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof modelMonitor>({
        ...input,
        carried: {
          startedAt: status.startedAt,
          lastEnd,
          windows: status.windows,
          windowCount: status.windowCount,
          consecutive: status.consecutive,
          paused,
          baseline: status.baseline,
          lastRetrainAt: status.lastRetrainAt,
          // unset while the retrain runs: the next run asks the server when it closed
          lastRetrainEndedAt: status.lastRetrainEndedAt,
          retrains: status.retrains.slice(-KEEP_WINDOWS),
        },
      });
    }
  }

  /** Drift persisted: notify, and start a retrain unless one runs or the cooldown holds; returns what was done. */
  async function onDrift(window: WindowRecord): Promise<string> {
    const retrain = monitoring!.retrain;
    let action: string;
    const running = ownRetrainRunning
      ? [status.retrains.at(-1)!]
      : await light.runningRetrains.executeWithOptions({ summary: `running retrains of ${spec.name}` }, [
          { pipeline: spec.name },
        ]);
    let inCooldownUntil: string | undefined;
    let cooldownFrom = 'started';
    if (patched('cooldown-from-retrain-end')) {
      // the cooldown runs from the end of the last retrain the monitor started
      const last = status.retrains.at(-1);
      if (last && status.lastRetrainAt && !status.lastRetrainEndedAt && !ownRetrainRunning && running.length === 0) {
        // started by an earlier run of this monitor, before it continued as new
        try {
          const closed = await light.retrainClosedAt.executeWithOptions({ summary: `when ${last} closed` }, [
            { workflowId: last },
          ]);
          if (closed === 'running') running.push(last);
          // not found (history deleted): the cooldown runs from its start
          else status.lastRetrainEndedAt = closed?.closedAt ?? status.lastRetrainAt;
        } catch (err) {
          if (isCancellation(err)) throw err;
          // the server did not say: this time the cooldown runs from its start, and the next drift asks again
          log.warn('could not tell when the last retrain closed', { workflowId: last, error: String(err) });
          const fromStart = new Date(new Date(status.lastRetrainAt).getTime() + cooldownMs).toISOString();
          if (fromStart > new Date().toISOString()) inCooldownUntil = fromStart;
        }
      }
      const until = cooldownUntil();
      if (until && until > new Date().toISOString()) inCooldownUntil = until;
      cooldownFrom = status.lastRetrainEndedAt ? 'ended' : 'started';
    } else {
      // runs started before the change: the cooldown ran from the start of the last retrain
      const sinceLast = status.lastRetrainAt ? Date.now() - new Date(status.lastRetrainAt).getTime() : Infinity;
      if (sinceLast < cooldownMs)
        inCooldownUntil = new Date(new Date(status.lastRetrainAt!).getTime() + cooldownMs).toISOString();
    }
    if (!retrain.enabled) action = 'drift: retraining on drift is off';
    else if (running.length > 0) action = `drift: ${running[0]} is already running`;
    else if (inCooldownUntil)
      action = `drift: in cooldown until ${inCooldownUntil} (${retrain.cooldown} after ${status.retrains.at(-1)} ${cooldownFrom})`;
    else {
      const now = new Date().toISOString();
      const workflowId = pipelineRunId(spec.name, now);
      const reason = `drift on ${endpoint}: ${window.summary}`;
      // the spec's workflow, else the built-in pipeline (the type every run before `workflow` existed started)
      const child = await startChild<PipelineWorkflow>(pipelineWorkflowType(spec), {
        workflowId,
        args: [
          pipelineInput({
            spec,
            specFile: input.specFile,
            trigger: 'drift',
            actor: `monitor/${endpoint}`,
            reason,
            trainingTaskQueue: input.trainingTaskQueue,
            servingTaskQueue: input.servingTaskQueue,
          }),
        ],
        // a code pipeline may set none itself; no history of the built-in pipeline has a `workflow`
        ...(spec.workflow !== undefined && { typedSearchAttributes: pipelineSearchAttributes(spec.name, 'drift') }),
        // the retrain carries on when the monitor is stopped or continues as new
        parentClosePolicy: 'ABANDON',
        staticSummary: pipelineSummary(spec.name, `drift · ${window.drifted.slice(0, 5).join(', ') || 'predictions'}`),
        staticDetails: `started by **monitor/${endpoint}**: ${reason}\n\nreport: ${window.report}`,
      });
      ownRetrainRunning = true;
      // completed, failed, cancelled or terminated: its cooldown starts now
      const ended = () => {
        ownRetrainRunning = false;
        if (status.retrains.at(-1) === workflowId) status.lastRetrainEndedAt = new Date().toISOString();
        show();
      };
      child.result().then(ended, ended);
      status.lastRetrainAt = now;
      status.lastRetrainEndedAt = undefined;
      status.retrains = [...status.retrains, workflowId];
      action = `retrain started: ${workflowId}`;
    }
    await notify(`Drift on ${endpoint}`, `${window.summary}. ${action}.`, {
      endpoint,
      champion: status.baseline ? `${status.baseline.model} v${status.baseline.version}` : '—',
      window: `${window.from} → ${window.to}`,
    });
    return action;
  }
}

/** The scores of the features that drift, for the status and the demo's summary; undefined when none does. */
function driftingScores(features: FeatureScore[]): Record<string, DriftingFeatureScore> | undefined {
  const drifting = features.filter((f) => f.drifts);
  if (drifting.length === 0) return undefined;
  return Object.fromEntries(
    drifting.map((f) => [f.column, { psi: f.psi, js: f.js, ksPvalue: f.ksPvalue, chi2Pvalue: f.chi2Pvalue }]),
  );
}
