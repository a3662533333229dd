/**
 * `BlobStore`: the object store every activity reads and writes through. Keys are relative,
 * slash-separated paths (see ./keys.ts); implementations: ./filesystem.ts and ./s3.ts, picked by
 * ./index.ts from config. One contract test suite (test/storage/) runs against both.
 */
import type { Readable } from 'node:stream';

/** What `head` and `list` report about one object. */
export interface ObjectInfo {
  key: string;
  size: number;
  /**
   * Opaque version tag derived from the content (sha256 on the filesystem, S3's ETag on S3): it
   * changes whenever the body changes; rewriting identical bytes may keep it. Used for compare-and-swap.
   */
  etag: string;
  lastModified: Date;
}

export type Body = Readable | Buffer | Uint8Array | string;

export interface PutOptions {
  contentType?: string;
  /**
   * Object tags, e.g. for lifecycle rules (S3 object tagging, sent with the write itself). The
   * filesystem store keeps none.
   */
  tags?: Readonly<Record<string, string>>;
}

/** Result of `putIfAbsent`: whether this call created the object. */
export type PutIfAbsentResult = { created: true; etag: string } | { created: false; etag: string };

/** Result of `compareAndSwap`: the new etag, or the current one when the caller lost the race. */
export type CompareAndSwapResult = { swapped: true; etag: string } | { swapped: false; currentEtag: string | null };

/**
 * Writes of content-addressed bodies (a body's key names its sha256, so whatever is at the key is
 * that body) made durable together rather than one by one: a snapshot opens one, puts every new
 * body into it, and commits it before writing anything that names those bodies. The invariant:
 * an object at its key is always complete and durable; a body put into a batch reaches its key
 * only when `commit` makes it so. A crash before that leaves only the store's staging files,
 * which a later batch removes.
 */
export interface BlobBatch {
  /** Whether each `putIfAbsent` is durable and visible once it resolves (S3), not only after `commit`. */
  readonly putsAreDurable: boolean;
  /**
   * Adds `body` at `key` unless an object is there already (`created: false`, the body is not
   * read; a function body is called only when the body is to be sent). `sha256` is the body's
   * digest, which the caller vouches for (it has hashed the bytes, and a stream body fails when
   * its source changed since).
   */
  putIfAbsent(key: string, body: Body | (() => Promise<Body>), sha256: string): Promise<{ created: boolean }>;
  /** Makes every body put so far durable, then visible at its key; the batch may be used again after. */
  commit(): Promise<void>;
  /** Drops bodies put since the last commit (best effort, never throws). */
  abort(): Promise<void>;
}

export interface BlobStore {
  /** The store's location, e.g. `file:///repo/.mlops/store` or `s3://bucket/prefix`. */
  readonly uri: string;
  /** Streams an object's body; throws `NotFoundError` when absent. */
  get(key: string): Promise<Readable>;
  /** Reads a whole (small) object; throws `NotFoundError` when absent. */
  getBytes(key: string): Promise<Buffer>;
  /** Writes an object (streamed; multipart on S3 for large bodies). Replaces any previous body. */
  put(key: string, body: Body, options?: PutOptions): Promise<{ etag: string }>;
  /** Object metadata, or `undefined` when absent. */
  head(key: string): Promise<ObjectInfo | undefined>;
  /** Objects whose key starts with `prefix`, in key order, paginated lazily. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Deletes an object; deleting an absent object is not an error. */
  delete(key: string): Promise<void>;
  /** Writes only if no object exists at `key` (If-None-Match: *). */
  putIfAbsent(key: string, body: Body, options?: PutOptions): Promise<PutIfAbsentResult>;
  /**
   * Replaces the object only if its etag is still `expectedEtag` (If-Match), or, with
   * `expectedEtag === null`, only if it does not exist yet (If-None-Match: *).
   */
  compareAndSwap(
    key: string,
    expectedEtag: string | null,
    body: Body,
    options?: PutOptions,
  ): Promise<CompareAndSwapResult>;
  /** A batch of content-addressed writes made durable together (see `BlobBatch`); absent: put one by one. */
  openBatch?(): BlobBatch;
}
