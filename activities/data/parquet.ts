/**
 * Parquet files of a snapshot, read with hyparquet (pure JavaScript; snappy built in, gzip, brotli,
 * zstd and lz4 from hyparquet-compressors) into the shape the CSV code consumes: column names, then
 * each column's values as text or `null`, so the profile (./profile.ts), the expectations checked
 * against it and the drift baseline (../monitoring/baseline.ts) are the same code for both formats.
 *
 * A Parquet file needs random access (its metadata is at the end), and a snapshot's bytes arrive as a
 * stream that checks their digest as it goes, so the file is first written to a private temporary
 * folder (`spoolParquet`) and read from there. Memory is bounded by reading one column of one row
 * group at a time; a file whose column chunk, column count or footer is over `ParquetLimits` fails
 * as `DatasetInvalid` naming the file, the row group and the column, before anything large is read.
 *
 * Values are rendered as pandas' `to_csv` writes them where the type allows (booleans `True` and
 * `False`, dates `2024-01-31`, timestamps in ISO 8601), so a table profiles alike in both formats.
 * Columns pandas writes for a non-default index (`__index_level_0__`) are not columns of the table.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { DataError } from '../../common/failures';
import { DEFAULT_CSV_LIMITS } from './csv-parser';

/** Whether a snapshot path is read as Parquet (`.parquet`, any case). */
export function isParquetPath(path: string): boolean {
  return /\.parquet$/i.test(path);
}

/** How large a Parquet file's parts may be. */
export interface ParquetLimits {
  /** @default DEFAULT_CSV_LIMITS.maxFields (100,000), as for a CSV header */
  maxColumns?: number;
  /** Uncompressed bytes of one column in one row group, the unit read at once. @default 256 MiB */
  maxColumnChunkBytes?: number;
  /** Bytes of the footer (the file's metadata). @default 64 MiB */
  maxFooterBytes?: number;
}

export const DEFAULT_PARQUET_LIMITS: Required<ParquetLimits> = {
  maxColumns: DEFAULT_CSV_LIMITS.maxFields,
  maxColumnChunkBytes: 256 * 1024 * 1024,
  maxFooterBytes: 64 * 1024 * 1024,
};

/** How a column's values are rendered as text, from the type the file declares. */
type Kind = 'string' | 'number' | 'integer' | 'boolean' | 'date' | 'datetime';

export interface ParquetColumn {
  name: string;
  /** For `ColumnAccumulator`: the types values alone cannot tell (text, floating point). */
  declared: 'string' | 'number' | undefined;
}

export interface ParquetRowGroup {
  rowStart: number;
  rows: number;
}

/** An open Parquet file: its columns and row groups, read one column of one group at a time. */
export interface ParquetTable {
  columns: ParquetColumn[];
  groups: ParquetRowGroup[];
  rows: number;
  /** The values of column `column` in row group `group`: text, or `null`. */
  readColumn(group: number, column: number): Promise<(string | null)[]>;
}

type AsyncBuffer = { byteLength: number; slice(start: number, end?: number): Promise<ArrayBuffer> };

const loadHyparquet = () => import('hyparquet');
const loadCompressors = () => import('hyparquet-compressors');
type Hyparquet = Awaited<ReturnType<typeof loadHyparquet>>;
type FileMetaData = Awaited<ReturnType<Hyparquet['parquetMetadataAsync']>>;
type SchemaElement = FileMetaData['schema'][number];

const MAGIC = 'PAR1';
const INDEX_COLUMN = /^__index_level_\d+__$/;

/**
 * Writes `chunks` to a private temporary file and calls `use` with an open table of it; the file is
 * removed afterwards. The stream is read to its end first, so a digest check it makes has passed.
 */
