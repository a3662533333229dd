/**
 * The evaluation report of a retrain: the gate decision with every gate's reason, the candidate's
 * metrics against the champion's (deltas coloured by which way each metric is better), the charts
 * of the task — ROC and calibration curves (binary), predicted against actual and the residual
 * histogram (regression), confusion matrices (multiclass) — and per-segment bars. Without a
 * champion (a model's first version) it shows the candidate alone. Pure apart from rendering: the
 * same data gives the same page.
 */
import { renderChart } from './chart';
import { formatMetric, plural } from './format';
import { renderPage, type Block, type Cell, type Chart, type Section } from './html';
import { confusionChart } from './multiclass-charts';
import { residualChart, residualHistogram } from './regression-charts';
import { calibrationChart, modelsOf, rocChart, segmentChart, type PlannedChart } from './evaluation-charts';
import {
  compareMetric,
  metricDirection,
  reportTask,
  segmentColumns,
  segmentMetricOf,
  tableMetrics,
  type EvaluationReportData,
} from './evaluation-data';

/** The evaluation report as one self-contained HTML page. */
export async function renderEvaluationReport(data: EvaluationReportData): Promise<string> {
  const task = reportTask(data);
  const [charts, segments] = await Promise.all([taskBlocks(data), segmentBlocks(data)]);
  const sections: Section[] = [
    { heading: 'Decision', blocks: decisionBlocks(data) },
    { heading: 'Metrics', blocks: [metricTable(data)] },
    { heading: TASK_HEADINGS[task], blocks: charts },
    { heading: 'Segments', blocks: segments },
  ];
  const versus = data.champion ? ` vs ${data.champion.label}` : ' (no champion yet)';
  return renderPage({
    title: data.title,
    subtitle: `${data.candidate.label}${versus}: ${data.decision.passed ? 'passed' : 'rejected'}`,
    meta: [
      ['Model', data.model],
      ['Pipeline', data.pipeline],
      ['Run', data.run],
      ['Task', task],
      ['Primary metric', `${data.direction} ${data.primaryMetric}`],
      ['Candidate', data.candidate.label],
      ['Champion', data.champion?.label ?? 'none: the first version of this model'],
      ['Generated', data.generatedAt],
    ],
    sections,
    footer: `temporal-mlops evaluation report, generated ${data.generatedAt}`,
  });
}

/** The heading of the task's charts (and so the section's id: curves, residuals, confusion-matrix). */
const TASK_HEADINGS = { binary: 'Curves', regression: 'Residuals', multiclass: 'Confusion matrix' } as const;

function decisionBlocks(data: EvaluationReportData): Block[] {
  const { passed, reasons } = data.decision;
  const failed = reasons.filter((r) => !r.passed);
  const failedText =
    failed.length === 0
      ? 'The run rejected the candidate.'
      : `${failed.length} of ${plural(reasons.length, 'gate')} failed: ${failed.map((r) => r.gate).join(', ')}.`;
  const passedText =
    reasons.length === 0
      ? 'There are no gates to pass.'
      : `The candidate passed ${reasons.length === 1 ? 'the one gate' : `all ${plural(reasons.length, 'gate')}`}.`;
  const text = passed ? `Decision: passed. ${passedText}` : `Decision: rejected. ${failedText}`;
  const blocks: Block[] = [{ kind: 'paragraph', text, className: passed ? 'decision-passed' : 'decision-rejected' }];
  if (reasons.length === 0) {
    blocks.push({ kind: 'note', text: 'No gates are configured.' });
    return blocks;
  }
  blocks.push({
    kind: 'table',
    table: {
      columns: [
        { label: 'gate' },
        { label: 'result' },
        { label: 'reason' },
        { label: 'actual', numeric: true },
        { label: 'limit', numeric: true },
      ],
      rows: reasons.map((r) => ({
        cells: [
          r.gate,
          r.notApplicable
            ? 'not applicable'
            : { text: r.passed ? 'passed' : 'failed', className: r.passed ? 'better' : 'worse' },
          r.message,
          r.actual === undefined ? '—' : formatMetric(r.actual),
          r.limit === undefined ? '—' : formatMetric(r.limit),
        ],
        highlight: !r.passed,
      })),
    },
  });
  return blocks;
}

