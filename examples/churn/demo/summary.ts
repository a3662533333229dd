/**
 * What the demo shows at the end: the versions and their metrics, the drifting window's scores per
 * feature, the monitor's baseline, the reports, the Temporal UI URL of every workflow it ran, and
 * how long it took; as JSON (`--json`) or as text.
 */
import type { Client } from '@temporalio/client';
import { ModelRegistry } from '../../../activities/registry';
import type { BlobStore } from '../../../activities/storage/types';
import { uiUrl } from '../../../client/ui-url';
import { table } from '../../../client/output';
import { MlEndpoint, MlPipeline, MlTrigger } from '../../../common/search-attributes';
import type { LoadedConfig } from '../../../lib/config';
import { monitorStatusQuery, type DriftingFeatureScore, type MonitorBaseline } from '../../../workflows/model-monitor';
import type { RetrainPipelineOutput } from '../../../workflows/retrain-pipeline';
import { ENDPOINT, PIPELINE } from './example';

/** The demo's outcome (`mlops --json demo` prints it). */
export interface DemoSummary {
  ok: boolean;
  champion?: number;
  versions: { version: number; status: string; aliases: string[]; trigger: string; auc?: number; accuracy?: number }[];
  driftRetrain?: { workflowId: string; trigger?: string; outcome?: string; version?: number };
  /** The drifting window that started the retrain (else the last one): its verdict and each drifting feature's scores. */
  drift?: {
    window: string;
    drifted: string[];
    summary: string;
    scores: Record<string, DriftingFeatureScore>;
    /** What the window led to (`retrain started: <id>`). */
    action?: string;
  };
  /** What the monitor judges against at the end (v2's training data when all went well). */
  monitorBaseline?: MonitorBaseline;
  reports: Record<string, string>;
  workflows: { workflowId: string; url: string }[];
  traffic: { requests: number; labels: number };
  ui: string;
  kept: boolean;
  /** The demo started the stack and stopped it at the end. */
  stackStopped: boolean;
  /** Wall time of the whole demo, clean-up included. */
  durationMs: number;
}

/** Gathers the summary of a finished demo from the registry, the workflows and the monitor. */
export async function summarize(
  client: Client,
  store: BlobStore,
  config: LoadedConfig,
  retrainId: string,
  result: RetrainPipelineOutput,
  traffic: { requests: number; labels: number },
  kept: boolean,
  startedAt: string,
): Promise<DemoSummary> {
  const registry = new ModelRegistry(store);
  const versions = (await registry.listVersions(PIPELINE)).map((v) => ({
    version: v.version,
    status: v.status,
    aliases: v.aliases,
    trigger: v.trigger,
    auc: v.metrics.auc,
    accuracy: v.metrics.accuracy,
  }));
  const champion = versions.find((v) => v.aliases.includes('champion'))?.version;
  const workflows: { workflowId: string; url: string }[] = [];
  for await (const wf of client.workflow.list({
    query: `(${MlPipeline.name} = '${PIPELINE}' OR ${MlEndpoint.name} = '${ENDPOINT}') AND StartTime >= '${startedAt}'`,
  })) {
    if (workflows.some((w) => w.workflowId === wf.workflowId)) continue;
    workflows.push({ workflowId: wf.workflowId, url: uiUrl(config, wf.workflowId) });
  }
  const described = await client.workflow.getHandle(retrainId).describe();
  const trigger = described.typedSearchAttributes.get(MlTrigger);
  const monitor = await client.workflow
    .getHandle(`monitor/${ENDPOINT}`)
    .query(monitorStatusQuery)
    .catch(() => undefined);
  // the window that started the retrain; the last drifting one if it has left the monitor's recent windows
  const driftWindow =
    monitor?.windows.find((w) => w.action === `retrain started: ${retrainId}`) ??
    monitor?.windows.filter((w) => w.drifts).at(-1);
  const reports: Record<string, string> = {};
  for (const w of [...workflows].reverse()) {
    if (!w.workflowId.startsWith(`retrain/${PIPELINE}/`)) continue;
    const done = (await client.workflow
      .getHandle(w.workflowId)
      .result()
      .catch(() => undefined)) as RetrainPipelineOutput | undefined;
    if (done?.links.report)
      reports[`evaluation of v${done.version ?? '?'}${done.champion ? ` against v${done.champion}` : ''}`] =
        done.links.report;
  }
  if (driftWindow?.report)
    reports[
      driftWindow.action?.startsWith('retrain started')
        ? 'drift (the window that started the retrain)'
        : 'drift (the last drifting window)'
    ] = driftWindow.report;
  if (monitor?.latestReport && monitor.latestReport !== driftWindow?.report)
    reports['latest monitoring window'] = monitor.latestReport;
  const ok =
    result.outcome === 'approved' &&
    champion === result.version &&
    trigger === 'drift' &&
    monitor?.baseline?.version === result.version;
  return {
    ok,
    champion,
    versions,
    driftRetrain: { workflowId: retrainId, trigger, outcome: result.outcome, version: result.version },
    drift: driftWindow && {
      window: `${driftWindow.from} → ${driftWindow.to}`,
      drifted: driftWindow.drifted,
      summary: driftWindow.summary,
      scores: driftWindow.scores ?? {},
      action: driftWindow.action,
    },
    monitorBaseline: monitor?.baseline,
    reports,
    workflows,
    traffic: { requests: traffic.requests, labels: traffic.labels },
    ui: uiUrl(config, '').replace(/\/workflows\/$/, '/workflows'),
    kept,
    stackStopped: false,
    durationMs: 0,
  };
}

