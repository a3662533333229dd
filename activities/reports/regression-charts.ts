/**
 * The vega-lite specs of a regression's evaluation report: predicted against actual values of the
 * holdout rows the job sampled (both models on one chart, with the y = x line of a perfect model),
 * and the histogram of their residuals (actual − predicted).
 */
import type { ChartSpec } from './chart';
import { formatMetric } from './format';
import { modelScale, modelsOf, REFERENCE_COLOR, type PlannedChart } from './evaluation-charts';
import type { EvaluationReportData } from './evaluation-data';

const HISTOGRAM_BINS = 30;

/** Each model's label, with its rmse when it has one. */
function legendLabel(model: { label: string; metrics: Record<string, number> }): string {
  const rmse = model.metrics.rmse;
  return rmse === undefined ? model.label : `${model.label} (RMSE ${formatMetric(rmse)})`;
}

function colorOf(labels: string[]) {
  return {
    field: 'model',
    type: 'nominal',
    title: 'model',
    scale: modelScale(labels),
    legend: { orient: 'bottom', direction: 'vertical' },
  };
}

/** Predicted against actual per sampled holdout row, both models, with the dashed y = x line. */
export function residualChart(data: EvaluationReportData): PlannedChart {
  const notes: string[] = [];
  const points: { actual: number; predicted: number; model: string }[] = [];
  const labels: string[] = [];
  for (const model of modelsOf(data)) {
    const label = legendLabel(model);
    labels.push(label);
    if (!model.residuals || model.residuals.length === 0) {
      notes.push(`${model.label}: no residuals recorded.`);
      continue;
    }
    for (const p of model.residuals) points.push({ actual: p.actual, predicted: p.predicted, model: label });
  }
  if (points.length === 0) return { notes };
  const values = points.flatMap((p) => [p.actual, p.predicted]);
  const low = Math.min(...values);
  const high = Math.max(...values);
  const domain = [low, high === low ? low + 1 : high];
  const x = { field: 'actual', type: 'quantitative', title: 'actual', scale: { domain, nice: false } };
  const y = { field: 'predicted', type: 'quantitative', title: 'predicted', scale: { domain, nice: false } };
  const spec = {
    width: 340,
    height: 300,
    layer: [
      {
        name: 'identity',
        data: {
          values: [
            { actual: domain[0], predicted: domain[0] },
            { actual: domain[1], predicted: domain[1] },
          ],
        },
        mark: { type: 'line', strokeDash: [4, 4], color: REFERENCE_COLOR, strokeWidth: 1 },
        encoding: { x, y, description: { value: 'predicted = actual' } },
      },
      {
        name: 'residuals',
        data: { values: points },
        mark: { type: 'circle', size: 16, opacity: 0.55 },
        encoding: { x, y, color: colorOf(labels), description: { field: 'model' } },
      },
    ],
  } as ChartSpec;
  return { spec, notes };
}

/** How many sampled rows fall in each bin of actual − predicted, the models overlaid. */
export function residualHistogram(data: EvaluationReportData): PlannedChart {
  const rows: { residual: number; model: string }[] = [];
  const labels: string[] = [];
  for (const model of modelsOf(data)) {
    const label = legendLabel(model);
    labels.push(label);
    for (const p of model.residuals ?? []) rows.push({ residual: p.actual - p.predicted, model: label });
  }
  if (rows.length === 0) return { notes: [] };
  const spec = {
    width: 340,
    height: 200,
    data: { values: rows },
    layer: [
      {
        name: 'histogram',
        mark: { type: 'bar', opacity: 0.6, binSpacing: 0 },
        encoding: {
          x: { field: 'residual', type: 'quantitative', bin: { maxbins: HISTOGRAM_BINS }, title: 'actual − predicted' },
          y: { aggregate: 'count', type: 'quantitative', title: 'rows', stack: null },
          color: colorOf(labels),
          description: { field: 'model' },
        },
      },
    ],
  } as ChartSpec;
  return { spec, notes: [] };
}
