/**
 * One monitoring window of an endpoint: the requests the gateway captured in (from, to], sampled
 * down to `sampleSize` rows, compared with the champion's training data (./baseline.ts) feature by
 * feature (./drift.ts), their predictions compared with a reference window of the same champion
 * (the first judged window after it became the baseline), and — where feedback labels arrived —
 * live accuracy against the accuracy the champion was evaluated at. The window's details (scores,
 * histograms for the report) are kept in the store; what the workflow gets back is small.
 */
import type { MonitoringSection } from '../../common/schemas/spec';
import { seededRandom } from '../../common/random';
import { forEachCaptured } from '../serving/captures';
import type { BlobStore } from '../storage/types';
import { loadBaseline, type BaselineColumn, type BaselineRef } from './baseline';
import { columnDrift, datasetDrift, type ColumnDrift } from './drift';

export interface DriftWindowInput {
  endpoint: string;
  /** The champion the window is judged against. */
  model: string;
  version: number;
  baseline: BaselineRef;
  /** Exclusive start of the window (ISO time). */
  from: string;
  /** Inclusive end (ISO time): now minus the time captures take to reach the store. */
  to: string;
  settings: Pick<MonitoringSection, 'sampleSize' | 'minSamples' | 'thresholds' | 'driftShare' | 'maxAccuracyDrop'>;
  /** The accuracy the champion was evaluated at (registry metrics), for the live comparison. */
  expectedAccuracy?: number;
  /** Seeds the sampling, so a retried window samples the same rows. */
  seed: number;
}

export interface FeatureScore {
  column: string;
  kind: ColumnDrift['kind'];
  psi: number;
  js: number;
  /** PSI and JS breach only above these too: what sampling alone reaches (99%) at the window's size. */
  psiFloor: number;
  jsFloor: number;
  ksPvalue?: number;
  chi2Pvalue?: number;
  wasserstein?: number;
  breached: string[];
  drifts: boolean;
}

export interface DriftWindowSummary {
  from: string;
  to: string;
  /** Captured rows in the window, and how many were compared (at most `sampleSize`). */
  captured: number;
  samples: number;
  /** Enough rows to judge (`minSamples`). */
  judged: boolean;
  features: FeatureScore[];
  drifted: string[];
  /** Share of the compared features that drift. */
  share: number;
  prediction?: { psi: number; pvalue?: number; drifts: boolean } | { reference: 'recorded'; samples: number };
  performance?: { labelled: number; accuracy: number; expected?: number; drop?: number; breached: boolean };
  /** The window counts as drifting. */
  drifts: boolean;
  /** One line for the history and the UI. */
  summary: string;
  /** Store key of the window's details. */
  detailsKey: string;
}

/** The histograms a report draws per feature, with the window's scores. */
export interface DriftWindowDetails extends DriftWindowSummary {
  endpoint: string;
  model: string;
  version: number;
  baseline: BaselineRef;
  histograms: Record<string, { bins: string[]; baseline: number[]; current: number[] }>;
}

const PREDICTION_REFERENCE_MAX = 5_000;
/**
 * A batch is filed under the hour its first record arrived and stays open up to the endpoint's
 * `flushSeconds` (at most an hour): records of the window may sit in the folder of the hour before.
 */
const BATCH_OPEN_MAX_MS = 3_600_000;
const HISTOGRAM_BINS = 20;

export const monitoringKeys = {
  window: (endpoint: string, to: string) => `monitoring/${endpoint}/windows/${compactTime(to)}.json`,
  windows: (endpoint: string) => `monitoring/${endpoint}/windows/`,
  reference: (endpoint: string, model: string, version: number) =>
    `monitoring/${endpoint}/reference/${model}-v${version}.json`,
  report: (endpoint: string, to: string) => `reports/monitoring/${endpoint}/${compactTime(to)}.html`,
};

function compactTime(iso: string): string {
  return iso.replace(/[-:.]/g, '');
}

interface Row {
  features: Record<string, number | string>;
  prediction: unknown;
  requestId: string;
  /** Rows of its request (a label is matched only to one-row requests). */
  batch: number;
}