/** The summary as text: the outcome, the versions, the drift that started the retrain, reports and workflows. */
export function renderSummary(s: DemoSummary): string {
  const lines = [
    '',
    s.ok
      ? `Done: v${s.champion} is the champion, retrained on drift (${s.driftRetrain?.workflowId}).`
      : `The demo did not end as expected: champion v${s.champion ?? '—'}, drift retrain ${s.driftRetrain?.outcome ?? '—'}.`,
    '',
    table(
      ['VERSION', 'STATUS', 'ALIASES', 'TRIGGER', 'AUC', 'ACCURACY'],
      s.versions.map((v) => [
        `v${v.version}`,
        v.status,
        v.aliases.join(',') || '-',
        v.trigger,
        v.auc === undefined ? '-' : v.auc.toFixed(3),
        v.accuracy === undefined ? '-' : v.accuracy.toFixed(3),
      ]),
    ).trimEnd(),
  ];
  if (s.drift) {
    lines.push('', `drift: ${s.drift.summary} (window ${s.drift.window})`);
    const scores = Object.entries(s.drift.scores);
    if (scores.length > 0)
      lines.push(
        table(
          ['FEATURE', 'PSI', 'JS DISTANCE', 'KS P', 'CHI2 P'],
          scores.map(([feature, score]) => [
            feature,
            score.psi.toFixed(3),
            score.js.toFixed(3),
            pvalue(score.ksPvalue),
            pvalue(score.chi2Pvalue),
          ]),
        ).trimEnd(),
      );
  }
  if (s.monitorBaseline)
    lines.push(
      '',
      `monitor baseline: ${s.monitorBaseline.model} v${s.monitorBaseline.version} (${s.monitorBaseline.dataset} snapshot ${s.monitorBaseline.snapshot.slice(0, 12)})`,
    );
  lines.push('', `traffic: ${s.traffic.requests} requests, ${s.traffic.labels} labels`);
  if (Object.keys(s.reports).length > 0) {
    lines.push('', 'reports:');
    for (const [name, uri] of Object.entries(s.reports)) lines.push(`  ${name}: ${uri}`);
  }
  lines.push('', 'workflows (Temporal UI):');
  for (const w of s.workflows) lines.push(`  ${w.workflowId}  ${w.url}`);
  lines.push(
    '',
    s.kept
      ? `Everything is still running: browse ${s.ui}, then stop with \`mlops monitor stop churn\` and \`mlops dev down\`.`
      : s.stackStopped
        ? `The stack is stopped (run with --keep to browse ${s.ui} afterwards).`
        : `The stack was already running before the demo and is left up: browse ${s.ui}.`,
    `Finished in ${duration(s.durationMs)}.`,
  );
  return lines.join('\n');
}

function pvalue(p: number | undefined): string {
  if (p === undefined) return '-';
  return p < 0.001 ? p.toExponential(1) : p.toFixed(3);
}

/** `3m12s`, `45s`. */
function duration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes}m${String(seconds % 60).padStart(2, '0')}s` : `${seconds}s`;
}
