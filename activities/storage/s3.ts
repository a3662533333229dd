/**
 * `S3BlobStore`: objects in a bucket under a key prefix, on AWS S3 or any S3 API (MinIO, R2 …;
 * set `endpoint` and `forcePathStyle` for those).
 *
 * - Bodies stream through `@aws-sdk/lib-storage`'s `Upload`: one PutObject up to `partSize`,
 *   multipart above it (the multipart upload is aborted on failure), with memory bounded by about
 *   `queueSize` parts whatever the object's size. Conditions ride on the request that makes the
 *   object visible (PutObject or CompleteMultipartUpload).
 * - Etags are S3's, without the quotes; they change whenever the content does.
 * - Conditional writes are S3 conditional requests: `If-None-Match: *` (create only) and
 *   `If-Match: <etag>` (compare-and-swap). 412 means the condition did not hold; 409 means a
 *   concurrent conditional write was in flight (retried when the body is in memory, otherwise
 *   reported as a lost race after re-reading the object).
 * - 403 (a wrong key or secret, or no permission; on a HEAD a bare `UnknownError`) is thrown as
 *   `StoreAccessDeniedError`, not retried, naming the endpoint, the bucket and the access key id.
 * - Everything else (network, throttling, 5xx) is thrown as is: activities retry.
 * - Bodies in memory up to `partSize` go out as one PutObject, without `Upload`'s machinery.
 * - `openBatch`: a put is durable when S3 answers, so the batch is the plain conditional put,
 *   minus the round trips a content-addressed body does not need: a body in memory is sent
 *   straight away with `If-None-Match: *` (a 412 reads as "already there", no HEAD after it);
 *   a streamed (large) one is asked for with HEAD first, so a present body is not sent again.
 */