/** Computes the window, writes its details to the store, and returns its summary. */
export async function computeDriftWindow(store: BlobStore, input: DriftWindowInput): Promise<DriftWindowSummary> {
  const from = new Date(input.from).getTime();
  const to = new Date(input.to).getTime();
  const { sampleSize, minSamples, thresholds, driftShare } = input.settings;
  const random = seededRandom(input.seed);

  // 1. the captured rows in (from, to], reservoir-sampled
  const sample: Row[] = [];
  let captured = 0;
  const since = new Date(from - BATCH_OPEN_MAX_MS);
  await forEachCaptured(store, input.endpoint, 'capture', since, (record) => {
    const time = typeof record.time === 'string' ? new Date(record.time).getTime() : NaN;
    if (!(time > from && time <= to) || typeof record.status !== 'number' || record.status >= 400) return;
    for (const row of rowsOf(record)) {
      captured += 1;
      if (sample.length < sampleSize) sample.push(row);
      else {
        const j = Math.floor(random() * captured);
        if (j < sampleSize) sample[j] = row;
      }
    }
  });

  // 2. labels for one-row requests
  const labels = new Map<string, unknown>();
  const wanted = new Set(sample.filter((r) => r.batch === 1).map((r) => r.requestId));
  if (wanted.size > 0)
    await forEachCaptured(store, input.endpoint, 'feedback', since, (record) => {
      if (typeof record.requestId === 'string' && wanted.has(record.requestId))
        labels.set(record.requestId, record.label);
    });

  const baseline = await loadBaseline(store, input.baseline);
  const judged = sample.length >= minSamples;
  const current: Record<string, BaselineColumn> = {};
  const names = Object.keys(baseline.columns).filter((name) => sample.some((r) => name in r.features));
  for (const name of names) {
    const values = sample.map((r) => r.features[name]).filter((v) => v !== undefined);
    current[name] =
      baseline.columns[name] instanceof Float64Array
        ? Float64Array.from(values.map(Number).filter(Number.isFinite))
        : values.map(String);
  }
  const compared = Object.fromEntries(names.map((n) => [n, baseline.columns[n]!]));
  const drift = datasetDrift(compared, current, thresholds);

  // 3. predictions against the champion's reference window
  const predictions = sample.map((r) => r.prediction).filter((p) => p !== undefined && p !== null);
  let prediction: DriftWindowSummary['prediction'];
  if (judged && predictions.length >= minSamples) {
    const referenceKey = monitoringKeys.reference(input.endpoint, input.model, input.version);
    const reference = await readJson<{ values: (number | string)[] }>(store, referenceKey);
    if (!reference) {
      const values = predictions.slice(0, PREDICTION_REFERENCE_MAX) as (number | string)[];
      await store.putIfAbsent(referenceKey, JSON.stringify({ from: input.from, to: input.to, values }), {
        contentType: 'application/json',
      });
      prediction = { reference: 'recorded', samples: values.length };
    } else {
      const asValues = (v: unknown[]) => (fewDistinct(v) ? v.map(String) : Float64Array.from(v.map(Number)));
      const d = columnDrift('prediction', asValues(reference.values), asValues(predictions), thresholds);
      prediction = { psi: d.scores.psi, pvalue: d.scores.ks_pvalue ?? d.scores.chi2_pvalue, drifts: d.drifts };
    }
  }

  // 4. live accuracy where labels arrived
  let performance: DriftWindowSummary['performance'];
  const labelled = sample.filter((r) => r.batch === 1 && labels.has(r.requestId));
  if (labelled.length > 0) {
    const correct = labelled.filter((r) => sameValue(r.prediction, labels.get(r.requestId))).length;
    const accuracy = correct / labelled.length;
    const expected = input.expectedAccuracy;
    const drop = expected === undefined ? undefined : expected - accuracy;
    const limit = input.settings.maxAccuracyDrop;
    performance = {
      labelled: labelled.length,
      accuracy,
      expected,
      drop,
      breached: judged && labelled.length >= minSamples && limit !== undefined && drop !== undefined && drop > limit,
    };
  }

  const features: FeatureScore[] = drift.columns.map((c) => ({
    column: c.column,
    kind: c.kind,
    psi: c.scores.psi,
    js: c.scores.js_distance,
    psiFloor: c.noiseFloor.psi,
    jsFloor: c.noiseFloor.js_distance,
    ksPvalue: c.scores.ks_pvalue,
    chi2Pvalue: c.scores.chi2_pvalue,
    wasserstein: c.scores.wasserstein,
    breached: c.breached,
    drifts: c.drifts,
  }));
  const predictionDrifts = prediction !== undefined && 'drifts' in prediction && prediction.drifts;
  const drifts =
    judged &&
    ((features.length > 0 && drift.share >= driftShare) || predictionDrifts || performance?.breached === true);
  const summary = !judged
    ? `${sample.length} rows (< ${minSamples}): not judged`
    : (features.length === 0
        ? 'no feature compared (no request input is named as a column of the training data)'
        : `${drift.drifted.length}/${features.length} features drift`) +
      (drift.drifted.length > 0 ? ` (${drift.drifted.join(', ')})` : '') +
      (prediction && 'psi' in prediction ? `, prediction PSI ${prediction.psi.toFixed(3)}` : '') +
      (performance ? `, live accuracy ${performance.accuracy.toFixed(3)} on ${performance.labelled}` : '') +
      (drifts ? ': DRIFT' : '');
  const detailsKey = monitoringKeys.window(input.endpoint, input.to);
  const result: DriftWindowSummary = {
    from: input.from,
    to: input.to,
    captured,
    samples: sample.length,
    judged,
    features,
    drifted: drift.drifted,
    share: drift.share,
    prediction,
    performance,
    drifts,
    summary,
    detailsKey,
  };
  const details: DriftWindowDetails = {
    ...result,
    endpoint: input.endpoint,
    model: input.model,
    version: input.version,
    baseline: input.baseline,
    histograms: Object.fromEntries(names.map((n) => [n, histogram(baseline.columns[n]!, current[n]!)])),
  };
  await store.put(detailsKey, JSON.stringify(details), { contentType: 'application/json' });
  return result;
}

