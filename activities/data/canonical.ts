/**
 * The canonical form of a snapshot, from which its id is computed:
 *
 *   id = sha256( UTF-8( JSON.stringify([[path, sha256, size], ...]) ) )   as lowercase hex
 *
 * with one `[path, sha256, size]` triple per file, sorted by path in UTF-8 byte order, paths
 * relative to the source root with `/` separators, `sha256` the lowercase hex digest of the body,
 * `size` its length in bytes as a JSON integer, and no whitespace anywhere. Creation time, parent,
 * description and source are left out, so identical content always gives the identical id.
 * For paths of printable characters the same bytes come from
 * `jq -cj '[.files[] | [.path, .sha256, .size]]' manifest.json | sha256sum`.
 *
 * The digest is computed incrementally (`CanonicalDigest`), one triple at a time, so a manifest of a
 * million files is never serialized into one string: the bytes hashed are the same.
 */
import { createHash } from 'node:crypto';
import type { ManifestEntry } from './types';

/** Characters where UTF-16 code-unit order differs from UTF-8 byte (code point) order. */
const NON_BMP_ORDER = /[\uD800-\uFFFF]/;

/** Compares two paths in UTF-8 byte order. */
export function comparePaths(a: string, b: string): number {
  if (NON_BMP_ORDER.test(a) || NON_BMP_ORDER.test(b)) return Buffer.compare(Buffer.from(a), Buffer.from(b));
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sorts items by their path in UTF-8 byte order, in place. */
export function sortByPath<T extends { path: string }>(items: T[]): T[] {
  const compare = comparatorFor(items);
  return items.sort((a, b) => compare(a.path, b.path));
}

/** The cheapest comparator that orders these paths by UTF-8 bytes (code units agree unless a path holds U+D800 and above). */
function comparatorFor(items: readonly { path: string }[]): (a: string, b: string) => number {
  if (items.some((item) => NON_BMP_ORDER.test(item.path))) return comparePaths;
  return (a, b) => (a < b ? -1 : a > b ? 1 : 0);
}

/** The canonical serialization of a file list (sorted first if needed); see the module comment. */
export function canonicalManifest(files: readonly ManifestEntry[]): string {
  const sorted = isSorted(files) ? files : sortByPath([...files]);
  return JSON.stringify(sorted.map((file) => [file.path, file.sha256, file.size]));
}

/** The snapshot id of a file list: the sha256 of its canonical serialization. */
export function snapshotIdOf(files: readonly ManifestEntry[]): string {
  const digest = new CanonicalDigest();
  for (const file of isSorted(files) ? files : sortByPath([...files])) digest.add(file.path, file.sha256, file.size);
  return digest.hex();
}

/** Triples hashed per `update` call: fewer native calls, and only a small string at a time. */
const DIGEST_BATCH = 512;

/**
 * The sha256 of a canonical file list fed one file at a time, in path order: the same bytes as
 * `canonicalManifest`, `[` + the triples joined by `,` + `]`, without holding the list.
 */
export class CanonicalDigest {
  private readonly hash = createHash('sha256');
  private readonly pending: string[] = [];
  private count = 0;
  /** Whether some triples were hashed already (the next batch then starts with a comma). */
  private drained = false;

  /** Hashes with `prefix` before the list (an upload's dataset line). */
  constructor(prefix = '') {
    this.hash.update(`${prefix}[`);
  }

  /** Files added so far. */
  get size(): number {
    return this.count;
  }

  /** Adds the next file (callers add in path order). */
  add(path: string, sha256: string, size: number): void {
    this.pending.push(canonicalLine(path, sha256, size));
    this.count++;
    if (this.pending.length >= DIGEST_BATCH) this.drain();
  }

  /** Adds an entry already in its canonical form (a line of a manifest chunk). */
  addLine(line: string): void {
    this.pending.push(line);
    this.count++;
    if (this.pending.length >= DIGEST_BATCH) this.drain();
  }

  /** The lowercase hex digest; the object is spent after this. */
  hex(): string {
    this.drain();
    return this.hash.update(']').digest('hex');
  }

  private drain(): void {
    if (this.pending.length === 0) return;
    const joined = this.pending.join(',');
    this.hash.update(this.drained ? `,${joined}` : joined);
    this.pending.length = 0;
    this.drained = true;
  }
}

/** One file in canonical form: `["path","sha256",size]`. */
export function canonicalLine(path: string, sha256: string, size: number): string {
  return JSON.stringify([path, sha256, size]);
}

/** JSON with object keys sorted at every level, so equal values always serialize to equal bytes. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

/** The lowercase hex sha256 of a string's UTF-8 bytes or of bytes. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function isSorted(files: readonly ManifestEntry[]): boolean {
  const compare = comparatorFor(files);
  for (let i = 1; i < files.length; i++) {
    if (compare(files[i - 1]!.path, files[i]!.path) >= 0) return false;
  }
  return true;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = sortKeys(v);
  }
  return out;
}