export async function withParquetTable<T>(
  chunks: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
  file: string,
  use: (table: ParquetTable) => Promise<T>,
  limits: ParquetLimits = {},
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'mlops-parquet-'));
  try {
    const path = join(dir, 'file.parquet');
    await pipeline(Readable.from(chunks), createWriteStream(path, { mode: 0o600 }));
    const handle = await open(path, 'r');
    try {
      return await use(await openTable(handle, file, { ...DEFAULT_PARQUET_LIMITS, ...limits }));
    } finally {
      await handle.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function openTable(handle: FileHandle, file: string, limits: Required<ParquetLimits>): Promise<ParquetTable> {
  const invalid = (message: string, details: Record<string, unknown> = {}, cause?: unknown): DataError =>
    new DataError('DatasetInvalid', `${file}: ${message}`, { file, ...details }, { cause });
  const { size } = await handle.stat();
  const buffer: AsyncBuffer = {
    byteLength: size,
    async slice(start, end = size) {
      const bytes = Buffer.alloc(Math.max(0, end - start));
      await handle.read(bytes, 0, bytes.length, start);
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
    },
  };
  const tail = Buffer.from(await buffer.slice(Math.max(0, size - 8), size));
  const head = Buffer.from(await buffer.slice(0, Math.min(4, size)));
  if (size < 12 || head.toString('latin1') !== MAGIC || tail.subarray(4).toString('latin1') !== MAGIC) {
    const encrypted = tail.subarray(4).toString('latin1') === 'PARE';
    throw invalid(encrypted ? 'an encrypted Parquet file, which cannot be read' : 'not a Parquet file');
  }
  const footer = tail.readUInt32LE(0);
  if (footer > limits.maxFooterBytes) {
    throw invalid(
      `a Parquet footer of ${footer} bytes, over the limit of ${limits.maxFooterBytes} (the file's metadata)`,
      { limit: limits.maxFooterBytes },
    );
  }
  const hyparquet = await loadHyparquet();
  const { compressors } = await loadCompressors();
  let metadata: FileMetaData;
  try {
    metadata = await hyparquet.parquetMetadataAsync(buffer);
  } catch (error) {
    throw invalid(`not a readable Parquet file (${errorText(error)})`, {}, error);
  }
  const tree = hyparquet.parquetSchema(metadata);
  const fields = tree.children.filter((child) => !INDEX_COLUMN.test(child.element.name));
  if (fields.length > limits.maxColumns) {
    throw invalid(`${fields.length} columns, over the limit of ${limits.maxColumns}`, { limit: limits.maxColumns });
  }
  const kinds = fields.map((child) => kindOf(child.element, child.children.length > 0));
  const columns: ParquetColumn[] = fields.map((child, i) => ({
    name: child.element.name,
    declared: kinds[i] === 'string' || kinds[i] === 'number' ? kinds[i] : undefined,
  }));

  const groups: ParquetRowGroup[] = [];
  let rows = 0;
  metadata.row_groups.forEach((group, g) => {
    for (const { name } of columns) {
      let bytes = 0;
      for (const chunk of group.columns) {
        if (chunk.meta_data?.path_in_schema[0] === name) bytes += Number(chunk.meta_data.total_uncompressed_size);
      }
      if (bytes > limits.maxColumnChunkBytes) {
        throw invalid(
          `row group ${g}: column ${name} holds ${mib(bytes)} uncompressed, over the limit of ` +
            `${mib(limits.maxColumnChunkBytes)} for one column of one row group (write the file with smaller ` +
            `row groups, e.g. pyarrow's row_group_size)`,
          { rowGroup: g, column: name, limit: limits.maxColumnChunkBytes },
        );
      }
    }
    groups.push({ rowStart: rows, rows: Number(group.num_rows) });
    rows += Number(group.num_rows);
  });

  return {
    columns,
    groups,
    rows,
    async readColumn(g, c) {
      const group = groups[g]!;
      const name = columns[c]!.name;
      const render = renderer(kinds[c]!);
      const values: (string | null)[] = new Array<string | null>(group.rows).fill(null);
      const end = group.rowStart + group.rows;
      let filled = 0;
      try {
        await hyparquet.parquetRead({
          file: buffer,
          metadata,
          compressors,
          columns: [name],
          rowStart: group.rowStart,
          rowEnd: end,
          onChunk: (chunk) => {
            for (let row = Math.max(chunk.rowStart, group.rowStart); row < Math.min(chunk.rowEnd, end); row++) {
              values[row - group.rowStart] = render(chunk.columnData[row - chunk.rowStart]);
              filled++;
            }
          },
        });
      } catch (error) {
        throw invalid(`row group ${g}, column ${name}: ${errorText(error)}`, { rowGroup: g, column: name }, error);
      }
      if (filled !== group.rows) {
        throw invalid(`row group ${g}, column ${name}: ${filled} values for ${group.rows} rows`, {
          rowGroup: g,
          column: name,
        });
      }
      return values;
    },
  };
}

function kindOf(element: SchemaElement, nested: boolean): Kind {
  if (nested) return 'string'; // lists, maps and structs: profiled as their JSON text
  switch (element.logical_type?.type) {
    case 'DATE':
      return 'date';
    case 'TIMESTAMP':
      return 'datetime';
    case 'DECIMAL':
    case 'FLOAT16':
      return 'number';
    case 'INTEGER':
      return 'integer';
    case undefined:
      break;
    default:
      return 'string'; // STRING, ENUM, JSON, UUID, TIME, …
  }
  switch (element.converted_type) {
    case 'DATE':
      return 'date';
    case 'TIMESTAMP_MILLIS':
    case 'TIMESTAMP_MICROS':
      return 'datetime';
    case 'DECIMAL':
      return 'number';
    case undefined:
      break;
    default:
      if (/^U?INT_/.test(element.converted_type)) return 'integer';
      return 'string';
  }
  switch (element.type) {
    case 'BOOLEAN':
      return 'boolean';
    case 'INT32':
    case 'INT64':
      return 'integer';
    case 'INT96':
      return 'datetime';
    case 'FLOAT':
    case 'DOUBLE':
      return 'number';
    default:
      return 'string';
  }
}

function renderer(kind: Kind): (value: unknown) => string | null {
  switch (kind) {
    case 'boolean':
      return (v) => (v === null || v === undefined ? null : v ? 'True' : 'False');
    case 'number':
      // NaN is pandas' missing value
      return (v) => (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v)) ? null : String(v));
    case 'integer':
      return (v) => (v === null || v === undefined ? null : String(v));
    case 'date':
      return (v) => dateText(v, 10);
    case 'datetime':
      return (v) => dateText(v, undefined);
    case 'string':
      return text;
  }
}

function dateText(value: unknown, length: number | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString().slice(0, length);
  return text(value);
}

function text(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (typeof value === 'object' && !(value instanceof Date)) {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  }
  return String(value);
}

function mib(bytes: number): string {
  return `${Number((bytes / 1024 / 1024).toFixed(1))} MiB`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