/** The rows of one captured request: its named column inputs, and each row's prediction. */
function rowsOf(record: Record<string, unknown>): Row[] {
  const inputs = Array.isArray(record.inputs) ? (record.inputs as Record<string, unknown>[]) : [];
  const columns = inputs.filter(
    (i): i is { name: string; data: unknown[] } & Record<string, unknown> =>
      typeof i?.name === 'string' && Array.isArray(i.data),
  );
  // rows by the shape's first dimension: a 2-D tensor input ([n, k]) is n rows, not n·k
  const rowCount = (c: { shape?: unknown; data: unknown[] }) =>
    Array.isArray(c.shape) && Number.isInteger(c.shape[0]) ? (c.shape[0] as number) : c.data.length;
  const n = Math.max(0, ...columns.map(rowCount));
  if (n === 0) return [];
  const outputs = Array.isArray(record.outputs) ? (record.outputs as { data?: unknown }[]) : [];
  const outData = Array.isArray(outputs[0]?.data) ? (outputs[0].data as unknown[]).flat() : [];
  const width = outData.length % n === 0 ? outData.length / n : 0;
  const requestId = typeof record.requestId === 'string' ? record.requestId : '';
  const rows: Row[] = [];
  for (let i = 0; i < n; i++) {
    const features: Record<string, number | string> = {};
    for (const c of columns) {
      if (c.data.length !== n) continue;
      const v = c.data[i];
      if (typeof v === 'number' || typeof v === 'string') features[c.name] = v;
    }
    // one value per row (a class); with several (class probabilities) the last, the positive class
    const prediction = width >= 1 ? outData[i * width + width - 1] : undefined;
    rows.push({ features, prediction, requestId, batch: n });
  }
  return rows;
}

function fewDistinct(values: readonly unknown[]): boolean {
  const seen = new Set<string>();
  for (const v of values) {
    seen.add(String(v));
    if (seen.size > 10) return false;
  }
  return true;
}

/** Whether the prediction matches the label; a probability (strictly between 0 and 1) counts as class p ≥ 0.5. */
function sameValue(prediction: unknown, label: unknown): boolean {
  if (prediction === undefined || prediction === null || label === undefined) return false;
  const raw = Number(prediction);
  const p = raw > 0 && raw < 1 ? (raw >= 0.5 ? 1 : 0) : raw;
  const l = Number(label);
  return Number.isFinite(p) && Number.isFinite(l) ? p === l : String(prediction) === String(label);
}

/** Shares per bin of both sides: equal-width bins over both ranges, or the categories. */
function histogram(
  baseline: BaselineColumn,
  current: BaselineColumn,
): { bins: string[]; baseline: number[]; current: number[] } {
  if (!(baseline instanceof Float64Array) || !(current instanceof Float64Array)) {
    const count = (values: ArrayLike<unknown>) => {
      const m = new Map<string, number>();
      for (let i = 0; i < values.length; i++) m.set(String(values[i]), (m.get(String(values[i])) ?? 0) + 1);
      return m;
    };
    const a = count(baseline);
    const b = count(current);
    const bins = [...new Set([...a.keys(), ...b.keys()])].sort();
    return {
      bins,
      baseline: bins.map((k) => (a.get(k) ?? 0) / Math.max(1, baseline.length)),
      current: bins.map((k) => (b.get(k) ?? 0) / Math.max(1, current.length)),
    };
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (const side of [baseline, current])
    for (const v of side) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  if (!Number.isFinite(lo)) return { bins: [], baseline: [], current: [] };
  const width = hi > lo ? (hi - lo) / HISTOGRAM_BINS : 1;
  const shares = (side: Float64Array) => {
    const counts = new Array<number>(HISTOGRAM_BINS).fill(0);
    for (const v of side) counts[Math.min(HISTOGRAM_BINS - 1, Math.floor((v - lo) / width))]! += 1;
    return counts.map((c) => c / Math.max(1, side.length));
  };
  const bins = Array.from({ length: HISTOGRAM_BINS }, (_, i) => formatEdge(lo + i * width));
  return { bins, baseline: shares(baseline), current: shares(current) };
}

function formatEdge(x: number): string {
  return Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(1) : x.toPrecision(2);
}

async function readJson<T>(store: BlobStore, key: string): Promise<T | undefined> {
  const info = await store.head(key);
  if (!info) return undefined;
  return JSON.parse((await store.getBytes(key)).toString('utf8')) as T;
}
