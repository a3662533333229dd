/**
 * Drift statistics (activities/monitoring): PSI + two-sample KS per column on a 1,000,000-row
 * baseline against a 100,000-row window over 20 numeric columns, generated here from a fixed seed
 * and written as raw float64 for the anchors (bench/drift_anchor.py, timed inside Python, loading
 * excluded):
 *   - NumPy/SciPy on the same data (`ks_2samp` and a NumPy PSI with the same bins): target at
 *     most 2× its time per column, with D, p and PSI compared (max abs diff of D and PSI, max
 *     relative diff of p in the notes); every row's target counts as met only when D and PSI agree
 *     within 1e-12 and p within 1e-12 relative (the drifted columns' p-values are twice the
 *     one-sided Smirnov tail at n = 90,909, activities/monitoring/smirnov.ts);
 *   - Evidently's data drift preset (default methods, and with `num_method='ks'`): target at least
 *     10× faster per column.
 * Run alone with `npx tsx bench/run.ts drift`; DRIFT_BENCH_COLUMNS=4 runs fewer columns (the first
 * ones of their kind; the data differ from the full run) while developing.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ksTwoSampleSorted, populationStabilityIndexSorted, sortedFinite } from '../activities/monitoring';
import { seededRandom } from '../common/random';
import { REPO_ROOT } from '../lib/tools';
import { measure, type Measurement, type BenchRow } from './measure';

const COLUMNS = Number(process.env.DRIFT_BENCH_COLUMNS ?? 20);
const BASELINE_ROWS = 1_000_000;
const WINDOW_ROWS = 100_000;
const REPEAT = 5;
const SCIPY_TARGET = 2;
const EVIDENTLY_TARGET = 10;
/** Largest absolute difference from SciPy/NumPy allowed for the statistics (D, PSI). */
const STATISTIC_BOUND = 1e-12;
/** Largest relative difference from SciPy allowed for the p-values. */
const PVALUE_BOUND = 1e-12;

export const DRIFT_BENCH_NOTES =
  `PSI (10 quantile bins of the baseline) and the two-sample KS test (D and its p-value, asymptotic at this size, ` +
  `as \`ks_2samp(method='auto')\`) on each of ${COLUMNS} numeric columns, a ${BASELINE_ROWS.toLocaleString('en-US')}-row ` +
  `baseline against a ${WINDOW_ROWS.toLocaleString('en-US')}-row window (normal, shifted, rescaled, lognormal and ` +
  'tied columns, seeded), time per column from the raw arrays (ours includes sorting both sides). Anchors run in ' +
  'the .venv on the same data read from files, timed inside Python without the loading: NumPy/SciPy (`ks_2samp` ' +
  'and PSI with `np.partition` and `np.searchsorted`, median of 5 after a warm-up) and Evidently’s ' +
  '`DataDriftPreset` (one run after a small warm-up run: its default picks the normed Wasserstein distance at this size; the `ks` row ' +
  'forces the KS test). Targets: at most 2× NumPy/SciPy’s time, at least 10× faster than Evidently, each met only ' +
  'when our D and PSI are within 1e-12 of NumPy/SciPy’s and our p-values within 1e-12 of SciPy’s (relative; ' +
  'the drifted columns’ p-values are twice the one-sided Smirnov tail at n = 90,909, which SciPy computes in ' +
  'double-double arithmetic).';

export type DriftBenchRow = BenchRow & { met: boolean };

/** One column's D, p-value and PSI. */
export interface DriftStatistics {
  d: number;
  p: number;
  psi: number;
}

interface AnchorOutput {
  scipy_ms_per_column: number;
  evidently_default_ms_per_column: number;
  evidently_ks_ms_per_column: number;
  results: DriftStatistics[];
  versions: Record<string, string>;
}

/**
 * The correctness bounds ours break against SciPy's results, one line each (`p rel diff 3.0e-9 > 1e-12`);
 * empty when D and PSI are within 1e-12 and every p-value within 1e-12 relative.
 */
export function boundsBroken(ours: readonly DriftStatistics[], scipy: readonly DriftStatistics[]): string[] {
  if (ours.length !== scipy.length) return [`${ours.length} columns computed, SciPy has ${scipy.length}`];
  const worst = (diff: (a: DriftStatistics, b: DriftStatistics) => number) =>
    Math.max(0, ...ours.map((r, k) => diff(r, scipy[k]!)));
  const abs = (key: 'd' | 'psi') => (a: DriftStatistics, b: DriftStatistics) => Math.abs(a[key] - b[key]);
  const rel = (a: DriftStatistics, b: DriftStatistics) => relativeDiff(a.p, b.p);
  const checks: [string, number, number][] = [
    ['D abs diff', worst(abs('d')), STATISTIC_BOUND],
    ['PSI abs diff', worst(abs('psi')), STATISTIC_BOUND],
    ['p rel diff', worst(rel), PVALUE_BOUND],
  ];
  // a NaN difference is a broken bound too
  return checks
    .filter(([, diff, bound]) => !(diff <= bound))
    .map(([what, diff, bound]) => `${what} ${fmt(diff)} > ${fmt(bound)}`);
}

