/**
 * The hyperparameter sweep report: a summary (objective, trials by status, the best trial and its
 * params, the search space), the leaderboard, the objective against each param, and the learning
 * curves. Pure apart from rendering: the same data gives the same page.
 */
import { renderChart } from './chart';
import { formatMetric, formatParam, listSome, plural } from './format';
import { renderPage, type Block, type Cell, type Chart, type Section, type TableRow } from './html';
import { learningCurvesChart, paramChart } from './sweep-charts';
import {
  bestTrialOf,
  leaderboardOrder,
  objectiveOf,
  paramNames,
  statusCounts,
  type SweepParamSpace,
  type SweepReportData,
  type SweepTrialData,
} from './sweep-data';

/** Final metrics besides the objective shown in the leaderboard, at most. */
const MAX_METRIC_COLUMNS = 8;

/** The sweep report as one self-contained HTML page. */
export async function renderSweepReport(data: SweepReportData): Promise<string> {
  const best = bestTrialOf(data);
  const params = paramNames(data);
  const [paramCharts, curves] = await Promise.all([
    Promise.all(params.map((name) => paramSection(name, data, best?.trial))),
    curvesBlocks(data, best?.trial),
  ]);
  const sections: Section[] = [
    { heading: 'Summary', blocks: summaryBlocks(data, best, params) },
    { heading: 'Leaderboard', blocks: [leaderboard(data, best?.trial, params)] },
    { heading: 'Objective by parameter', blocks: paramBlocks(paramCharts) },
    { heading: 'Learning curves', blocks: curves },
  ];
  const { metric, direction } = data.objective;
  return renderPage({
    title: data.title,
    subtitle: `Hyperparameter sweep of ${plural(data.trials.length, 'trial')}, objective: ${direction} ${metric}`,
    meta: [
      ['Run', data.run],
      ['Generated', data.generatedAt],
    ],
    sections,
    footer: `temporal-mlops sweep report, generated ${data.generatedAt}`,
  });
}

function summaryBlocks(data: SweepReportData, best: SweepTrialData | undefined, params: string[]): Block[] {
  const { metric, direction } = data.objective;
  const counts = statusCounts(data.trials);
  const trials =
    data.trials.length === 0
      ? 'none yet'
      : `${data.trials.length}: ${counts.map(([status, n]) => `${n} ${status.replace('-', ' ')}`).join(', ')}`;
  const blocks: Block[] = [
    {
      kind: 'facts',
      items: [
        ['Objective', `${direction} ${metric}`],
        ['Trials', trials],
        ['Best trial', best === undefined ? 'none: no trial succeeded with a finite objective' : String(best.trial)],
        ...(best === undefined ? [] : [[`Best ${metric}`, valueText(objectiveOf(best, data.objective))] as const]),
      ],
    },
  ];
  if (best !== undefined && params.length > 0) {
    blocks.push({ kind: 'paragraph', text: `Parameters of trial ${best.trial}:` });
    blocks.push({ kind: 'facts', items: params.map((name) => [name, formatParam(best.params[name])] as const) });
  }
  if (data.trials.length === 0) blocks.push({ kind: 'note', text: 'No trial has been recorded yet.' });
  const space = Object.entries(data.space);
  if (space.length > 0)
    blocks.push({
      kind: 'table',
      table: {
        caption: 'Search space',
        columns: [{ label: 'param' }, { label: 'type' }, { label: 'values' }],
        rows: space.map(([name, p]) => ({ cells: [name, p.type, spaceText(p)] })),
      },
    });
  return blocks;
}

function spaceText(p: SweepParamSpace): string {
  if (p.type === 'choice') return Array.isArray(p.values) ? `one of ${p.values.map(formatParam).join(', ')}` : '';
  const range = `${formatParam(p.min)} to ${formatParam(p.max)}`;
  if (p.type === 'loguniform') return `${range}, log scale`;
  if (p.type === 'int') return `${range}${p.step === undefined ? '' : `, step ${formatParam(p.step)}`}`;
  return range;
}

function valueText(value: number | undefined): string {
  return value === undefined ? '—' : formatMetric(value);
}

function valueCell(value: number | undefined): Cell {
  if (value === undefined) return '—';
  return Number.isFinite(value) ? formatMetric(value) : { text: formatMetric(value), className: 'non-finite' };
}

