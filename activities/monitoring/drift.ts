/**
 * Drift of one column (or of a whole dataset) between a baseline and a current window: every
 * statistic that applies to the column's kind, and which of them breach the monitoring thresholds
 * of the pipeline spec (`monitoring.thresholds`). A column drifts when any statistic breaches.
 *
 * Numeric columns: PSI, Kolmogorov-Smirnov (p-value), Jensen-Shannon over shared equal-width bins,
 * Wasserstein-1 (judged only when its threshold is set). Categorical columns: PSI over categories,
 * chi-square test of the 2 × k table (p-value), Jensen-Shannon over category frequencies.
 * A column with an empty side is reported with neutral values (PSI 0, D 0, p 1, JS 0) and never drifts.
 *
 * PSI and Jensen-Shannon measure size, not significance: two samples of one distribution score
 * above 0 by chance, the more so the smaller they are (with 10 bins and 100 requests against a
 * large baseline, JS distance alone reaches 0.1 most of the time). So these two breach only past
 * their threshold and past their noise floor: what sampling alone stays under 99% of the time at
 * these sample sizes. Both statistics are then about χ²(k − 1)·(1/n₁ + 1/n₂) (PSI) and
 * √(χ²(k − 1)·(1/n₁ + 1/n₂) / (8 ln 2)) (JS distance in bits), k being the bins or categories.
 */
import type { MonitoringSection } from '../../common/schemas/spec';
import { categoryCounts, chiSquareContingency } from './categories';
import { chiSquareQuantile } from './gamma';
import { jensenShannonDistance, jensenShannonSorted } from './jensen-shannon';
import { ksTwoSampleSorted } from './ks';
import { populationStabilityIndexSorted, psiFromCounts } from './psi';
import { sortedFinite } from './sorted';
import { wassersteinSorted } from './wasserstein';

export type DriftThresholds = MonitoringSection['thresholds'];

/** Numeric values (a Float64Array or numbers) or categories (strings). */
export type ColumnValues = ArrayLike<number> | readonly (string | null | undefined)[];

export type DriftStatistic = 'psi' | 'ks_pvalue' | 'js_distance' | 'chi2_pvalue' | 'wasserstein';

export interface ColumnDrift {
  column: string;
  kind: 'numeric' | 'categorical';
  /** Values compared on each side (finite ones, for numeric columns). */
  samples: { baseline: number; current: number };
  scores: {
    psi: number;
    js_distance: number;
    ks_statistic?: number;
    ks_pvalue?: number;
    wasserstein?: number;
    chi2_statistic?: number;
    chi2_pvalue?: number;
  };
  /** What PSI and JS distance reach by sampling alone (99%) at these sample sizes: they breach only above it. */
  noiseFloor: { psi: number; js_distance: number };
  /** The statistics past their threshold. */
  breached: DriftStatistic[];
  drifts: boolean;
}

export interface DriftOptions {
  /** Bins for PSI (quantile) and Jensen-Shannon (equal-width) on numeric columns. @default 10 */
  bins?: number;
  /** Floor of a bin's share in PSI. @default 1e-4 */
  epsilon?: number;
}

/**
 * Drift of one column. The kind is categorical when either side holds a string (the other side's
 * values are then compared as strings), numeric otherwise (so also when both sides are empty).
 */
export function columnDrift(
  column: string,
  baseline: ColumnValues,
  current: ColumnValues,
  thresholds: DriftThresholds,
  options: DriftOptions = {},
): ColumnDrift {
  const bins = options.bins ?? 10;
  if (isCategorical(baseline) || isCategorical(current)) {
    const counts = categoryCounts(asStrings(baseline), asStrings(current));
    const chi2 = chiSquareContingency(counts.baseline, counts.current);
    const scores = {
      psi: psiFromCounts(counts.baseline, counts.current, options.epsilon),
      js_distance: jensenShannonDistance(counts.baseline, counts.current),
      chi2_statistic: chi2.statistic,
      chi2_pvalue: chi2.pvalue,
    };
    const samples = { baseline: baseline.length, current: current.length };
    return judge(column, 'categorical', samples, scores, thresholds, counts.baseline.length);
  }
  const a = sortedFinite(baseline as ArrayLike<number>);
  const b = sortedFinite(current as ArrayLike<number>);
  const ks = ksTwoSampleSorted(a, b);
  const scores = {
    psi: populationStabilityIndexSorted(a, b, { bins, epsilon: options.epsilon }),
    js_distance: jensenShannonSorted(a, b, bins),
    ks_statistic: ks.statistic,
    ks_pvalue: ks.pvalue,
    wasserstein: wassersteinSorted(a, b),
  };
  return judge(column, 'numeric', { baseline: a.length, current: b.length }, scores, thresholds, bins);
}

