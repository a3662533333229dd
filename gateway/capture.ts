/**
 * Batches captured requests and feedback labels into NDJSON objects in the store, under
 * `endpoints/<endpoint>/<kind>/<yyyy-mm-dd>/<hh>/<time>-<rand>.ndjson`. A batch is written when
 * it reaches its size, when its oldest record has waited long enough, and on `close()`.
 *
 * Memory is bounded by bytes: past `maxBufferedBytes` (the serialized records buffered plus those
 * being written) new records are dropped and counted, so a slow or failing store never grows the
 * gateway without limit and never slows serving (`add` is synchronous and never waits). A batch
 * goes to the store as few large pieces, not one piece per record: a batch of up to
 * `WHOLE_BATCH_BYTES` as one buffer (one write into a filesystem store, one PutObject into S3),
 * a larger one as a stream of its lines joined into chunks of about `CHUNK_BYTES`, so memory stays
 * bounded by what is buffered plus one chunk. (A stream of one piece per record made a batch of
 * 100 records 100 writes, each a round trip through the thread pool that woke the event loop
 * between requests: measured in bench/gateway.bench.ts.) Nothing a write or a record does can
 * throw out of this class: a record that cannot be serialized and a batch that cannot be written
 * are counted as dropped, and the gateway goes on.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { BlobStore } from '../activities/storage/types';
import type { GatewayMetrics } from './metrics';

export type CaptureKind = 'capture' | 'feedback';

export interface CaptureWriterOptions {
  store: BlobStore;
  metrics: GatewayMetrics;
  /** Serialized bytes buffered (waiting or being written) at most. @default 64 MiB */
  maxBufferedBytes?: number;
  /** Records buffered at most, whatever their size. @default 100_000 */
  maxBufferedRecords?: number;
  /** Concurrent store writes. @default 4 */
  maxConcurrentWrites?: number;
  /** Called with a line describing a failed write (after retries). */
  log?: (line: string) => void;
}

interface Batch {
  endpoint: string;
  kind: CaptureKind;
  lines: Buffer[];
  bytes: number;
  firstAt: number;
  maxBatch: number;
  flushMs: number;
}

const WRITE_ATTEMPTS = 3;
/** Batches up to this size are written as one buffer. */
export const WHOLE_BATCH_BYTES = 1024 * 1024;
/** Larger batches are streamed in chunks of about this size (a line longer than it is a chunk of its own). */
export const CHUNK_BYTES = 64 * 1024;
/** Default of `maxBufferedBytes`. */
export const DEFAULT_CAPTURE_BUFFER_BYTES = 64 * 1024 * 1024;

export class CaptureWriter {
  private readonly batches = new Map<string, Batch>();
  private readonly queue: Batch[] = [];
  private readonly writing = new Set<Promise<void>>();
  private pendingRecords = 0;
  private pendingBytes = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly maxBytes: number;
  private readonly maxRecords: number;
  private readonly maxWrites: number;

  constructor(private readonly opts: CaptureWriterOptions) {
    this.maxBytes = opts.maxBufferedBytes ?? DEFAULT_CAPTURE_BUFFER_BYTES;
    this.maxRecords = opts.maxBufferedRecords ?? 100_000;
    this.maxWrites = opts.maxConcurrentWrites ?? 4;
    this.timer = setInterval(() => this.guard(() => this.flushDue(Date.now())), 250);
    this.timer.unref();
  }

  /**
   * Adds records to the endpoint's batch of `kind`; returns how many were accepted (the rest were
   * dropped and counted because too much is already waiting for the store). Never throws.
   */
  add(
    endpoint: string,
    kind: CaptureKind,
    records: object[],
    settings: { maxBatch: number; flushSeconds: number },
  ): number {
    let accepted = 0;
    try {
      const key = `${kind}\n${endpoint}`;
      let batch: Batch | undefined;
      for (const record of records) {
        const line = serialize(record);
        if (
          line === undefined ||
          this.pendingRecords + 1 > this.maxRecords ||
          this.pendingBytes + line.length > this.maxBytes
        ) {
          continue;
        }
        batch ??= this.batches.get(key);
        if (!batch) {
          batch = { endpoint, kind, lines: [], bytes: 0, firstAt: Date.now(), maxBatch: 0, flushMs: 0 };
          this.batches.set(key, batch);
        }
        batch.lines.push(line);
        batch.bytes += line.length;
        this.pendingRecords += 1;
        this.pendingBytes += line.length;
        accepted += 1;
      }
      if (batch) {
        batch.maxBatch = settings.maxBatch;
        batch.flushMs = settings.flushSeconds * 1000;
        if (batch.lines.length >= batch.maxBatch) this.enqueue(key, batch);
      }
    } catch (err) {
      this.opts.log?.(`capture: could not buffer records for ${endpoint} (${errorText(err)})`);
    }
    const dropped = records.length - accepted;
    if (dropped > 0) this.opts.metrics.count('mlops_gateway_capture_dropped_total', { endpoint, kind }, dropped);
    return accepted;
  }

