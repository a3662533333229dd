/**
 * The vega-lite specs of an evaluation report: ROC curves and calibration curves of the candidate
 * and the champion on one chart each, and the per-segment bars of a metric. Data fields have fixed
 * names; model labels and metric names only appear as values and titles, never as field paths.
 */
import type { ChartSpec } from './chart';
import { formatMetric } from './format';
import type { EvaluatedModel, EvaluationReportData } from './evaluation-data';

/** Candidate first, then the champion. */
export const MODEL_COLORS = ['#4c78a8', '#f58518'] as const;
export const REFERENCE_COLOR = '#9d9d9d';

/** A chart to render, or nothing to plot; `notes` say what was left out. */
export interface PlannedChart {
  spec?: ChartSpec;
  notes: string[];
}

/** The candidate, then the champion when there is one. */
export function modelsOf(data: EvaluationReportData): EvaluatedModel[] {
  return [data.candidate, ...(data.champion ? [data.champion] : [])];
}

/** The colour scale of the models, in legend order. */
export function modelScale(labels: string[]) {
  return { domain: labels, range: labels.map((_, i) => MODEL_COLORS[i % MODEL_COLORS.length]!) };
}

const unit = (title: string) => ({ type: 'quantitative' as const, title, scale: { domain: [0, 1] } });

/** ROC curves of both models with the chance diagonal; each legend entry carries the model's AUC. */
export function rocChart(data: EvaluationReportData): PlannedChart {
  const notes: string[] = [];
  const lines: { fpr: number; tpr: number; model: string; order: number }[] = [];
  const labels: string[] = [];
  for (const model of modelsOf(data)) {
    const auc = model.metrics.auc;
    const label = `${model.label} (AUC ${auc === undefined ? 'n/a' : formatMetric(auc)})`;
    labels.push(label);
    const roc = model.roc;
    if (!roc || roc.fpr.length === 0) {
      notes.push(`${model.label}: no ROC points (a holdout with one class, or none recorded).`);
      continue;
    }
    roc.fpr.forEach((fpr, i) => lines.push({ fpr, tpr: roc.tpr[i]!, model: label, order: i }));
  }
  if (lines.length === 0) return { notes };
  const x = { field: 'fpr', ...unit('false positive rate') };
  const y = { field: 'tpr', ...unit('true positive rate') };
  const spec = {
    width: 340,
    height: 300,
    layer: [
      {
        name: 'chance',
        data: {
          values: [
            { fpr: 0, tpr: 0 },
            { fpr: 1, tpr: 1 },
          ],
        },
        mark: { type: 'line', strokeDash: [4, 4], color: REFERENCE_COLOR, strokeWidth: 1 },
        encoding: { x, y, description: { value: 'chance (AUC 0.5)' } },
      },
      {
        name: 'roc',
        data: { values: lines },
        mark: { type: 'line', strokeWidth: 2 },
        encoding: {
          x,
          y,
          order: { field: 'order', type: 'quantitative' },
          color: {
            field: 'model',
            type: 'nominal',
            title: 'model',
            scale: modelScale(labels),
            legend: { orient: 'bottom', direction: 'vertical' },
          },
          description: { field: 'model' },
        },
      },
    ],
  } as ChartSpec;
  return { spec, notes };
}

/** Calibration curves (mean predicted probability against the fraction of positives per bin) with the diagonal. */
export function calibrationChart(data: EvaluationReportData): PlannedChart {
  const notes: string[] = [];
  const points: { predicted: number; positive: number; count: number | null; model: string; label: string }[] = [];
  const labels: string[] = [];
  for (const model of modelsOf(data)) {
    const ece = model.metrics.expected_calibration_error;
    const label = ece === undefined ? model.label : `${model.label} (ECE ${formatMetric(ece)})`;
    labels.push(label);
    if (!model.calibration || model.calibration.length === 0) {
      notes.push(`${model.label}: no calibration bins recorded.`);
      continue;
    }
    for (const bin of [...model.calibration].sort((a, b) => a.meanPredicted - b.meanPredicted)) {
      const count = bin.count ?? null;
      points.push({
        predicted: bin.meanPredicted,
        positive: bin.fractionPositive,
        count,
        model: label,
        label: `${model.label}: predicted ${formatMetric(bin.meanPredicted)}, observed ${formatMetric(bin.fractionPositive)}${count === null ? '' : ` (${count} rows)`}`,
      });
    }
  }
  if (points.length === 0) return { notes };
  const x = { field: 'predicted', ...unit('mean predicted probability') };
  const y = { field: 'positive', ...unit('fraction positive') };
  const color = {
    field: 'model',
    type: 'nominal',
    title: 'model',
    scale: modelScale(labels),
    legend: { orient: 'bottom', direction: 'vertical' },
  };
  const spec = {
    width: 340,
    height: 300,
    layer: [
      {
        name: 'perfect',
        data: {
          values: [
            { predicted: 0, positive: 0 },
            { predicted: 1, positive: 1 },
          ],
        },
        mark: { type: 'line', strokeDash: [4, 4], color: REFERENCE_COLOR, strokeWidth: 1 },
        encoding: { x, y, description: { value: 'perfectly calibrated' } },
      },
      {
        name: 'calibration',
        data: { values: points },
        mark: { type: 'line', strokeWidth: 2 },
        encoding: { x, y, color, order: { field: 'predicted', type: 'quantitative' }, description: { field: 'model' } },
      },
      {
        name: 'bins',
        data: { values: points },
        mark: { type: 'circle', size: 45, opacity: 0.9 },
        encoding: { x, y, color, description: { field: 'label' } },
      },
    ],
  } as ChartSpec;
  return { spec, notes };
}

/** Bars of `metric` per value of `column`, the models side by side. */
export function segmentChart(data: EvaluationReportData, column: string, metric: string): PlannedChart {
  const notes: string[] = [];
  const models = modelsOf(data);
  const values = [...new Set(models.flatMap((m) => Object.keys(m.segments[column] ?? {})))].sort();
  const bars: { segment: string; model: string; value: number; label: string }[] = [];
  const missing: string[] = [];
  for (const value of values) {
    for (const model of models) {
      const segment = model.segments[column]?.[value];
      const v = segment?.[metric];
      if (v === undefined) {
        if (segment) missing.push(`${model.label} on ${value}`);
        continue;
      }
      const rows = segment?.count === undefined ? '' : `, ${segment.count} rows`;
      bars.push({
        segment: value,
        model: model.label,
        value: v,
        label: `${column}=${value}, ${model.label}: ${metric} ${formatMetric(v)}${rows}`,
      });
    }
  }
  if (missing.length > 0) notes.push(`No ${metric} for ${missing.join(', ')} (e.g. a segment with one class).`);
  if (bars.length === 0) return { notes };
  const spec = {
    width: Math.max(160, values.length * (models.length * 22 + 16)),
    height: 200,
    data: { values: bars },
    encoding: {
      x: { field: 'segment', type: 'nominal', title: column, sort: values, axis: { labelAngle: 0 } },
      xOffset: { field: 'model', type: 'nominal', sort: models.map((m) => m.label) },
      y: { field: 'value', type: 'quantitative', title: metric },
      color: {
        field: 'model',
        type: 'nominal',
        title: 'model',
        scale: modelScale(models.map((m) => m.label)),
        legend: { orient: 'bottom' },
      },
      description: { field: 'label' },
    },
    layer: [{ name: 'bars', mark: { type: 'bar' } }],
  } as ChartSpec;
  return { spec, notes };
}
