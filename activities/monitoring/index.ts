/**
 * Drift statistics for model monitoring, pure TypeScript on typed arrays (activities only: the
 * columns are data and never enter a workflow's history).
 *
 * - `columnDrift` / `datasetDrift` (./drift.ts): every statistic of a column and which breach the
 *   spec's `monitoring.thresholds`; start here.
 * - The statistics, each matching SciPy where SciPy has it: `populationStabilityIndex` (./psi.ts),
 *   `ksTwoSample` (./ks.ts, as `ks_2samp`), `jensenShannonNumeric` / `jensenShannonDistance`
 *   (./jensen-shannon.ts, as `jensenshannon(base=2)`), `chiSquareContingency` (./categories.ts, as
 *   `chi2_contingency`), `wassersteinDistance` (./wasserstein.ts).
 * - `*Sorted` variants take samples already through `sortedFinite` (./sorted.ts), so a column is
 *   sorted once for all its statistics.
 */
export { categoryCounts, chiSquareContingency, type CategoryCounts, type ChiSquareResult } from './categories';
export {
  columnDrift,
  datasetDrift,
  type ColumnDrift,
  type ColumnValues,
  type DatasetDrift,
  type DriftOptions,
  type DriftStatistic,
  type DriftThresholds,
} from './drift';
export { chiSquareSurvival, gammaQ, logGamma } from './gamma';
export { jensenShannonDistance, jensenShannonNumeric, jensenShannonSorted } from './jensen-shannon';
export { kolmogorovSurvival } from './kolmogorov';
export { ksStatisticSorted, ksTwoSample, ksTwoSampleSorted, KS_EXACT_MAX_N, type KsResult } from './ks';
export { populationStabilityIndex, populationStabilityIndexSorted, psiFromCounts, type PsiOptions } from './psi';
export { smirnovSurvival } from './smirnov';
export { sortedFinite } from './sorted';
export { wassersteinDistance, wassersteinSorted } from './wasserstein';