  /** Records waiting or being written. */
  get buffered(): number {
    return this.pendingRecords;
  }

  /** Serialized bytes waiting or being written. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  /** Writes every batch now and waits until all writes have finished. */
  async flush(): Promise<void> {
    for (const [key, batch] of this.batches) this.enqueue(key, batch);
    while (this.queue.length > 0 || this.writing.size > 0) {
      this.pump();
      await Promise.race(this.writing);
    }
  }

  /** Stops the timer and flushes everything (graceful shutdown). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  private flushDue(now: number): void {
    for (const [key, batch] of this.batches) if (now - batch.firstAt >= batch.flushMs) this.enqueue(key, batch);
  }

  private enqueue(key: string, batch: Batch): void {
    this.batches.delete(key);
    if (batch.lines.length === 0) return;
    this.queue.push(batch);
    this.pump();
  }

  private pump(): void {
    while (this.writing.size < this.maxWrites) {
      const batch = this.queue.shift();
      if (!batch) return;
      const write: Promise<void> = this.write(batch)
        .catch((err: unknown) => this.dropBatch(batch, '(unknown key)', err))
        .finally(() => {
          this.writing.delete(write);
          this.pendingRecords -= batch.lines.length;
          this.pendingBytes -= batch.bytes;
          batch.lines = [];
          this.guard(() => this.pump());
        });
      this.writing.add(write);
    }
  }

  private async write(batch: Batch): Promise<void> {
    const key = captureKey(batch.endpoint, batch.kind, new Date(batch.firstAt));
    for (let attempt = 1; ; attempt++) {
      try {
        await this.opts.store.put(key, batchBody(batch), {
          contentType: 'application/x-ndjson',
          tags: CAPTURE_TAGS,
        });
        this.opts.metrics.count(
          'mlops_gateway_capture_records_total',
          { endpoint: batch.endpoint, kind: batch.kind },
          batch.lines.length,
        );
        return;
      } catch (err) {
        if (attempt >= WRITE_ATTEMPTS) return this.dropBatch(batch, key, err);
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
  }

  private dropBatch(batch: Batch, key: string, err: unknown): void {
    const labels = { endpoint: batch.endpoint, kind: batch.kind };
    this.opts.metrics.count('mlops_gateway_capture_dropped_total', labels, batch.lines.length);
    this.opts.metrics.count('mlops_gateway_capture_write_errors_total', labels);
    this.opts.log?.(`capture: could not write ${key} (${errorText(err)}); dropped ${batch.lines.length} records`);
  }

  private guard(work: () => void): void {
    try {
      work();
    } catch (err) {
      this.opts.log?.(`capture: ${errorText(err)}`);
    }
  }
}

/**
 * The body of a batch: one buffer when small, else a fresh stream of its lines joined into chunks
 * (fresh for every attempt: a stream can be read only once).
 */
export function batchBody(batch: { lines: Buffer[]; bytes: number }): Buffer | Readable {
  if (batch.bytes <= WHOLE_BATCH_BYTES) return Buffer.concat(batch.lines, batch.bytes);
  return Readable.from(chunks(batch.lines), { objectMode: false });
}

/** `lines` joined into buffers of about `CHUNK_BYTES`, one at a time. */
function* chunks(lines: Buffer[]): Generator<Buffer> {
  let group: Buffer[] = [];
  let size = 0;
  for (const line of lines) {
    if (size > 0 && size + line.length > CHUNK_BYTES) {
      yield Buffer.concat(group, size);
      group = [];
      size = 0;
    }
    group.push(line);
    size += line.length;
  }
  if (size > 0) yield Buffer.concat(group, size);
}

/** One NDJSON line of `record`, or `undefined` when it cannot be serialized (too big, a cycle). */
function serialize(record: object): Buffer | undefined {
  try {
    return Buffer.from(JSON.stringify(record) + '\n', 'utf8');
  } catch {
    return undefined;
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Tags on captured request and feedback batches: the bucket's lifecycle rule expires objects with
 * them (infra/terraform/storage.tf), one rule for every endpoint, so labels do not outlive the
 * requests they label.
 */
export const CAPTURE_TAGS: Readonly<Record<string, string>> = { 'mlops-data': 'capture' };

/** `endpoints/<endpoint>/<kind>/<yyyy-mm-dd>/<hh>/<time>-<rand>.ndjson` for a batch started at `at` (UTC). */
export function captureKey(endpoint: string, kind: CaptureKind, at: Date): string {
  const iso = at.toISOString(); // 2026-01-02T03:04:05.678Z
  const day = iso.slice(0, 10);
  const hour = iso.slice(11, 13);
  const time = iso.slice(11, 23).replace(/[:.]/g, '');
  return `endpoints/${endpoint}/${kind}/${day}/${hour}/${time}-${randomBytes(4).toString('hex')}.ndjson`;
}