function metricTable(data: EvaluationReportData): Block {
  const metrics = tableMetrics(data);
  const champion = data.champion;
  const rows = metrics.map((metric) => {
    const c = compareMetric(metric, data);
    const direction = metricDirection(metric, data);
    const name = `${metric}${direction === undefined ? '' : direction === 'maximize' ? ' ↑' : ' ↓'}`;
    const cells: Cell[] = [metric === data.primaryMetric ? `${name} (primary)` : name, value(c.candidate)];
    if (champion) cells.push(value(c.champion), deltaCell(c.delta, c.verdict));
    return { cells, highlight: metric === data.primaryMetric };
  });
  return {
    kind: 'table',
    table: {
      caption: champion
        ? `Both models scored on the same holdout. Δ = candidate − champion; green where the candidate is better, red where worse (↑ higher is better, ↓ lower).`
        : 'The candidate on the holdout; there is no champion to compare with.',
      columns: [
        { label: 'metric' },
        { label: data.candidate.label, numeric: true },
        ...(champion
          ? [
              { label: champion.label, numeric: true },
              { label: 'Δ', numeric: true },
            ]
          : []),
      ],
      rows,
    },
  };
}

function value(v: number | undefined): Cell {
  return v === undefined ? '—' : formatMetric(v);
}

function deltaCell(delta: number | undefined, verdict: 'better' | 'worse' | 'same' | undefined): Cell {
  if (delta === undefined) return '—';
  const text = `${delta > 0 ? '+' : ''}${formatMetric(delta)}`;
  if (verdict === undefined || verdict === 'same') return text;
  return { text, className: verdict, title: verdict === 'better' ? 'candidate better' : 'candidate worse' };
}

async function taskBlocks(data: EvaluationReportData): Promise<Block[]> {
  switch (reportTask(data)) {
    case 'binary':
      return curveBlocks(data);
    case 'regression':
      return chartBlocks([
        [
          'Predicted vs actual',
          residualChart(data),
          'One point per sampled holdout row; on the dashed line y = x the prediction is exact.',
        ],
        [
          'Residuals',
          residualHistogram(data),
          'How many sampled rows fall in each bin of actual − predicted; centred on 0 when the model is unbiased.',
        ],
      ]);
    case 'multiclass':
      return chartBlocks(
        modelsOf(data).map((model): [string, PlannedChart, string] => [
          `Confusion matrix: ${model.label}`,
          confusionChart(model),
          'Rows are the true class, columns the predicted one; the diagonal is right. Colour: the share of the row.',
        ]),
      );
  }
}

async function curveBlocks(data: EvaluationReportData): Promise<Block[]> {
  const planned: [string, PlannedChart, string][] = [
    [
      'ROC curve',
      rocChart(data),
      'True against false positive rate as the threshold moves; the dashed diagonal is chance.',
    ],
    [
      'Calibration',
      calibrationChart(data),
      'Per bin of predicted probability: the mean prediction against the fraction that were positive; the dashed diagonal is perfect calibration.',
    ],
  ];
  return chartBlocks(planned);
}

async function segmentBlocks(data: EvaluationReportData): Promise<Block[]> {
  const metric = segmentMetricOf(data);
  const columns = segmentColumns(data);
  if (metric === undefined || columns.length === 0)
    return [{ kind: 'note', text: 'The evaluation has no per-segment metrics.' }];
  const intro: Block[] = [
    {
      kind: 'paragraph',
      text:
        metric === data.primaryMetric
          ? `${metric} per segment of the holdout, by column.`
          : `The segments carry no ${data.primaryMetric}: ${metric} per segment instead.`,
    },
  ];
  const planned = columns.map((column): [string, PlannedChart, string] => [
    `${metric} by ${column}`,
    segmentChart(data, column, metric),
    '',
  ]);
  return [...intro, ...(await chartBlocks(planned))];
}

async function chartBlocks(planned: [string, PlannedChart, string][]): Promise<Block[]> {
  const charts: Chart[] = [];
  const notes: Block[] = [];
  for (const [title, chart, caption] of planned) {
    if (!chart.spec) {
      notes.push({ kind: 'note', text: `${title}: nothing to plot. ${chart.notes.join(' ')}`.trim() });
      continue;
    }
    const text = [caption, ...chart.notes].filter(Boolean).join(' ');
    charts.push({ title, svg: await renderChart(chart.spec), ...(text && { caption: text }) });
  }
  return [...(charts.length > 0 ? [{ kind: 'charts', charts } as const] : []), ...notes];
}
