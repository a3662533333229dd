/**
 * The outcome counts of an online A/B test: captured requests (which variant served them, what it
 * predicted) joined by request id with the feedback labels clients posted later. Both are the
 * gateway's NDJSON batches under `endpoints/<endpoint>/capture|feedback/<yyyy-mm-dd>/<hh>/…`.
 *
 * A trial is a captured request of one of the two arms, sent since the test started, that has a
 * label. Its success depends on the metric:
 * - `accuracy`: the prediction (first value of the first output) equals the label;
 * - `conversion`: the label says the outcome happened (a non-zero number, or true/yes/1/converted).
 *
 * Memory is bounded: at most `maxTrackedRequests` served requests and as many labels are held at
 * once (the oldest are forgotten first, and counted in `evicted`), however much traffic the test saw.
 */
import type { AbTestMetric } from '../../common/schemas/abtest';
import { firstPrediction, forEachCaptured } from '../serving/captures';
import type { BlobStore } from '../storage/types';

export type { AbTestMetric } from '../../common/schemas/abtest';

export interface ArmCounts {
  /** Captured requests served by this arm since the start. */
  captured: number;
  /** Of them, those with a label (the test's trials). */
  trials: number;
  successes: number;
}

export interface AbTestOutcomes {
  control: ArmCounts;
  treatment: ArmCounts;
  /** Labels whose request was not captured (sampled out, another variant, before the start, or not flushed yet). */
  unmatchedLabels: number;
  /** NDJSON objects read. */
  objects: number;
  /** Served requests and labels forgotten to stay within `maxTrackedRequests` (their trials are lost). */
  evicted?: number;
}

/** Default of `maxTrackedRequests`: some 100 MB of request ids at most. */
export const MAX_TRACKED_REQUESTS = 500_000;

export interface CountAbTestOutcomesInput {
  endpoint: string;
  controlVariant: string;
  treatmentVariant: string;
  /** ISO time the test started; earlier requests do not count. */
  since: string;
  metric: AbTestMetric;
  /** Served requests (and labels) held at once at most. @default MAX_TRACKED_REQUESTS */
  maxTrackedRequests?: number;
}

interface Served {
  arm: 'control' | 'treatment';
  prediction: unknown;
}

/** Reads captures and labels since `input.since` and counts each arm's trials and successes. */
export async function countAbTestOutcomes(store: BlobStore, input: CountAbTestOutcomesInput): Promise<AbTestOutcomes> {
  const since = new Date(input.since);
  if (Number.isNaN(since.getTime())) throw new Error(`since: not an ISO time: ${input.since}`);
  const cap = Math.max(1, input.maxTrackedRequests ?? MAX_TRACKED_REQUESTS);
  const served = new Map<string, Served>();
  const labels = new Map<string, unknown>();
  let evicted = 0;
  /** Sets `key` in `map`, forgetting the oldest entry first when the map is full. */
  const remember = <V>(map: Map<string, V>, key: string, value: V) => {
    if (!map.has(key) && map.size >= cap) {
      const oldest = map.keys().next();
      if (!oldest.done) {
        map.delete(oldest.value);
        evicted += 1;
      }
    }
    map.set(key, value);
  };
  const control: ArmCounts = { captured: 0, trials: 0, successes: 0 };
  const treatment: ArmCounts = { captured: 0, trials: 0, successes: 0 };
  let objects = 0;
  let unmatchedIds = 0;

  await forEachCaptured(store, input.endpoint, 'capture', since, (record) => {
    const arm =
      record.variant === input.controlVariant
        ? 'control'
        : record.variant === input.treatmentVariant
          ? 'treatment'
          : undefined;
    if (!arm || typeof record.requestId !== 'string' || !isAfter(record.time, since)) return;
    if (typeof record.status === 'number' && record.status >= 400) return; // failed requests have no prediction
    if (record.pinned === true) return; // pinned to a variant by hand: not part of the test's traffic
    if (served.has(record.requestId)) return;
    remember(served, record.requestId, { arm, prediction: firstPrediction(record.outputs) });
    (arm === 'control' ? control : treatment).captured += 1;
  }).then((n) => (objects += n));
  await forEachCaptured(store, input.endpoint, 'feedback', since, (record) => {
    if (typeof record.requestId !== 'string' || !('label' in record)) return;
    // only labels of requests this count holds: the rest could never match, and must not fill memory
    if (!served.has(record.requestId)) {
      unmatchedIds += 1;
      return;
    }
    labels.delete(record.requestId); // the latest label of a request wins
    remember(labels, record.requestId, record.label);
  }).then((n) => (objects += n));

  let unmatchedLabels = unmatchedIds;
  for (const [requestId, label] of labels) {
    const request = served.get(requestId);
    if (!request) {
      unmatchedLabels += 1;
      continue;
    }
    const arm = request.arm === 'control' ? control : treatment;
    arm.trials += 1;
    if (isSuccess(input.metric, request.prediction, label)) arm.successes += 1;
  }
  return { control, treatment, unmatchedLabels, objects, ...(evicted > 0 ? { evicted } : {}) };
}

/** Whether one labelled request counts as a success under the metric. */
export function isSuccess(metric: AbTestMetric, prediction: unknown, label: unknown): boolean {
  if (metric === 'conversion') {
    if (typeof label === 'number') return label !== 0;
    if (typeof label === 'boolean') return label;
    return typeof label === 'string' && ['1', 'true', 'yes', 'converted'].includes(label.trim().toLowerCase());
  }
  if (prediction === undefined || prediction === null) return false;
  const p = Number(prediction);
  const l = Number(label);
  if (typeof label !== 'boolean' && Number.isFinite(p) && Number.isFinite(l) && String(label).trim() !== '')
    return p === l;
  return String(prediction) === String(label);
}

function isAfter(time: unknown, since: Date): boolean {
  return typeof time === 'string' && new Date(time).getTime() >= since.getTime();
}