function leaderboard(data: SweepReportData, best: number | undefined, params: string[]): Block {
  const { metric, direction } = data.objective;
  const others = [...new Set(data.trials.flatMap((t) => Object.keys(t.metrics)))].filter((m) => m !== metric).sort();
  const metrics = others.slice(0, MAX_METRIC_COLUMNS);
  const ordered = leaderboardOrder(data.trials, data.objective);
  let rank = 0;
  const rows: TableRow[] = ordered.map((t) => {
    const objective = objectiveOf(t, data.objective);
    const ranked = t.status === 'succeeded' && objective !== undefined && Number.isFinite(objective);
    const status = t.stoppedAtStep === undefined ? t.status : `${t.status} at step ${t.stoppedAtStep}`;
    const isBest = t.trial === best;
    return {
      highlight: isBest,
      muted: t.status === 'failed' || t.status === 'cancelled',
      cells: [
        ranked ? String(++rank) : '—',
        isBest ? { text: `${t.trial} ★ best`, className: 'best-mark', title: 'best trial' } : String(t.trial),
        { text: status, className: `status-${t.status.replace(/[^a-z-]/g, '')}` },
        valueCell(objective),
        ...metrics.map((m) => valueCell(t.metrics[m])),
        ...params.map((p) => formatParam(t.params[p])),
      ],
    };
  });
  const caption =
    `Ranked by ${metric} (${direction === 'maximize' ? 'highest' : 'lowest'} first); ` +
    'trials stopped early, cancelled or failed come after those that succeeded.' +
    (others.length > metrics.length ? ` ${others.length - metrics.length} further metrics not shown.` : '');
  return {
    kind: 'table',
    table: {
      caption,
      columns: [
        { label: 'rank', numeric: true },
        { label: 'trial', numeric: true },
        { label: 'status' },
        { label: `${metric} ${direction === 'maximize' ? '↑' : '↓'}`, numeric: true },
        ...metrics.map((label) => ({ label, numeric: true })),
        ...params.map((label) => ({ label })),
      ],
      rows,
    },
  };
}

interface ParamSection {
  name: string;
  chart?: Chart;
  notes: string[];
}

async function paramSection(name: string, data: SweepReportData, best: number | undefined): Promise<ParamSection> {
  const planned = paramChart(name, data.space[name], data.trials, data.objective, best);
  if (!planned.spec) return { name, notes: planned.notes };
  const caption = [`${plural(planned.plotted, 'trial')} plotted.`, ...planned.notes].join(' ');
  return {
    name,
    notes: [],
    chart: { title: `${data.objective.metric} vs ${name}`, svg: await renderChart(planned.spec), caption },
  };
}

function paramBlocks(sections: ParamSection[]): Block[] {
  if (sections.length === 0) return [{ kind: 'note', text: 'The sweep has no parameters.' }];
  const charts = sections.flatMap((s) => (s.chart ? [s.chart] : []));
  const empty = sections
    .filter((s) => !s.chart)
    .map((s): Block => ({ kind: 'note', text: `${s.name}: nothing to plot. ${s.notes.join(' ')}`.trim() }));
  return [
    {
      kind: 'paragraph',
      text: 'Each point is a trial with a finite objective, coloured by status; the ring marks the best trial.',
    },
    ...(charts.length > 0 ? [{ kind: 'charts', charts } as const] : []),
    ...empty,
  ];
}

async function curvesBlocks(data: SweepReportData, best: number | undefined): Promise<Block[]> {
  const planned = learningCurvesChart(data.trials, data.objective, best);
  const missing = data.trials.filter((t) => t.curve.length === 0).map((t) => t.trial);
  const missingNote: Block[] =
    missing.length > 0 ? [{ kind: 'note', text: `No intermediate values from trials ${listSome(missing)}.` }] : [];
  if (!planned.spec) {
    const text = `No trial reported finite intermediate values of ${data.objective.metric} to plot.`;
    return [{ kind: 'note', text: [text, ...planned.notes].join(' ') }];
  }
  const caption = [
    `${plural(planned.plotted, 'trial')} plotted, coloured by status.`,
    planned.stopped ? 'Dashed lines: trials stopped early, a cross where each stopped.' : '',
    best === undefined ? '' : `Thick dark line: the best trial (${best}).`,
    ...planned.notes,
  ]
    .filter(Boolean)
    .join(' ');
  const svg = await renderChart(planned.spec);
  return [{ kind: 'charts', charts: [{ title: `${data.objective.metric} by step`, svg, caption }] }, ...missingNote];
}
