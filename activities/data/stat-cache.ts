/**
 * The stat cache: for one dataset and one source, path → (stamp, sha256) of files hashed before,
 * so an unchanged re-snapshot hashes nothing. A stamp is what identifies one version of a file
 * without reading it: size, mtime, ctime and inode for a local file; size and etag for an object.
 *
 * One JSON file per dataset and source under the cache folder, written atomically (temp file and
 * rename) whenever it changed, and every few seconds during a long snapshot so a retried attempt
 * reuses the digests of an interrupted one. A missing, unreadable or corrupt file is an empty cache:
 * the cache only ever saves work, it is never trusted for anything a stamp does not prove.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { sha256Hex, sortByPath } from './canonical';
import { isDigest } from './keys';

const VERSION = 1;
/** Rows serialized per write call. */
const WRITE_BATCH = 10_000;

interface CacheFile {
  version: number;
  dataset: string;
  source: string;
  /** [path, stamp, sha256], sorted by path */
  entries: [string, string, string][];
}

/** [path, stamp, sha256]: one cached file, shared by the row list and the index. */
type Row = [string, string, string];

/** Path → (stamp, digest) for one dataset and source; see the module comment. */
export class StatCache {
  /** Rows in file order, which is the scan order of the run that wrote them. */
  private rows: Row[] = [];
  /** Path → row, built on first need (an unchanged re-snapshot finds every row by position). */
  private index: Map<string, Row> | undefined;
  private dirty = false;
  /** Whether `rows` is in path order (as loaded; appending a new path may break it). */
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
      dir === undefined ? undefined : path.join(dir, 'stat-cache', dataset, `${sha256Hex(source).slice(0, 16)}.json`);
    const cache = new StatCache(file, dataset, source);
    if (file !== undefined) cache.read(await fs.readFile(file, 'utf8').catch(() => ''));
    return cache;
  }

  get size(): number {
    return this.rows.length;
  }

  /** The digest recorded for `filePath` if its stamp is still `stamp`; `position` is where the row likely is. */
  lookup(filePath: string, stamp: string, position?: number): string | undefined {
    let row = position === undefined ? undefined : this.rows[position];
    if (row?.[0] !== filePath) row = this.indexed().get(filePath);
    return row !== undefined && row[1] === stamp && isDigest(row[2]) ? row[2] : undefined;
  }

  /** Records the digest of the version of `filePath` that `stamp` identifies. */
  set(filePath: string, stamp: string, digest: string): void {
    const row = this.indexed().get(filePath);
    if (row?.[1] === stamp && row[2] === digest) return;
    if (row) {
      row[1] = stamp;
      row[2] = digest;
    } else {
      const added: Row = [filePath, stamp, digest];
      this.sorted = false;
      this.rows.push(added);
      this.index?.set(filePath, added);
    }
    this.dirty = true;
  }

  /** Drops entries of paths not in `present` (files deleted from the source). */
  retain(present: ReadonlySet<string>): void {
    const kept = this.rows.filter((row) => present.has(row[0]));
    if (kept.length === this.rows.length) return;
    this.rows = kept;
    this.index = undefined;
    this.dirty = true;
  }

  /** Writes the cache if it changed since the last write; writes never overlap. Best effort: errors are ignored. */
  async flush(): Promise<void> {
    const write = this.writing.then(async () => {
      if (!this.dirty || this.file === undefined) return;
      this.dirty = false;
      await this.write(this.file).catch(() => {
        this.dirty = true;
      });
    });
    this.writing = write;
    await write;
  }

  private indexed(): Map<string, Row> {
    if (!this.index) {
      this.index = new Map();
      for (const row of this.rows) this.index.set(row[0], row);
    }
    return this.index;
  }

  private read(text: string): void {
    let parsed: Partial<CacheFile>;
    try {
      parsed = JSON.parse(text) as Partial<CacheFile>;
    } catch {
      return;
    }
    if (parsed.version !== VERSION || parsed.source !== this.source || !Array.isArray(parsed.entries)) return;
    // Digests are checked when looked up; rows of any other shape are dropped here.
    this.rows = parsed.entries.filter(
      (row) => Array.isArray(row) && row.length === 3 && typeof row[0] === 'string' && typeof row[1] === 'string',
    );
  }

  /**
   * The file is the JSON of `CacheFile`, written a batch of rows at a time: a million rows never
   * become one string (about 150 MB) on every flush.
   */
  private async writeBody(tmp: string): Promise<void> {
    const handle = await fs.open(tmp, 'w');
    try {
      const head = { version: VERSION, dataset: this.dataset, source: this.source };
      await handle.write(`${JSON.stringify(head).slice(0, -1)},"entries":[`);
      for (let start = 0; start < this.rows.length; start += WRITE_BATCH) {
        const batch = this.rows.slice(start, start + WRITE_BATCH).map((row) => JSON.stringify(row));
        await handle.write((start === 0 ? '' : ',') + batch.join(','));
      }
      await handle.write(']}');
    } finally {
      await handle.close();
    }
  }

  private async write(file: string): Promise<void> {
    if (!this.sorted) {
      sortByPath(this.rows.map((row) => ({ path: row[0], row }))).forEach((item, i) => (this.rows[i] = item.row));
      this.sorted = true;
    }
    await fs.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${randomUUID()}.tmp`;
    try {
      await this.writeBody(tmp);
      await fs.rename(tmp, file);
    } catch (error) {
      await fs.rm(tmp, { force: true });
      throw error;
    }
  }
}
