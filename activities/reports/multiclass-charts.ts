/**
 * The vega-lite specs of a multiclass evaluation report: one confusion-matrix heatmap per model,
 * rows the true class and columns the predicted one, each cell coloured by the share of its row
 * (so a rare class reads as well as a common one) and labelled with its count while the matrix is
 * small enough to read.
 */
import type { ChartSpec } from './chart';
import { formatMetric } from './format';
import type { PlannedChart } from './evaluation-charts';
import type { EvaluatedModel } from './evaluation-data';

/** Counts are written in the cells up to this many classes. */
const MAX_LABELLED_CLASSES = 20;
const CELL = 28;

/** The confusion matrix of `model` as a heatmap. */
export function confusionChart(model: EvaluatedModel): PlannedChart {
  const matrix = model.confusionMatrix;
  if (!matrix || matrix.labels.length === 0) return { notes: [`${model.label}: no confusion matrix recorded.`] };
  const { labels, counts } = matrix;
  const cells: { actual: string; predicted: string; count: number; share: number; label: string }[] = [];
  labels.forEach((actual, i) => {
    const row = counts[i] ?? [];
    const total = row.reduce((a, b) => a + b, 0);
    labels.forEach((predicted, j) => {
      const count = row[j] ?? 0;
      const share = total === 0 ? 0 : count / total;
      cells.push({
        actual,
        predicted,
        count,
        share,
        label: `actual ${actual}, predicted ${predicted}: ${count} rows (${formatMetric(share * 100)}% of ${actual})`,
      });
    });
  });
  const side = Math.max(160, labels.length * CELL);
  const x = { field: 'predicted', type: 'nominal', title: 'predicted class', sort: labels, axis: { labelAngle: 0 } };
  const y = { field: 'actual', type: 'nominal', title: 'actual class', sort: labels };
  const layer: unknown[] = [
    {
      name: 'cells',
      mark: { type: 'rect' },
      encoding: {
        x,
        y,
        color: {
          field: 'share',
          type: 'quantitative',
          title: 'share of row',
          scale: { scheme: 'blues', domain: [0, 1] },
          legend: { orient: 'bottom', format: '.0%' },
        },
        description: { field: 'label' },
      },
    },
  ];
  const notes: string[] = [];
  if (labels.length <= MAX_LABELLED_CLASSES) {
    layer.push({
      name: 'counts',
      mark: { type: 'text', fontSize: 11 },
      encoding: {
        x,
        y,
        text: { field: 'count', type: 'quantitative' },
        color: { condition: { test: 'datum.share > 0.5', value: 'white' }, value: '#1b1b1b' },
      },
    });
  } else {
    notes.push(`${labels.length} classes: counts are in each cell's description only.`);
  }
  const spec = { width: side, height: side, data: { values: cells }, layer } as ChartSpec;
  return { spec, notes };
}