export interface DatasetDrift {
  columns: ColumnDrift[];
  /** Names of the drifting columns. */
  drifted: string[];
  /** Share of the compared columns that drift (0 when none were compared). */
  share: number;
  /** Columns present on one side only (not compared). */
  unmatched: string[];
}

/** Drift of every column present in both the baseline and the current window. */
export function datasetDrift(
  baseline: Readonly<Record<string, ColumnValues>>,
  current: Readonly<Record<string, ColumnValues>>,
  thresholds: DriftThresholds,
  options: DriftOptions = {},
): DatasetDrift {
  const columns: ColumnDrift[] = [];
  const unmatched: string[] = [];
  for (const name of Object.keys(baseline)) {
    const b = baseline[name];
    const c = current[name];
    if (b === undefined || c === undefined) unmatched.push(name);
    else columns.push(columnDrift(name, b, c, thresholds, options));
  }
  for (const name of Object.keys(current)) if (!(name in baseline)) unmatched.push(name);
  const drifted = columns.filter((c) => c.drifts).map((c) => c.column);
  return { columns, drifted, share: columns.length === 0 ? 0 : drifted.length / columns.length, unmatched };
}

function judge(
  column: string,
  kind: ColumnDrift['kind'],
  samples: ColumnDrift['samples'],
  scores: ColumnDrift['scores'],
  t: DriftThresholds,
  cells: number,
): ColumnDrift {
  const breached: DriftStatistic[] = [];
  const noiseFloor = noiseFloorOf(cells, samples.baseline, samples.current);
  if (samples.baseline > 0 && samples.current > 0) {
    if (scores.psi > t.psi && scores.psi > noiseFloor.psi) breached.push('psi');
    if (scores.ks_pvalue !== undefined && scores.ks_pvalue < t.ks_pvalue) breached.push('ks_pvalue');
    if (scores.js_distance > t.js_distance && scores.js_distance > noiseFloor.js_distance) breached.push('js_distance');
    if (scores.chi2_pvalue !== undefined && scores.chi2_pvalue < t.chi2_pvalue) breached.push('chi2_pvalue');
    if (t.wasserstein !== undefined && scores.wasserstein !== undefined && scores.wasserstein > t.wasserstein)
      breached.push('wasserstein');
  }
  return { column, kind, samples, scores, noiseFloor, breached, drifts: breached.length > 0 };
}

/** The 99% noise floors of PSI and JS distance for `cells` bins or categories (see the module comment). */
export function noiseFloorOf(cells: number, n1: number, n2: number): { psi: number; js_distance: number } {
  if (cells < 2 || !(n1 > 0) || !(n2 > 0)) return { psi: 0, js_distance: 0 };
  const chi2 = chiSquareQuantile(0.99, cells - 1) * (1 / n1 + 1 / n2);
  return { psi: chi2, js_distance: Math.min(1, Math.sqrt(chi2 / (8 * Math.LN2))) };
}

function isCategorical(values: ColumnValues): boolean {
  if (!Array.isArray(values)) return false;
  return values.some((v) => typeof v === 'string');
}

function asStrings(values: ColumnValues): (string | null | undefined)[] {
  return Array.from(values as ArrayLike<unknown>, (v) =>
    v === null || v === undefined ? v : typeof v === 'string' ? v : String(v),
  );
}
