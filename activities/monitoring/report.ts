/**
 * The drift report of an endpoint, one HTML page per window: the latest window's verdict and
 * per-feature scores, the drift-score bars, the drift time series across recent windows, and a
 * histogram overlay (training data against the window) per feature. Plots are vega-lite rendered to
 * SVG (../reports/chart.ts) inside the project's self-contained report page.
 */
import { renderChart, type ChartSpec } from '../reports/chart';
import { formatMetric } from '../reports/format';
import { renderPage, type Block, type Chart } from '../reports/html';
import type { DriftWindowDetails } from './window';

const COLORS = { baseline: '#4c78a8', window: '#f58518' };

/** The page for the last of `windows` (oldest first), with the others as its time series. */
export async function renderDriftReport(windows: readonly DriftWindowDetails[], psiThreshold: number): Promise<string> {
  const latest = windows.at(-1);
  if (!latest) throw new Error('renderDriftReport: no window');
  const verdict = !latest.judged ? 'not judged (too few rows)' : latest.drifts ? 'DRIFT' : 'no drift';
  const scoreRows = latest.features.map((f) => ({
    cells: [
      f.column,
      f.kind,
      formatMetric(f.psi),
      formatMetric(f.js),
      f.ksPvalue === undefined ? '—' : formatMetric(f.ksPvalue),
      f.chi2Pvalue === undefined ? '—' : formatMetric(f.chi2Pvalue),
      f.wasserstein === undefined ? '—' : formatMetric(f.wasserstein),
      f.drifts
        ? { text: `drifts: ${f.breached.join(', ')}`, className: 'worse' }
        : { text: 'stable', className: 'better' },
    ],
  }));
  const facts: [string, string][] = [
    ['Window', `${latest.from} → ${latest.to}`],
    ['Rows', `${latest.samples} compared of ${latest.captured} captured`],
    ['Verdict', verdict],
    [
      'Drifting features',
      `${latest.drifted.length} of ${latest.features.length} (${(latest.share * 100).toFixed(0)}%)`,
    ],
  ];
  if (latest.prediction && 'psi' in latest.prediction)
    facts.push([
      'Predictions',
      `PSI ${formatMetric(latest.prediction.psi)} against the reference window${latest.prediction.drifts ? ': drift' : ''}`,
    ]);
  else if (latest.prediction) facts.push(['Predictions', 'this window is the reference of this champion']);
  if (latest.performance)
    facts.push([
      'Live accuracy',
      `${formatMetric(latest.performance.accuracy)} on ${latest.performance.labelled} labelled rows` +
        (latest.performance.expected === undefined ? '' : ` (evaluated: ${formatMetric(latest.performance.expected)})`),
    ]);

  const charts: Chart[] = [];
  if (latest.features.length > 0)
    charts.push({ title: 'Drift score per feature (PSI)', svg: await renderChart(scoreBars(latest, psiThreshold)) });
  if (windows.length > 1) charts.push({ title: 'Drift across windows', svg: await renderChart(timeSeries(windows)) });
  const histograms: Chart[] = [];
  for (const [column, h] of Object.entries(latest.histograms)) {
    if (h.bins.length === 0) continue;
    histograms.push({ title: column, svg: await renderChart(overlay(column, h)) });
  }
  const blocks: Block[] = [
    { kind: 'facts', items: facts },
    {
      kind: 'table',
      table: {
        columns: [
          { label: 'feature' },
          { label: 'kind' },
          { label: 'PSI', numeric: true },
          { label: 'Jensen-Shannon', numeric: true },
          { label: 'KS p-value', numeric: true },
          { label: 'chi² p-value', numeric: true },
          { label: 'Wasserstein', numeric: true },
          { label: 'verdict' },
        ],
        rows: scoreRows,
      },
    },
  ];
  return renderPage({
    title: `Drift report: ${latest.endpoint}`,
    subtitle: `${latest.model} v${latest.version} · window ending ${latest.to}: ${verdict}`,
    meta: [
      ['Endpoint', latest.endpoint],
      ['Champion', `${latest.model} v${latest.version}`],
      [
        'Baseline',
        `${latest.baseline.dataset} snapshot ${latest.baseline.snapshot.slice(0, 12)} (${latest.baseline.file})`,
      ],
      ['Windows shown', String(windows.length)],
    ],
    sections: [
      { heading: 'Latest window', blocks },
      {
        heading: 'Scores',
        blocks: charts.length > 0 ? [{ kind: 'charts', charts }] : [{ kind: 'note', text: 'No features compared.' }],
      },
      {
        heading: 'Distributions',
        blocks:
          histograms.length > 0
            ? [{ kind: 'charts', charts: histograms }]
            : [{ kind: 'note', text: 'No feature of the training data was in the captured requests.' }],
      },
    ],
    footer: `temporal-mlops drift report, window ending ${latest.to}`,
  });
}

function scoreBars(w: DriftWindowDetails, threshold: number): ChartSpec {
  return {
    width: Math.max(200, w.features.length * 40),
    height: 180,
    layer: [
      {
        data: {
          values: w.features.map((f) => ({ feature: f.column, psi: f.psi, drifts: f.drifts ? 'drifts' : 'stable' })),
        },
        mark: { type: 'bar' },
        encoding: {
          x: { field: 'feature', type: 'nominal', axis: { labelAngle: -30 } },
          y: { field: 'psi', type: 'quantitative', title: 'PSI' },
          color: {
            field: 'drifts',
            type: 'nominal',
            scale: { domain: ['stable', 'drifts'], range: ['#54a24b', '#e45756'] },
            legend: { orient: 'bottom' },
          },
        },
      },
      {
        data: { values: [{ threshold }] },
        mark: { type: 'rule', strokeDash: [4, 4] },
        encoding: { y: { field: 'threshold', type: 'quantitative' } },
      },
    ],
  } as ChartSpec;
}

function timeSeries(windows: readonly DriftWindowDetails[]): ChartSpec {
  const points = windows.flatMap((w) => [
    { to: w.to, series: 'share of features drifting', value: w.share },
    ...(w.prediction && 'psi' in w.prediction ? [{ to: w.to, series: 'prediction PSI', value: w.prediction.psi }] : []),
  ]);
  return {
    width: 420,
    height: 180,
    data: { values: points },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'to', type: 'temporal', title: 'window end' },
      y: { field: 'value', type: 'quantitative' },
      color: { field: 'series', type: 'nominal', legend: { orient: 'bottom' } },
    },
  } as ChartSpec;
}

function overlay(column: string, h: { bins: string[]; baseline: number[]; current: number[] }): ChartSpec {
  const values = h.bins.flatMap((bin, i) => [
    { bin, side: 'training data', share: h.baseline[i] ?? 0 },
    { bin, side: 'window', share: h.current[i] ?? 0 },
  ]);
  return {
    width: Math.max(200, h.bins.length * 18),
    height: 140,
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'bin', type: 'ordinal', sort: h.bins, title: column, axis: { labelAngle: -45 } },
      xOffset: { field: 'side', type: 'nominal' },
      y: { field: 'share', type: 'quantitative', title: 'share of rows' },
      color: {
        field: 'side',
        type: 'nominal',
        scale: { domain: ['training data', 'window'], range: [COLORS.baseline, COLORS.window] },
        legend: { orient: 'bottom' },
      },
    },
  } as ChartSpec;
}