/** The bench data: column k of the baseline and of the window, each a Float64Array. */
export function driftBenchData(seed = 42): { baseline: Float64Array[]; window: Float64Array[] } {
  const random = seededRandom(seed);
  const normal = (): number => {
    const u = 1 - random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
  const column = (k: number, rows: number, drifted: boolean): Float64Array => {
    const out = new Float64Array(rows);
    const shift = drifted ? 0.01 * k : 0;
    const scale = drifted && k % 5 === 2 ? 1.1 : 1;
    for (let i = 0; i < rows; i++) {
      const z = normal() * scale + shift;
      out[i] = k % 5 === 3 ? Math.exp(z) : k % 5 === 4 ? Math.round(z * 3) : z;
    }
    return out;
  };
  return {
    baseline: Array.from({ length: COLUMNS }, (_, k) => column(k, BASELINE_ROWS, false)),
    window: Array.from({ length: COLUMNS }, (_, k) => column(k, WINDOW_ROWS, k % 2 === 1)),
  };
}

export async function runDriftBench(): Promise<DriftBenchRow[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-bench-drift-'));
  try {
    const { baseline, window } = driftBenchData();
    writeColumns(path.join(dir, 'baseline.f64'), baseline);
    writeColumns(path.join(dir, 'window.f64'), window);

    const ours: DriftStatistics[] = [];
    const oursTime = await measure(
      'TypeScript',
      1,
      'col',
      async () => {
        ours.length = 0;
        for (let k = 0; k < COLUMNS; k++) {
          const a = sortedFinite(baseline[k]!);
          const b = sortedFinite(window[k]!);
          const ks = ksTwoSampleSorted(a, b);
          ours.push({ d: ks.statistic, p: ks.pvalue, psi: populationStabilityIndexSorted(a, b) });
        }
      },
      REPEAT,
    );
    const perColumn = (m: Measurement): Measurement => ({ ...m, ms: m.ms / COLUMNS, latency: true });
    const oursPerColumn = perColumn(oursTime);

    const python = path.join(REPO_ROOT, '.venv', 'bin', 'python');
    const stdout = execFileSync(
      python,
      [path.join(__dirname, 'drift_anchor.py'), dir, String(COLUMNS), String(BASELINE_ROWS), String(WINDOW_ROWS), '5'],
      { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const anchor = JSON.parse(stdout.trim().split('\n').at(-1)!) as AnchorOutput;
    const maxDiff = (key: 'd' | 'psi') => Math.max(...anchor.results.map((r, k) => Math.abs(r[key] - ours[k]![key])));
    const maxRelativeP = Math.max(...anchor.results.map((r, k) => relativeDiff(ours[k]!.p, r.p)));
    const broken = boundsBroken(ours, anchor.results);
    const correct = broken.length === 0;
    const outOfBounds = correct ? '' : `; correctness bound failed: ${broken.join(', ')}`;
    const diffs = `max diff vs SciPy: D ${fmt(maxDiff('d'))}, PSI ${fmt(maxDiff('psi'))} (abs), p ${fmt(maxRelativeP)} (rel)${outOfBounds}`;
    const drifting = ours.filter((r) => r.p < 0.01).length;

    const perColumnTime = (name: string, ms: number): Measurement => ({
      name,
      ms,
      units: 1,
      unitName: 'col',
      latency: true,
    });
    const scipy = perColumnTime('NumPy/SciPy', anchor.scipy_ms_per_column);
    const evDefault = perColumnTime('Evidently (default)', anchor.evidently_default_ms_per_column);
    const evKs = perColumnTime('Evidently (ks)', anchor.evidently_ks_ms_per_column);
    const scenario = `PSI + KS per column, ${BASELINE_ROWS / 1e6}M vs ${WINDOW_ROWS / 1e3}k rows`;
    const v = anchor.versions;
    return [
      {
        scenario,
        ours: oursPerColumn,
        anchor: scipy,
        target: `≤ ${SCIPY_TARGET}× SciPy`,
        met: correct && oursPerColumn.ms <= SCIPY_TARGET * scipy.ms,
        detail: `${diffs}; ${drifting}/${COLUMNS} columns with p < 0.01 (NumPy ${v.numpy}, SciPy ${v.scipy})`,
      },
      ...[evDefault, evKs].map((ev) => ({
        scenario: `${scenario}, vs ${ev.name}`,
        ours: oursPerColumn,
        anchor: ev,
        target: `≥ ${EVIDENTLY_TARGET}× faster`,
        met: correct && ev.ms >= EVIDENTLY_TARGET * oursPerColumn.ms,
        detail: `${(ev.ms / oursPerColumn.ms).toFixed(0)}× faster (Evidently ${v.evidently}, whole preset / ${COLUMNS})${outOfBounds}`,
      })),
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function writeColumns(file: string, columns: Float64Array[]): void {
  const fd = fs.openSync(file, 'w');
  try {
    for (const c of columns) fs.writeSync(fd, new Uint8Array(c.buffer, c.byteOffset, c.byteLength));
  } finally {
    fs.closeSync(fd);
  }
}

function relativeDiff(a: number, b: number): number {
  return a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));
}

function fmt(x: number): string {
  return x === 0 ? '0' : x.toExponential(1);
}
