/** Human renderings of registry results. */
import type {
  ModelVersion,
  ModelVersionDetails,
  ModelVersionSummary,
  SetAliasResult,
  SetStatusResult,
} from '../../activities/registry/types';
import { shortId } from '../../common/format';
import { table } from '../output';

export function renderModelList(r: { models: string[] }): string {
  return r.models.length === 0 ? 'no models registered yet' : r.models.join('\n');
}

export function renderVersionList(r: { model: string; versions: ModelVersionSummary[] }): string {
  if (r.versions.length === 0) return `no versions of ${r.model}`;
  return table(
    ['VERSION', 'STATUS', 'ALIASES', 'CREATED', 'TRIGGER', 'METRICS'],
    r.versions.map((v) => [
      String(v.version),
      v.status,
      v.aliases.join(', '),
      v.createdAt,
      String(v.trigger),
      Object.entries(v.metrics)
        .slice(0, 4)
        .map(([k, x]) => `${k}=${fmt(x)}`)
        .join(' '),
    ]),
  );
}

export function renderVersion(d: ModelVersionDetails): string {
  const v: ModelVersion = d.version;
  const lines = [
    `${v.model} version ${v.version}: ${d.status}${d.aliases.length ? ` (${d.aliases.join(', ')})` : ''}`,
    `created ${v.createdAt} by ${v.createdBy}`,
    '',
    'lineage',
    table(
      ['', ''],
      [
        ['artifact', v.artifactUri],
        ['training data', `${v.trainingSnapshot.dataset}@${shortId(v.trainingSnapshot.id)}`],
        [
          'evaluation data',
          v.evaluationSnapshot ? `${v.evaluationSnapshot.dataset}@${shortId(v.evaluationSnapshot.id)}` : '—',
        ],
        ...(v.steps ?? []).map(({ step, dataset, id }) => [`step ${step}`, `${dataset}@${shortId(id)}`]),
        ['code version', v.codeVersion],
        ['pipeline run', v.pipelineRun],
        ['trigger', String(v.trigger)],
      ],
    ).trimEnd(),
    '',
    'metrics',
    table(
      ['METRIC', 'VALUE'],
      Object.entries(v.metrics).map(([k, x]) => [k, fmt(x)]),
    ).trimEnd(),
  ];
  if (Object.keys(v.params).length > 0) {
    lines.push(
      '',
      'params',
      table(
        ['PARAM', 'VALUE'],
        Object.entries(v.params).map(([k, x]) => [k, JSON.stringify(x)]),
      ).trimEnd(),
    );
  }
  lines.push(
    '',
    'audit',
    table(
      ['WHEN', 'WHO', 'WHAT', 'WHY'],
      d.audit.map((a) => [
        a.at,
        a.signedBy ? `${a.actor} (key ${a.signedBy})` : a.actor,
        describeAction(a.action, a.alias, a.from, a.to),
        a.reason,
      ]),
    ).trimEnd(),
    '',
    `model card: ${d.modelCardKey} (mlops models show ${v.model} ${v.version} --card)`,
  );
  return lines.join('\n');
}

export function renderAliasChange(r: { model: string } & SetAliasResult): string {
  if (r.changed) return `${r.model}: ${r.alias} → version ${r.version} (was ${r.previous ?? 'unset'})`;
  return r.reason === 'unchanged'
    ? `${r.model}: ${r.alias} already points at version ${r.current}`
    : `${r.model}: ${r.alias} not moved: it points at ${r.current ?? 'nothing'}, not the expected version`;
}

export function renderStatusChange(r: { model: string } & SetStatusResult): string {
  if (r.changed) return `${r.model} version ${r.version}: ${r.previous} → ${r.status}`;
  return `${r.model} version ${r.version}: status stays ${r.current} (${r.reason})`;
}

function describeAction(action: string, alias: string | undefined, from: unknown, to: unknown): string {
  if (action === 'alias') return `alias ${alias}: ${from ?? 'unset'} → ${to ?? 'unset'}`;
  if (action === 'status') return `status ${from} → ${to}`;
  return action;
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(4);
}
