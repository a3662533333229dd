/**
 * The stat cache: for one dataset and one source, path → (stamp, sha256) of files hashed before,
 * so an unchanged re-snapshot hashes nothing. A stamp is what identifies one version of a file
 * without reading it: size, mtime, ctime and inode for a local file; size and etag for an object.
 *
 * One file per dataset and source under the cache folder, `<hash of source>.ndjson`: a header line
 * `{"version":2,"dataset":…,"source":…}`, then one line `["path","stamp","sha256"]` per file, a
 * later line for a path replacing an earlier one. During a snapshot the rows that changed are
 * appended every few seconds (`flush`), so a retried attempt reuses the digests of an interrupted
 * one without the whole file being rewritten each time; once the snapshot is done, `compact`
 * rewrites it (temp file and rename) as one sorted line per file, dropping deleted files, so it
 * never grows past the files it describes. A missing, unreadable or corrupt file is an empty
 * cache, and a torn last line (a crash mid-append) is skipped: the cache only ever saves work,
 * it is never trusted for anything a stamp does not prove.
 *
 * In memory a row is its path and stamp strings and its digest as 32 raw bytes in one growing
 * buffer (a million rows: about 150 MB instead of 300 MB as arrays of three strings), and lookups
 * go by position first: rows are kept in path order, as scans return files, so a re-snapshot finds
 * each row where it expects it, or a few places off when files were added or deleted, without a
 * path index; the index is built only when neither finds it.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { comparePaths, sha256Hex } from './canonical';
import { isDigest } from './keys';

const VERSION = 2;
/** Lines serialized per write call. */
const WRITE_BATCH = 10_000;
const DIGEST_BYTES = 32;
/** Rows the arrays first make room for. */
const INITIAL_ROWS = 1024;

interface CacheHeader {
  version: number;
  dataset: string;
  source: string;
}

