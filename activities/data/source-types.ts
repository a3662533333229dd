/** The interface every snapshot source implements (./source.ts picks one). */
import type { Readable } from 'node:stream';

/** One file found by a scan. */
export interface SourceEntry {
  /** Relative to the source root, `/`-separated. */
  path: string;
  size: number;
  /** Identifies this version of the file without reading it (the stat cache key). */
  stamp: string;
  /** Where to read it: an absolute file path, or a key of the source store. */
  location: string;
}

/** What a file's bytes must be when it is read again: as hashed, or as the stat cache recorded. */
export interface ExpectedContent {
  digest: string;
  size: number;
  /** The stamp of the version hashed. */
  stamp: string;
  /**
   * Whether an unchanged stamp proves unchanged bytes, so the digest may be cached and a re-read
   * checked by stamp alone (false for a file modified a moment ago, which may change within one tick).
   */
  stable: boolean;
}

/** A file read and hashed. */
export interface HashedEntry extends ExpectedContent {
  /** The bytes hashed, for small files: uploading them needs no second read. */
  bytes?: Buffer;
}

export interface HashOptions {
  keepBytes: number;
  /** The whole snapshot has little to hash: do it on this thread rather than start hashing threads. */
  inline: boolean;
}

export interface ScanOptions {
  /** More files than this fail the scan with `SnapshotTooLarge` (./limits.ts). @default DEFAULT_MAX_SNAPSHOT_FILES */
  maxFiles?: number;
}

export interface DatasetSource {
  /** Names the source in manifests and stat caches: an absolute folder path or a URI. */
  readonly id: string;
  /**
   * Every entry's stamp is its sha256 digest (an upload, ./upload-source.ts): nothing to hash, and
   * no stat cache to keep.
   */
  readonly stampIsDigest?: boolean;
  /** Every file, sorted by path in byte order; `SnapshotTooLarge` past `options.maxFiles`. */
  scan(options?: ScanOptions): Promise<SourceEntry[]>;
  /** Reads and hashes one file, keeping its bytes when it is at most `options.keepBytes` long. */
  hash(entry: SourceEntry, options: HashOptions): Promise<HashedEntry>;
  /** Streams one file; the stream fails (retryably) if its bytes may differ from `expected`. */
  read(entry: SourceEntry, expected: ExpectedContent): Promise<Readable>;
  close(): Promise<void>;
}
