/**
 * Manifests of large snapshots, written and read in chunks so that no step holds the whole file
 * list as one JSON document.
 *
 * A snapshot's manifest object (`datasets/<name>/snapshots/<id>.json`) stays the one immutable
 * thing its id names. Up to `MANIFEST_CHUNK_ENTRIES` files it is one document with `files`, as
 * always. Past that it is a header (id, counts, bytes, parent, profile key, description, source,
 * creation time) with `chunks`: the list of chunk objects, `datasets/<name>/manifest-chunks/<sha256>.ndjson`,
 * each at most `MANIFEST_CHUNK_ENTRIES` lines `["path","sha256",size]` (the canonical triple of
 * ./canonical.ts) in path order, named by the sha256 of its bytes. The id is the same as the
 * single-document form's: the sha256 of the canonical file list, computed line by line.
 *
 * Reading checks everything the single-document check covers: each chunk's bytes against the
 * digest the header lists (a tampered chunk is `SnapshotCorrupt` before any of its entries is
 * used), every entry's shape, strict path order across chunks, and at the end that the lines hash
 * to the id and add up to the header's counts.
 */
import type { BlobStore } from '../storage/types';
import { NotFoundError, DataError } from '../../common/failures';
import { CanonicalDigest, canonicalLine, comparePaths, sha256Hex } from './canonical';
import { datasetKeys, isDigest } from './keys';
import type { ManifestChunkRef, ManifestEntry, ManifestHeader } from './types';

/** Files per chunk, and the most a single-document manifest holds. */
export const MANIFEST_CHUNK_ENTRIES = 20_000;

const json = { contentType: 'application/json' };
const ndjson = { contentType: 'application/x-ndjson' };

/**
 * Writes a manifest as its files arrive in path order: each chunk as soon as it is full, the
 * header (or, up to `chunkEntries` files, the one document) at `finish`. It holds at most one
 * chunk of entries, and computes the id on the way (`CanonicalDigest`). Chunks are
 * content-addressed and nothing names them until the header is written, so chunks of a snapshot
 * that is never finished are harmless, and a retry writes the same ones again.
 */
export class ManifestWriter {
  private pending: ManifestEntry[] = [];
  private readonly chunks: ManifestChunkRef[] = [];
  private readonly digest = new CanonicalDigest();
  private bytes = 0;
  private previous: string | undefined;
  private finalId: string | undefined;

  constructor(
    private readonly store: BlobStore,
    private readonly dataset: string,
    private readonly chunkEntries = MANIFEST_CHUNK_ENTRIES,
  ) {}

  get fileCount(): number {
    return this.digest.size;
  }

  get totalBytes(): number {
    return this.bytes;
  }

  /** Adds the next files (after every file added before, in path order); writes the chunks they fill. */
  async add(files: readonly ManifestEntry[]): Promise<void> {
    for (const file of files) {
      if (this.previous !== undefined && comparePaths(this.previous, file.path) >= 0) {
        throw new Error(`manifest writer: ${JSON.stringify(file.path)} is out of path order`);
      }
      this.previous = file.path;
      this.digest.add(file.path, file.sha256, file.size);
      this.bytes += file.size;
      this.pending.push(file);
      // one more than a chunk: the manifest is chunked, and the first chunk of `pending` is final
      if (this.pending.length > this.chunkEntries) await this.writeChunk(this.pending.splice(0, this.chunkEntries));
    }
  }

  /** The snapshot id of the files added; call once, after the last `add`. */
  id(): string {
    return (this.finalId ??= this.digest.hex());
  }

  /** Writes the manifest (the last chunk, then the header) unless one with this id exists; `created` when this call wrote it. */
  async finish(header: Omit<ManifestHeader, 'chunks'>): Promise<{ header: ManifestHeader; created: boolean }> {
    const key = datasetKeys.manifest(header.dataset, header.id);
    if (this.chunks.length === 0) {
      const put = await this.store.putIfAbsent(key, JSON.stringify({ ...header, files: this.pending }), json);
      return { header, created: put.created };
    }
    if (this.pending.length > 0) await this.writeChunk(this.pending.splice(0));
    const chunked: ManifestHeader = { ...header, chunks: this.chunks };
    const put = await this.store.putIfAbsent(key, JSON.stringify(chunked), json);
    return { header: chunked, created: put.created };
  }

  private async writeChunk(files: readonly ManifestEntry[]): Promise<void> {
    const body = files.map((file) => canonicalLine(file.path, file.sha256, file.size)).join('\n') + '\n';
    const sha256 = sha256Hex(body);
    await this.store.putIfAbsent(datasetKeys.manifestChunk(this.dataset, sha256), body, ndjson);
    this.chunks.push({ sha256, count: files.length });
  }
}

