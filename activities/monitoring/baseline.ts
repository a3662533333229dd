/**
 * The drift baseline: the columns of the champion's training data, read from its dataset snapshot
 * (one CSV file of it) and sampled down to a bounded number of rows (a seeded reservoir, so the same
 * snapshot always gives the same baseline). A column is numeric when every non-empty value is a
 * number, categorical otherwise. Kept in memory per worker for the snapshots seen last.
 */
import { CsvParser } from '../data/csv-parser';
import { datasetKeys } from '../data/keys';
import { readManifest } from '../data/read';
import type { BlobStore } from '../storage/types';
import { seededRandom } from '../../common/random';

export type BaselineColumn = Float64Array | string[];

export interface Baseline {
  dataset: string;
  snapshot: string;
  file: string;
  /** Rows in the file; `sampled` of them are kept. */
  rows: number;
  sampled: number;
  columns: Record<string, BaselineColumn>;
}

export interface BaselineRef {
  dataset: string;
  snapshot: string;
  /** The CSV file of the snapshot, e.g. train.csv. */
  file: string;
  /** Columns left out (the label, an id). */
  exclude?: readonly string[];
}

/** Rows of the training file kept for the comparison. */
export const BASELINE_MAX_ROWS = 50_000;
const CACHE_ENTRIES = 4;
const cache = new Map<string, Promise<Baseline>>();

/** The snapshot's baseline columns, from the worker's cache when it read them before. */
export function loadBaseline(store: BlobStore, ref: BaselineRef): Promise<Baseline> {
  const key = `${store.uri}\n${ref.dataset}\n${ref.snapshot}\n${ref.file}\n${(ref.exclude ?? []).join(',')}`;
  let entry = cache.get(key);
  if (!entry) {
    entry = readBaseline(store, ref);
    entry.catch(() => cache.delete(key));
    cache.set(key, entry);
    while (cache.size > CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
  }
  return entry;
}

async function readBaseline(store: BlobStore, ref: BaselineRef): Promise<Baseline> {
  const manifest = await readManifest(store, ref.dataset, ref.snapshot);
  const entry = manifest.files.find((f) => f.path === ref.file);
  if (!entry)
    throw new Error(
      `${ref.file} is not in snapshot ${ref.snapshot.slice(0, 12)} of ${ref.dataset} (it has ${manifest.files
        .map((f) => f.path)
        .slice(0, 10)
        .join(', ')})`,
    );
  const exclude = new Set(ref.exclude ?? []);
  const random = seededRandom(parseInt(ref.snapshot.slice(0, 8), 16) || 1);
  let header: string[] | undefined;
  const sample: string[][] = [];
  let rows = 0;
  const parser = new CsvParser(ref.file, (fields) => {
    if (!header) {
      header = fields.map((f) => f.trim());
      return;
    }
    rows += 1;
    if (sample.length < BASELINE_MAX_ROWS) sample.push(fields);
    else {
      const j = Math.floor(random() * rows);
      if (j < BASELINE_MAX_ROWS) sample[j] = fields;
    }
  });
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of await store.get(datasetKeys.blob(ref.dataset, entry.sha256)))
    parser.push(decoder.decode(chunk as Buffer, { stream: true }));
  parser.push(decoder.decode());
  parser.end();
  // no prototype: a column named like an Object member (`constructor`) is a column like any other
  const columns: Record<string, BaselineColumn> = Object.create(null) as Record<string, BaselineColumn>;
  (header ?? []).forEach((name, i) => {
    if (exclude.has(name) || name === '') return;
    const raw = sample.map((r) => r[i] ?? '');
    const present = raw.filter((v) => v.trim() !== '');
    const numeric = present.length > 0 && present.every((v) => Number.isFinite(Number(v)));
    columns[name] = numeric ? Float64Array.from(present, Number) : raw;
  });
  return { dataset: ref.dataset, snapshot: ref.snapshot, file: ref.file, rows, sampled: sample.length, columns };
}
