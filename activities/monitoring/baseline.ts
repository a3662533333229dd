/**
 * The drift baseline: the columns of the champion's training data, read from its dataset snapshot
 * (one CSV or Parquet file of it) and sampled down to a bounded number of rows (a seeded reservoir,
 * so the same snapshot always gives the same baseline, and the same rows of the same table in
 * either format). A column is numeric when every non-empty value is a number, categorical
 * otherwise. Kept in memory per worker for the snapshots seen last.
 */
import { CsvParser } from '../data/csv-parser';
import { isParquetPath, withParquetTable, type ParquetTable } from '../data/parquet';
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
  /** The CSV or Parquet file of the snapshot, e.g. train.csv or train.parquet. */
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
  const body = await store.get(datasetKeys.blob(ref.dataset, entry.sha256));
  const { rows, sampled, columns } = isParquetPath(ref.file)
    ? await withParquetTable(body, ref.file, async (table) => sampleParquet(table, random, exclude))
    : await sampleCsv(body, ref.file, random, exclude);
  return { dataset: ref.dataset, snapshot: ref.snapshot, file: ref.file, rows, sampled, columns };
}

type Sampled = Pick<Baseline, 'rows' | 'sampled' | 'columns'>;

async function sampleCsv(
  body: AsyncIterable<unknown>,
  file: string,
  random: () => number,
  exclude: ReadonlySet<string>,
): Promise<Sampled> {
  let header: string[] | undefined;
  const sample: string[][] = [];
  let rows = 0;
  const parser = new CsvParser(file, (fields) => {
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
  for await (const chunk of body) parser.push(decoder.decode(chunk as Buffer, { stream: true }));
  parser.push(decoder.decode());
  parser.end();
  const names = header ?? [];
  const columns = baselineColumns(names, (i) => sample.map((r) => r[i] ?? ''), exclude);
  return { rows, sampled: sample.length, columns };
}

/** The same reservoir as `sampleCsv`, drawn over row numbers, then filled one column at a time. */
async function sampleParquet(
  table: ParquetTable,
  random: () => number,
  exclude: ReadonlySet<string>,
): Promise<Sampled> {
  const size = Math.min(table.rows, BASELINE_MAX_ROWS);
  const rowOfSlot = new Float64Array(size);
  for (let row = 0; row < table.rows; row++) {
    if (row < BASELINE_MAX_ROWS) rowOfSlot[row] = row;
    else {
      const j = Math.floor(random() * (row + 1));
      if (j < BASELINE_MAX_ROWS) rowOfSlot[j] = row;
    }
  }
  const slots = Array.from({ length: size }, (_, slot) => slot).sort((a, b) => rowOfSlot[a]! - rowOfSlot[b]!);
  const values = new Map<number, string[]>();
  for (let c = 0; c < table.columns.length; c++) {
    const name = table.columns[c]!.name;
    if (exclude.has(name) || name === '') continue;
    const column = new Array<string>(size).fill('');
    let next = 0;
    for (let g = 0; g < table.groups.length && next < size; g++) {
      const { rowStart, rows } = table.groups[g]!;
      if (rowOfSlot[slots[next]!]! >= rowStart + rows) continue; // no sampled row in this group
      const chunk = await table.readColumn(g, c);
      while (next < size && rowOfSlot[slots[next]!]! < rowStart + rows) {
        const slot = slots[next++]!;
        column[slot] = chunk[rowOfSlot[slot]! - rowStart] ?? '';
      }
    }
    values.set(c, column);
  }
  const names = table.columns.map((column) => column.name);
  return { rows: table.rows, sampled: size, columns: baselineColumns(names, (i) => values.get(i) ?? [], exclude) };
}

/** The baseline's columns from each column's sampled values (text; empty for a missing value). */
function baselineColumns(
  names: readonly string[],
  valuesOf: (index: number) => string[],
  exclude: ReadonlySet<string>,
): Record<string, BaselineColumn> {
  // no prototype: a column named like an Object member (`constructor`) is a column like any other
  const columns: Record<string, BaselineColumn> = Object.create(null) as Record<string, BaselineColumn>;
  names.forEach((name, i) => {
    if (exclude.has(name) || name === '') return;
    const raw = valuesOf(i);
    const present = raw.filter((v) => v.trim() !== '');
    const numeric = present.length > 0 && present.every((v) => Number.isFinite(Number(v)));
    columns[name] = numeric ? Float64Array.from(present, Number) : raw;
  });
  return columns;
}
