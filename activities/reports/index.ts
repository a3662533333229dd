/**
 * Reports people read (sweeps and evaluations; drift next): self-contained HTML pages with
 * charts drawn by vega-lite, written to the store under `reports/`.
 *
 * - ./chart.ts          `renderChart`: a vega-lite spec to an SVG string, headless (no canvas, no browser)
 * - ./html.ts           `renderPage`: title, facts, sections of tables and charts; all text escaped, nothing loaded
 * - ./style.ts          the one inline stylesheet and the status colours tables and charts share
 * - ./format.ts         numbers and params as text (NaN and Infinity by name)
 * - ./sweep-data.ts     `SweepReportData` and its pure reading: leaderboard order, best trial, counts
 * - ./sweep-charts.ts   the sweep's vega-lite specs: objective by param, learning curves
 * - ./sweep-report.ts   `renderSweepReport`: the sweep page
 * - ./evaluation-data.ts   `EvaluationReportData` and its pure reading: table metrics, directions, deltas
 * - ./evaluation-charts.ts the evaluation's vega-lite specs: ROC, calibration, per-segment bars
 * - ./regression-charts.ts a regression's: predicted vs actual with y = x, the residual histogram
 * - ./multiclass-charts.ts a multiclass evaluation's: a confusion-matrix heatmap per model
 * - ./evaluation-report.ts `renderEvaluationReport`: candidate vs champion, with the gate decision
 * - ./activities.ts     `createReportActivities`: `writeSweepReport` reads the tracker and writes the page
 * - ./keys.ts           report keys in the store
 */
export {
  createReportActivities,
  type ReportActivities,
  type ReportRef,
  type WriteSweepReportInput,
} from './activities';
export { renderChart, type ChartSpec } from './chart';
export { escapeHtml, renderPage, type Block, type Cell, type Chart, type Page, type Section, type Table } from './html';
export { reportKeys } from './keys';
export { renderSweepReport } from './sweep-report';
export { renderEvaluationReport } from './evaluation-report';
export type { EvaluatedModel, EvaluationReportData } from './evaluation-data';
export type * from './sweep-data';