/**
 * Writes the manifest of `files` (sorted by path) unless one with this id exists: one document up
 * to `chunkEntries` files, else its chunks first and the header last. `created` when this call wrote it.
 */
export async function putManifest(
  store: BlobStore,
  header: Omit<ManifestHeader, 'chunks'>,
  files: readonly ManifestEntry[],
  chunkEntries = MANIFEST_CHUNK_ENTRIES,
): Promise<{ header: ManifestHeader; created: boolean }> {
  const writer = new ManifestWriter(store, header.dataset, chunkEntries);
  await writer.add(files);
  return writer.finish(header);
}

/**
 * The entries of a chunked manifest, one chunk per batch, in path order, each chunk verified as
 * the module comment says (the next chunk is fetched while the caller works on this one).
 */
export async function* chunkedEntries(store: BlobStore, header: ManifestHeader): AsyncGenerator<ManifestEntry[]> {
  const key = datasetKeys.manifest(header.dataset, header.id);
  const corrupt = (why: string) => new DataError('SnapshotCorrupt', `manifest ${key} is corrupt: ${why}`, { key });
  const chunks = header.chunks ?? [];
  const digest = new CanonicalDigest();
  let previous: string | undefined;
  let bytes = 0;
  const fetch = (index: number): Promise<Buffer> | undefined => {
    const chunk = chunks[index];
    if (!chunk) return undefined;
    const chunkKey = datasetKeys.manifestChunk(header.dataset, chunk.sha256);
    const read = store.getBytes(chunkKey).catch((error: unknown) => {
      if (error instanceof NotFoundError) throw corrupt(`its chunk ${chunkKey} is missing`);
      throw error;
    });
    void read.catch(() => undefined); // awaited in order below
    return read;
  };
  let next = fetch(0);
  for (let index = 0; index < chunks.length; index++) {
    const body = await next!;
    next = fetch(index + 1);
    const chunk = chunks[index]!;
    if (sha256Hex(body) !== chunk.sha256)
      throw corrupt(`chunk ${index + 1} (${chunk.sha256}) does not match its digest`);
    const lines = body.toString('utf8').split('\n');
    if (lines.pop() !== '') throw corrupt(`chunk ${index + 1} does not end with a newline`);
    if (lines.length !== chunk.count) throw corrupt(`chunk ${index + 1} has ${lines.length} files, not ${chunk.count}`);
    const entries: ManifestEntry[] = new Array<ManifestEntry>(lines.length);
    for (let i = 0; i < lines.length; i++) {
      const entry = parseLine(lines[i]!);
      if (!entry) throw corrupt(`chunk ${index + 1} line ${i + 1} is not a file entry`);
      if (previous !== undefined && comparePaths(previous, entry.path) >= 0) {
        throw corrupt(`chunk ${index + 1} line ${i + 1}: ${JSON.stringify(entry.path)} is out of path order`);
      }
      previous = entry.path;
      bytes += entry.size;
      digest.addLine(lines[i]!);
      entries[i] = entry;
    }
    yield entries;
  }
  if (digest.size !== header.fileCount) throw corrupt(`its chunks hold ${digest.size} files, not ${header.fileCount}`);
  if (bytes !== header.totalBytes) throw corrupt(`its chunks hold ${bytes} bytes, not ${header.totalBytes}`);
  if (digest.hex() !== header.id) throw corrupt('its file list does not hash to its id');
}

/** Whether a parsed header's chunk list is well-formed. */
export function isChunkList(value: unknown): value is ManifestChunkRef[] {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every(
      (chunk: Partial<ManifestChunkRef> | null) =>
        typeof chunk === 'object' &&
        chunk !== null &&
        isDigest(chunk.sha256) &&
        Number.isSafeInteger(chunk.count) &&
        chunk.count! > 0,
    )
  );
}

/** A line `["path","sha256",size]` in canonical form, or undefined. */
function parseLine(line: string): ManifestEntry | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || value.length !== 3) return undefined;
  const [path, sha256, size] = value as [unknown, unknown, unknown];
  if (typeof path !== 'string' || !isDigest(sha256) || !Number.isSafeInteger(size) || (size as number) < 0) {
    return undefined;
  }
  // the id covers these exact bytes: a line in any other spelling would hash differently
  if (canonicalLine(path, sha256, size as number) !== line) return undefined;
  return { path, sha256, size: size as number };
}