import {
  DeleteObjectCommand,
  PutObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { NotFoundError, StoreAccessDeniedError } from '../../common/failures';
import { discardBody, isReplayable, readAll, toBuffer, toReadable } from './body';
import { validateKey, validatePrefix } from './keys';
import { errorCode, isAccessDenied, isConditionalConflict, isNotFound, isPreconditionFailed } from './s3-errors';
import { Upload } from '@aws-sdk/lib-storage';
import type {
  BlobBatch,
  BlobStore,
  Body,
  CompareAndSwapResult,
  ObjectInfo,
  PutIfAbsentResult,
  PutOptions,
} from './types';

export interface S3BlobStoreOptions {
  bucket: string;
  /** Key prefix inside the bucket ('' for the whole bucket); keys are relative to it. @default '' */
  prefix?: string;
  /** A client to share; otherwise one is made from `clientConfig` (and closed by `destroy`). */
  client?: S3Client;
  clientConfig?: S3ClientConfig;
  /** @default s3://<bucket>/<prefix> */
  uri?: string;
  /** Keys per ListObjectsV2 page. @default 1000 */
  pageSize?: number;
  /** Multipart part size in bytes (at least 5 MiB; objects up to 10,000 parts). @default 8 MiB */
  partSize?: number;
  /** Parts uploaded at once; memory stays near a few `partSize`s. @default 2 */
  queueSize?: number;
  /**
   * For a client made here: how long a connection may take to open, and a socket may stay silent
   * mid-request, before the request fails (and is retried). Without them a store that stops
   * answering without closing connections would hang an activity that keeps heartbeating.
   * @default { connectMs: 10_000, idleMs: 120_000 }
   */
  timeouts?: { connectMs?: number; idleMs?: number };
}

type Condition = { IfNoneMatch: '*' } | { IfMatch: string };
/** Not written: the condition did not hold (412), or a concurrent conditional write won (409). */
type ConditionalOutcome = { written: true; etag: string } | { written: false; conflict: boolean };

const CONFLICT_RETRIES = 5;
const MiB = 1024 * 1024;
const MIN_PART_SIZE = 5 * MiB;
const DEFAULT_PART_SIZE = 8 * MiB;

/** A `BlobStore` on a bucket and key prefix of an S3 API. */
export class S3BlobStore implements BlobStore {
  readonly uri: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly client: S3Client;
  private readonly ownsClient: boolean;
  private readonly base: string;
  private readonly pageSize: number;
  private readonly partSize: number;
  private readonly queueSize: number;
  private readonly endpointLabel?: string;

  constructor(options: S3BlobStoreOptions) {
    this.bucket = options.bucket;
    this.prefix = (options.prefix ?? '').replace(/^\/+|\/+$/g, '');
    if (this.prefix !== '') validateKey(this.prefix);
    this.base = this.prefix === '' ? '' : `${this.prefix}/`;
    this.uri = options.uri ?? `s3://${this.bucket}${this.prefix === '' ? '' : `/${this.prefix}`}`;
    this.ownsClient = options.client === undefined;
    this.client =
      options.client ??
      new S3Client({
        requestHandler: {
          connectionTimeout: options.timeouts?.connectMs ?? 10_000,
          socketTimeout: options.timeouts?.idleMs ?? 120_000,
        },
        ...options.clientConfig,
      });
    this.pageSize = Math.min(1000, Math.max(1, options.pageSize ?? 1000));
    this.partSize = Math.max(MIN_PART_SIZE, options.partSize ?? DEFAULT_PART_SIZE);
    this.queueSize = options.queueSize ?? 2;
    const endpoint = options.clientConfig?.endpoint;
    if (typeof endpoint === 'string') this.endpointLabel = maskUserinfo(endpoint);
  }

  /** Closes the client's connections if this store made the client. */
  destroy(): void {
    if (this.ownsClient) this.client.destroy();
  }

  /** Streams an object's body; throws `NotFoundError` when absent. */
  async get(key: string): Promise<Readable> {
    const Key = this.objectKey(key);
    try {
      const out = await this.call('GetObject', () =>
        this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key })),
      );
      if (out.Body instanceof Readable) return out.Body;
      if (out.Body === undefined) return Readable.from([]);
      throw new Error(`GetObject ${Key}: unexpected body type ${typeof out.Body}`);
    } catch (error) {
      if (isNotFound(error)) throw new NotFoundError(key);
      throw error;
    }
  }

  /** Reads a whole (small) object; throws `NotFoundError` when absent. */
  async getBytes(key: string): Promise<Buffer> {
    return readAll(await this.get(key));
  }

  /** Writes an object (multipart above `partSize`), replacing any previous body. */
  async put(key: string, body: Body, options?: PutOptions): Promise<{ etag: string }> {
    return { etag: await this.upload(this.objectKey(key), body, options) };
  }

  /** Object metadata, or `undefined` when absent. */
  async head(key: string): Promise<ObjectInfo | undefined> {
    const Key = this.objectKey(key);
    try {
      const out = await this.call('HeadObject', () =>
        this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key })),
      );
      return {
        key,
        size: out.ContentLength ?? 0,
        etag: unquote(out.ETag),
        lastModified: out.LastModified ?? new Date(0),
      };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Objects whose key starts with `prefix`, in key order, one ListObjectsV2 page at a time. */
  list(prefix: string): AsyncIterable<ObjectInfo> {
    validatePrefix(prefix);
    return this.listPages(prefix);
  }

  /** Deletes an object; deleting an absent object is not an error. */
  async delete(key: string): Promise<void> {
    const Key = this.objectKey(key);
    await this.call('DeleteObject', () => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key })));
  }

  /** Writes only if no object exists at `key` (If-None-Match: *). */
  async putIfAbsent(key: string, body: Body, options?: PutOptions): Promise<PutIfAbsentResult> {
    const outcome = await this.conditionalPut(key, body, options, { IfNoneMatch: '*' });
    if (outcome.written) return { created: true, etag: outcome.etag };
    const current = await this.head(key);
    if (current) return { created: false, etag: current.etag };
    // Refused because of a concurrent write that has since disappeared: let the caller retry.
    throw new Error(`putIfAbsent ${key}: a concurrent write interfered and the object is gone; retry`);
  }

  /** Replaces the object only if its etag is still `expectedEtag` (If-Match), or if absent when `null`. */
  async compareAndSwap(
    key: string,
    expectedEtag: string | null,
    body: Body,
    options?: PutOptions,
  ): Promise<CompareAndSwapResult> {
    const condition: Condition = expectedEtag === null ? { IfNoneMatch: '*' } : { IfMatch: `"${expectedEtag}"` };
    const outcome = await this.conditionalPut(key, body, options, condition);
    if (outcome.written) return { swapped: true, etag: outcome.etag };
    const current = await this.head(key);
    return { swapped: false, currentEtag: current?.etag ?? null };
  }

  /** Content-addressed puts with no round trip a present or absent body does not need; see the module comment. */
  openBatch(): BlobBatch {
    return {
      putsAreDurable: true,
      putIfAbsent: (key, body) => this.putContentIfAbsent(key, body),
      commit: async () => undefined,
      abort: async () => undefined,
    };
  }

  private async putContentIfAbsent(key: string, body: Body | (() => Promise<Body>)): Promise<{ created: boolean }> {
    if (typeof body === 'function' || !isReplayable(body)) {
      if (await this.head(key)) {
        if (typeof body !== 'function') discardBody(body);
        return { created: false };
      }
    }
    const outcome = await this.conditionalPut(key, typeof body === 'function' ? await body() : body, undefined, {
      IfNoneMatch: '*',
    });
    if (outcome.written || !outcome.conflict) return { created: outcome.written };
    // A concurrent write of the same body was in flight: it counts only once it is there.
    if (await this.head(key)) return { created: false };
    throw new Error(`putIfAbsent ${key}: a concurrent write interfered and the object is gone; retry`);
  }

  private objectKey(key: string): string {
    return this.base + validateKey(key);
  }

  private async *listPages(prefix: string): AsyncGenerator<ObjectInfo> {
    let token: string | undefined;
    do {
      const page = await this.call('ListObjectsV2', () =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.base + prefix,
            MaxKeys: this.pageSize,
            ContinuationToken: token,
          }),
        ),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined || !object.Key.startsWith(this.base)) continue;
        const key = object.Key.slice(this.base.length);
        if (key === '' || key.endsWith('/')) continue; // folder placeholders made by other tools
        yield {
          key,
          size: object.Size ?? 0,
          etag: unquote(object.ETag),
          lastModified: object.LastModified ?? new Date(0),
        };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  /** A conditional upload; `written: false` when the condition failed (or lost to a concurrent write). */
  private async conditionalPut(
    key: string,
    body: Body,
    options: PutOptions | undefined,
    condition: Condition,
  ): Promise<ConditionalOutcome> {
    const Key = this.objectKey(key);
    for (let attempt = 1; ; attempt++) {
      try {
        return { written: true, etag: await this.upload(Key, body, options, condition) };
      } catch (error) {
        // If-Match on an absent object is a 404 on AWS and a 412 on MinIO: either way, not written.
        if (isPreconditionFailed(error) || ('IfMatch' in condition && isNotFound(error))) {
          return { written: false, conflict: false };
        }
        if (!isConditionalConflict(error)) throw error;
        if (!isReplayable(body) || attempt >= CONFLICT_RETRIES) return { written: false, conflict: true };
        await sleep(10 * attempt * (0.5 + Math.random()));
      }
    }
  }

  /** Writes `body` to `Key` (full object key) and returns the new etag. */
  private async upload(Key: string, body: Body, options?: PutOptions, condition?: Condition): Promise<string> {
    const Tagging = options?.tags ? new URLSearchParams(options.tags).toString() : undefined;
    const target = {
      client: this.client,
      Bucket: this.bucket,
      Key,
      ContentType: options?.contentType,
      ...(Tagging && { Tagging }),
      ...condition,
    };
    const { client, ...params } = target;
    if (isReplayable(body) && toBuffer(body).length <= this.partSize) {
      try {
        const out = await client.send(new PutObjectCommand({ ...params, Body: toBuffer(body) }));
        return unquote(out.ETag);
      } catch (error) {
        throw await this.accessDenied(error, 'PutObject');
      }
    }
    const upload = new Upload({
      client,
      params: { ...params, Body: isReplayable(body) ? toBuffer(body) : toReadable(body) },
      partSize: this.partSize,
      queueSize: this.queueSize,
      leavePartsOnError: false,
    });
    try {
      const out = await upload.done();
      return unquote(out.ETag);
    } catch (error) {
      throw await this.accessDenied(error, 'PutObject');
    }
  }

  /** One S3 request, with a refusal of the credentials turned into `StoreAccessDeniedError`. */
  private async call<T>(operation: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw await this.accessDenied(error, operation);
    }
  }

  /** `StoreAccessDeniedError` for a 403, naming endpoint, bucket and key id (never the secret); else `error`. */
  private async accessDenied(error: unknown, operation: string): Promise<unknown> {
    if (!isAccessDenied(error)) return error;
    const code = errorCode(error);
    return new StoreAccessDeniedError({
      endpoint: await this.endpointName(),
      bucket: this.bucket,
      accessKeyId: await this.accessKeyId(),
      operation,
      ...(code ? { code } : {}),
    });
  }

  private async endpointName(): Promise<string> {
    if (this.endpointLabel) return this.endpointLabel;
    try {
      const resolved = await this.client.config.endpoint?.();
      if (resolved) {
        const port = resolved.port ? `:${resolved.port}` : '';
        return maskUserinfo(
          `${resolved.protocol}//${resolved.hostname}${port}${resolved.path ?? ''}`.replace(/\/$/, ''),
        );
      }
      return `AWS S3 (${await this.client.config.region()})`;
    } catch {
      return 'unknown';
    }
  }

  private async accessKeyId(): Promise<string> {
    try {
      return (await this.client.config.credentials()).accessKeyId || 'unknown';
    } catch {
      return 'unknown';
    }
  }
}

function maskUserinfo(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1***@');
}

function unquote(etag: string | undefined): string {
  return (etag ?? '').replace(/^"|"$/g, '');
}