/** Path → (stamp, digest) for one dataset and source; see the module comment. */
export class StatCache {
  private paths: string[] = [];
  private stamps: string[] = [];
  private digests = Buffer.alloc(0);
  /** Per row, whether this run saw its path (looked up or set); `retainSeen` drops the others. */
  private seen = new Uint8Array(0);
  /** Path → row, built only when a lookup by position misses. */
  private index: Map<string, number> | undefined;
  /** Row minus position of the last row found off its position (files added or deleted before it). */
  private offset = 0;
  /** Rows changed since the last flush (appended then). */
  private changed: number[] = [];
  /** Whether the file differs from one sorted line per row (appended lines, dropped rows, another format). */
  private stale = false;
  /** Whether `paths` is in path order. */
  private sorted = true;
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    /** The cache file, or undefined when caching is off. */
    readonly file: string | undefined,
    private readonly dataset: string,
    private readonly source: string,
  ) {}

  /** Loads the cache of `dataset` and `source` from `dir`; an empty cache when absent or corrupt, none without `dir`. */
  static async load(dir: string | undefined, dataset: string, source: string): Promise<StatCache> {
    const file =
      dir === undefined ? undefined : path.join(dir, 'stat-cache', dataset, `${sha256Hex(source).slice(0, 16)}.ndjson`);
    const cache = new StatCache(file, dataset, source);
    if (file !== undefined) await cache.read(file);
    return cache;
  }

  get size(): number {
    return this.paths.length;
  }

  /** The digest recorded for `filePath` if its stamp is still `stamp`; `position` is where the row likely is. */
  lookup(filePath: string, stamp: string, position?: number): string | undefined {
    const row = this.find(filePath, position);
    if (row === undefined) return undefined;
    this.seen[row] = 1;
    return this.stamps[row] === stamp ? this.digestAt(row) : undefined;
  }

  /** Records the digest of the version of `filePath` that `stamp` identifies; `position` as for `lookup`. */
  set(filePath: string, stamp: string, digest: string, position?: number): void {
    let row = this.find(filePath, position);
    if (row !== undefined && this.stamps[row] === stamp && this.digestAt(row) === digest) {
      this.seen[row] = 1;
      return;
    }
    if (row === undefined) {
      row = this.paths.length;
      if (row > 0 && comparePaths(this.paths[row - 1]!, filePath) >= 0) this.sorted = false;
      this.grow(row + 1);
      this.paths.push(filePath);
      this.stamps.push(stamp);
      this.index?.set(filePath, row);
    }
    this.stamps[row] = stamp;
    this.digests.write(digest, row * DIGEST_BYTES, DIGEST_BYTES, 'hex');
    this.seen[row] = 1;
    if (this.file !== undefined) this.changed.push(row);
  }

  /** Drops the rows of paths this run neither looked up nor set (files deleted from the source). */
  retainSeen(): void {
    let kept = 0;
    for (let row = 0; row < this.paths.length; row++) {
      if (!this.seen[row]) continue;
      if (kept !== row) {
        this.paths[kept] = this.paths[row]!;
        this.stamps[kept] = this.stamps[row]!;
        this.digests.copy(this.digests, kept * DIGEST_BYTES, row * DIGEST_BYTES, (row + 1) * DIGEST_BYTES);
        this.seen[kept] = 1;
      }
      kept++;
    }
    if (kept === this.paths.length) return;
    this.paths.length = kept;
    this.stamps.length = kept;
    this.seen.fill(0, kept);
    this.index = undefined;
    this.offset = 0;
    this.changed = [];
    this.stale = true;
  }

  /** Appends the rows changed since the last write; writes never overlap. Best effort: errors are ignored. */
  async flush(): Promise<void> {
    await this.enqueue(async (file) => {
      if (this.stale) return this.rewrite(file);
      const rows = this.changed.splice(0);
      if (rows.length === 0) return;
      this.stale = true; // the file now has lines out of place until the next rewrite
      try {
        await this.append(file, rows);
      } catch (error) {
        this.changed.unshift(...rows);
        throw error;
      }
    });
  }

  /** Rewrites the file as one sorted line per row if it holds anything else (appended or dropped rows). */
  async compact(): Promise<void> {
    await this.enqueue(async (file) => {
      if (this.stale || this.changed.length > 0) await this.rewrite(file);
    });
  }

  /** Runs `write` after the writes before it, if caching is on; its errors are ignored. */
  private async enqueue(write: (file: string) => Promise<void>): Promise<void> {
    const file = this.file;
    const next = this.writing.then(async () => {
      if (file !== undefined) await write(file).catch(() => undefined);
    });
    this.writing = next;
    await next;
  }

  /** The row of `filePath`: at `position` shifted by the last offset found, at `position`, or by the index. */
  private find(filePath: string, position: number | undefined): number | undefined {
    if (position !== undefined) {
      if (this.paths[position + this.offset] === filePath) return position + this.offset;
      if (this.paths[position] === filePath) {
        this.offset = 0;
        return position;
      }
    }
    if (this.paths.length === 0) return undefined;
    const row = this.indexed().get(filePath);
    if (row !== undefined && position !== undefined) this.offset = row - position;
    return row;
  }

  private indexed(): Map<string, number> {
    if (!this.index) {
      this.index = new Map();
      for (let row = 0; row < this.paths.length; row++) this.index.set(this.paths[row]!, row);
    }
    return this.index;
  }

  private digestAt(row: number): string {
    return this.digests.toString('hex', row * DIGEST_BYTES, (row + 1) * DIGEST_BYTES);
  }

  /** Makes room for `rows` rows in the digest buffer and the seen marks. */
  private grow(rows: number): void {
    if (rows * DIGEST_BYTES <= this.digests.length) return;
    const capacity = Math.max(INITIAL_ROWS, rows, this.seen.length * 2);
    const digests = Buffer.alloc(capacity * DIGEST_BYTES);
    this.digests.copy(digests);
    this.digests = digests;
    const seen = new Uint8Array(capacity);
    seen.set(this.seen);
    this.seen = seen;
  }

  /** Reads the file line by line; rows of any other shape, and a torn last line, are skipped. */
  private async read(file: string): Promise<void> {
    const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
    let header = false;
    try {
      for await (const line of lines) {
        if (!header) {
          if (!this.isOwnHeader(line)) break;
          header = true;
          continue;
        }
        const row = parseRow(line);
        if (row) this.loadRow(row[0], row[1], row[2]);
        else this.stale = true;
      }
    } catch {
      // unreadable or missing: what was read is kept, the rest is hashed again
    } finally {
      lines.close();
    }
    if (!header) this.stale = true; // no file, or another one: written whole next time
    this.seen.fill(0);
    this.changed = [];
  }

  /** Adds a row read from the file: at the end while paths ascend, else (an appended line) in place of its path's row. */
  private loadRow(filePath: string, stamp: string, digest: string): void {
    const last = this.paths.length - 1;
    if (last >= 0 && comparePaths(this.paths[last]!, filePath) >= 0) {
      this.stale = true;
      this.set(filePath, stamp, digest);
      return;
    }
    this.grow(last + 2);
    this.paths.push(filePath);
    this.stamps.push(stamp);
    this.digests.write(digest, (last + 1) * DIGEST_BYTES, DIGEST_BYTES, 'hex');
    this.index?.set(filePath, last + 1);
  }

  private isOwnHeader(line: string): boolean {
    try {
      const header = JSON.parse(line) as Partial<CacheHeader>;
      return header.version === VERSION && header.source === this.source;
    } catch {
      return false;
    }
  }

  private async append(file: string, rows: readonly number[]): Promise<void> {
    const handle = await fs.open(file, 'a');
    try {
      for (let start = 0; start < rows.length; start += WRITE_BATCH) {
        await handle.write(this.lines(rows.slice(start, start + WRITE_BATCH)));
      }
    } finally {
      await handle.close();
    }
  }

  /** Writes every row, sorted by path, to a temp file and renames it over the cache file. */
  private async rewrite(file: string): Promise<void> {
    this.sortRows();
    this.changed = [];
    await fs.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${randomUUID()}.tmp`;
    try {
      const handle = await fs.open(tmp, 'w');
      try {
        const header: CacheHeader = { version: VERSION, dataset: this.dataset, source: this.source };
        await handle.write(`${JSON.stringify(header)}\n`);
        for (let start = 0; start < this.paths.length; start += WRITE_BATCH) {
          const end = Math.min(this.paths.length, start + WRITE_BATCH);
          await handle.write(this.lines(Array.from({ length: end - start }, (_, i) => start + i)));
        }
      } finally {
        await handle.close();
      }
      await fs.rename(tmp, file);
      this.stale = false;
      await fs.rm(file.replace(/\.ndjson$/, '.json'), { force: true }); // the one-document form of earlier versions
    } catch (error) {
      this.stale = true; // rows moved: the next write is a whole one again
      await fs.rm(tmp, { force: true });
      throw error;
    }
  }

  private lines(rows: readonly number[]): string {
    let out = '';
    for (const row of rows) out += `${JSON.stringify([this.paths[row], this.stamps[row], this.digestAt(row)])}\n`;
    return out;
  }

  /** Puts the rows in path order (through an index array: no object per row). */
  private sortRows(): void {
    if (this.sorted) return;
    const paths = this.paths;
    const order = Array.from({ length: paths.length }, (_, i) => i).sort((a, b) => comparePaths(paths[a]!, paths[b]!));
    const digests = Buffer.alloc(this.digests.length);
    order.forEach((row, i) =>
      this.digests.copy(digests, i * DIGEST_BYTES, row * DIGEST_BYTES, (row + 1) * DIGEST_BYTES),
    );
    const seen = this.seen;
    this.seen = new Uint8Array(seen.length);
    order.forEach((row, i) => (this.seen[i] = seen[row]!));
    this.paths = order.map((row) => paths[row]!);
    this.stamps = order.map((row) => this.stamps[row]!);
    this.digests = digests;
    this.index = undefined;
    this.offset = 0;
    this.sorted = true;
  }
}

/** A line `["path","stamp","sha256"]`, or undefined. */
function parseRow(line: string): [string, string, string] | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || value.length !== 3) return undefined;
  const [filePath, stamp, digest] = value as unknown[];
  if (typeof filePath !== 'string' || typeof stamp !== 'string' || !isDigest(digest)) return undefined;
  return [filePath, stamp, digest];
}
