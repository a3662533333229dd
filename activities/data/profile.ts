/**
 * The tabular profile of a snapshot: one `FileProfile` per CSV file (`.csv`, any case), computed
 * in one streaming pass with bounded memory (./csv-parser.ts, ./column-profile.ts), and per Parquet
 * file (`.parquet`), read one column of one row group at a time (./parquet.ts) into the same
 * column accumulators, so both formats give the same profile of the same table. The profile
 * depends only on the files' bytes, so it is a stable baseline for drift detection. A file whose
 * path and digest are unchanged since the parent snapshot keeps the parent's profile.
 */
import type { Readable } from 'node:stream';
import { ColumnAccumulator, columnSeed } from './column-profile';
import { CsvParser, type CsvLimits } from './csv-parser';
import { DataError } from '../../common/failures';
import { isParquetPath, withParquetTable, type ParquetLimits } from './parquet';
import { reservedKeyProblem } from '../../common/reserved-keys';
import type { DatasetSource, ExpectedContent, SourceEntry } from './source-types';
import type { FileProfile, ManifestEntry, SnapshotProfile } from './types';

/** Whether a snapshot path is profiled as CSV. */
export function isCsvPath(path: string): boolean {
  return /\.csv$/i.test(path);
}

/** Whether a snapshot path is a table that gets a profile: CSV or Parquet. */
export function isTabularPath(path: string): boolean {
  return isCsvPath(path) || isParquetPath(path);
}

/**
 * Profiles one Parquet file; `DatasetInvalid` naming `file` for a file that is not Parquet, a part
 * over the `limits` (./parquet.ts) or a column with a reserved name.
 */
export async function profileParquet(
  chunks: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
  file: string,
  limits?: ParquetLimits,
): Promise<FileProfile> {
  return withParquetTable(
    chunks,
    file,
    async (table) => {
      const names = header(
        table.columns.map((column) => column.name),
        file,
        false,
      );
      const columns = names.map(
        (name, index) => new ColumnAccumulator(name, columnSeed(index, name), table.columns[index]!.declared),
      );
      for (let g = 0; g < table.groups.length; g++) {
        for (let c = 0; c < columns.length; c++) {
          const column = columns[c]!;
          for (const value of await table.readColumn(g, c)) column.addValue(value);
        }
      }
      return { path: file, rows: table.rows, columns: columns.map((column) => column.finish()) };
    },
    limits,
  );
}

/**
 * Profiles one CSV stream; `DatasetInvalid` naming `file` and the line for a ragged or malformed
 * file, a record over the `limits` (./csv-parser.ts) or a column with a reserved name.
 */
export async function profileCsv(
  chunks: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
  file: string,
  limits?: CsvLimits,
): Promise<FileProfile> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let columns: ColumnAccumulator[] | undefined;
  let rows = 0;
  const parser = new CsvParser(
    file,
    (fields, line) => {
      if (columns === undefined) {
        columns = header(fields, file).map((name, index) => new ColumnAccumulator(name, columnSeed(index, name)));
        return;
      }
      if (fields.length !== columns.length) {
        throw new DataError(
          'DatasetInvalid',
          `${file} line ${line}: ${fields.length} field${fields.length === 1 ? '' : 's'}, but the header has ${columns.length}`,
          { file, line },
        );
      }
      rows++;
      for (let i = 0; i < fields.length; i++) columns[i]!.add(fields[i]!);
    },
    limits,
  );
  const decode = (chunk?: Buffer): string => {
    try {
      return chunk === undefined ? decoder.decode() : decoder.decode(chunk, { stream: true });
    } catch (error) {
      throw new DataError('DatasetInvalid', `${file}: not valid UTF-8`, { file }, { cause: error });
    }
  };
  for await (const chunk of chunks) parser.push(typeof chunk === 'string' ? chunk : decode(chunk));
  parser.push(decode());
  parser.end();
  return { path: file, rows, columns: (columns ?? []).map((column) => column.finish()) };
}

/** A CSV or Parquet file of a snapshot, with what its bytes must be when read again. */
export interface TableFile {
  entry: SourceEntry;
  file: ManifestEntry;
  expected: ExpectedContent;
}

export interface ProfileSnapshotInput {
  dataset: string;
  id: string;
  source: DatasetSource;
  /** The snapshot's CSV and Parquet files (`isTabularPath`), in path order. */
  tables: readonly TableFile[];
  /** The parent's profile and the digests of its profiled files (./snapshot-write.ts `ParentSnapshot`). */
  parent?: { profile: SnapshotProfile | undefined; profiled: ReadonlyMap<string, string> };
}

/** The profile of a snapshot's CSV and Parquet files, or undefined when it has none. */
export async function profileSnapshot(input: ProfileSnapshotInput): Promise<SnapshotProfile | undefined> {
  const reusable = new Map<string, FileProfile>();
  if (input.parent?.profile) {
    for (const profile of input.parent.profile.files) {
      const digest = input.parent.profiled.get(profile.path);
      if (digest !== undefined) reusable.set(`${profile.path}\0${digest}`, profile);
    }
  }
  const profiles: FileProfile[] = [];
  for (const { entry, file, expected } of input.tables) {
    const reused = reusable.get(`${file.path}\0${file.sha256}`);
    profiles.push(reused ?? (await profileEntry(input.source, entry, expected)));
  }
  if (profiles.length === 0) return undefined;
  return { dataset: input.dataset, snapshot: input.id, files: profiles };
}

/** Profiles one file read from the source, which checks it still has the digest the manifest records. */
async function profileEntry(
  source: DatasetSource,
  entry: SourceEntry,
  expected: ExpectedContent,
): Promise<FileProfile> {
  const stream: Readable = await source.read(entry, expected);
  try {
    return await (isParquetPath(entry.path) ? profileParquet(stream, entry.path) : profileCsv(stream, entry.path));
  } finally {
    stream.destroy();
  }
}

/** The column names of a table, checked: no reserved name, none twice. A CSV header is `line 1` of its file. */
function header(fields: string[], file: string, csv = true): string[] {
  const where = csv ? `${file} line 1` : file;
  const at = csv ? { file, line: 1 } : { file };
  const seen = new Set<string>();
  for (const name of fields) {
    // profiles, expectations and the drift baseline key objects by column name
    const reserved = reservedKeyProblem(name.trim());
    if (reserved) {
      throw new DataError('DatasetInvalid', `${where}: column ${reserved}`, { ...at, column: name });
    }
    if (seen.has(name)) {
      throw new DataError(
        'DatasetInvalid',
        `${where}: the ${csv ? 'header' : 'file'} names column ${JSON.stringify(name)} twice`,
        at,
      );
    }
    seen.add(name);
  }
  return fields;
}
