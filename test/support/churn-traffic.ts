/**
 * The churn example's traffic as the gateway captures it, for the drift tests: the example's data
 * generator (examples/churn/generate_data.py), its CSV rows, captured requests written as NDJSON
 * batches into the store, and the input of a drift window over them.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { DriftWindowInput } from '../../activities/monitoring/window';
import { toInferenceRequest } from '../../activities/serving/inference-request';
import type { BlobStore } from '../../activities/storage/types';
import { captureKey } from '../../gateway/capture';
import { REPO_ROOT } from '../../lib/tools';

const PYTHON = path.join(REPO_ROOT, '.venv', 'bin', 'python');

export type Row = Record<string, string | number>;

/** The data's columns other than the id and the label: what the model takes, and the gateway captures. */
export function featuresOf(row: Row): string[] {
  return Object.keys(row).filter((c) => c !== 'customer_id' && c !== 'churned');
}

/** The churn example's data generator: `drift` shifts the features; returns the folder it wrote. */
export function generate(dir: string, drift: number, seed: number): string {
  const out = path.join(dir, `drift-${drift}`);
  execFileSync(
    PYTHON,
    [
      'examples/churn/generate_data.py',
      '--rows',
      '2500',
      '--seed',
      String(seed),
      '--drift',
      String(drift),
      '--out',
      out,
    ],
    {
      cwd: REPO_ROOT,
    },
  );
  return out;
}

/** The rows of a CSV file, numbers as numbers. */
export function readRows(file: string): Row[] {
  const [header, ...lines] = fs.readFileSync(file, 'utf8').trim().split('\n');
  const names = header!.split(',');
  return lines.map((line) =>
    Object.fromEntries(
      line.split(',').map((cell, i) => [names[i]!, /^-?\d+(\.\d+)?$/.test(cell) ? Number(cell) : cell]),
    ),
  );
}

/** A stand-in for the model: churn predicted for many support calls on a monthly contract. */
export function predict(row: Row): number {
  return Number(row.support_calls) >= 3 || (row.contract === 'monthly' && Number(row.tenure_months) < 6) ? 1 : 0;
}

let nextId = 0;

/** One captured request as the gateway records it: a column input per feature, the `predict` output. */
export function captured(endpoint: string, rows: Row[], time: Date, outputShape: 'column' | 'flat' = 'column') {
  const n = rows.length;
  return {
    requestId: `req-${++nextId}`,
    time: time.toISOString(),
    endpoint,
    variant: `${endpoint}-v1`,
    modelVersion: '1',
    inputs: toInferenceRequest(rows.map((r) => Object.fromEntries(featuresOf(r).map((c) => [c, r[c]!])))).inputs,
    outputs: [
      {
        name: 'predict',
        shape: outputShape === 'column' ? [n, 1] : [n],
        datatype: 'INT64',
        data: rows.map(predict),
      },
    ],
    latencyMs: 3.5,
    status: 200,
  };
}

/** Writes records as one NDJSON batch whose first record arrived at `batchAt`. */
export async function writeBatch(
  store: BlobStore,
  endpoint: string,
  kind: 'capture' | 'feedback',
  batchAt: Date,
  records: object[],
) {
  await store.put(captureKey(endpoint, kind, batchAt), records.map((r) => JSON.stringify(r)).join('\n') + '\n', {
    contentType: 'application/x-ndjson',
  });
}

/** Captures `rows` in requests of `perRequest` rows, spread evenly over (from, to), in batches of 10 requests. */
export async function capture(
  store: BlobStore,
  endpoint: string,
  rows: Row[],
  from: Date,
  to: Date,
  perRequest = 20,
  outputShape: 'column' | 'flat' = 'column',
) {
  const requests: ReturnType<typeof captured>[] = [];
  const count = Math.ceil(rows.length / perRequest);
  const step = (to.getTime() - from.getTime()) / (count + 1);
  for (let i = 0; i < count; i++)
    requests.push(
      captured(
        endpoint,
        rows.slice(i * perRequest, (i + 1) * perRequest),
        new Date(from.getTime() + step * (i + 1)),
        outputShape,
      ),
    );
  for (let i = 0; i < requests.length; i += 10) {
    const batch = requests.slice(i, i + 10);
    await writeBatch(store, endpoint, 'capture', new Date(batch[0]!.time), batch);
  }
  return requests;
}

/** The input of a drift window of `endpoint` over (from, to) against the churn snapshot `snapshot`. */
export function churnWindowInput(
  endpoint: string,
  snapshot: string,
  from: Date,
  to: Date,
  extra: Partial<DriftWindowInput> = {},
): DriftWindowInput {
  return {
    endpoint,
    model: 'churn',
    version: 1,
    baseline: { dataset: 'churn', snapshot, file: 'train.csv', exclude: ['churned'] },
    from: from.toISOString(),
    to: to.toISOString(),
    settings: {
      sampleSize: 5000,
      minSamples: 100,
      driftShare: 0.3,
      thresholds: { psi: 0.2, ks_pvalue: 0.01, js_distance: 0.1, chi2_pvalue: 0.01 },
    },
    seed: 1,
    ...extra,
  };
}
