/**
 * Batches captured requests and feedback labels into NDJSON objects in the store, under
 * `endpoints/<endpoint>/<kind>/<yyyy-mm-dd>/<hh>/<time>-<rand>.ndjson`. A batch is written when
 * it reaches its size, when its oldest record has waited long enough, and on `close()`.
 * Memory is bounded: past `maxBufferedRecords` (buffered plus being written) new records are
 * dropped and counted, so a slow store never grows the gateway without limit.
 */
import { randomBytes } from 'node:crypto';
import type { BlobStore } from '../activities/storage/types';
import type { GatewayMetrics } from './metrics';

export type CaptureKind = 'capture' | 'feedback';

export interface CaptureWriterOptions {
  store: BlobStore;
  metrics: GatewayMetrics;
  /** @default 10_000 */
  maxBufferedRecords?: number;
  /** Concurrent store writes. @default 4 */
  maxConcurrentWrites?: number;
  /** Called with a line describing a failed write (after retries). */
  log?: (line: string) => void;
}

interface Batch {
  endpoint: string;
  kind: CaptureKind;
  lines: string[];
  firstAt: number;
  maxBatch: number;
  flushMs: number;
}

const WRITE_ATTEMPTS = 3;

export class CaptureWriter {
  private readonly batches = new Map<string, Batch>();
  private readonly queue: Batch[] = [];
  private readonly writing = new Set<Promise<void>>();
  private pending = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly maxBuffered: number;
  private readonly maxWrites: number;

  constructor(private readonly opts: CaptureWriterOptions) {
    this.maxBuffered = opts.maxBufferedRecords ?? 10_000;
    this.maxWrites = opts.maxConcurrentWrites ?? 4;
    this.timer = setInterval(() => this.flushDue(Date.now()), 250);
    this.timer.unref();
  }

  /**
   * Adds records to the endpoint's batch of `kind`; returns how many were accepted (the rest
   * were dropped because too much is already waiting for the store).
   */
  add(
    endpoint: string,
    kind: CaptureKind,
    records: object[],
    settings: { maxBatch: number; flushSeconds: number },
  ): number {
    const room = Math.max(0, this.maxBuffered - this.pending);
    const accepted = records.slice(0, room);
    const dropped = records.length - accepted.length;
    if (dropped > 0) this.opts.metrics.count('mlops_gateway_capture_dropped_total', { endpoint, kind }, dropped);
    if (accepted.length === 0) return 0;
    const key = `${kind}\n${endpoint}`;
    let batch = this.batches.get(key);
    if (!batch) {
      batch = { endpoint, kind, lines: [], firstAt: Date.now(), maxBatch: 0, flushMs: 0 };
      this.batches.set(key, batch);
    }
    batch.maxBatch = settings.maxBatch;
    batch.flushMs = settings.flushSeconds * 1000;
    for (const record of accepted) batch.lines.push(JSON.stringify(record));
    this.pending += accepted.length;
    if (batch.lines.length >= batch.maxBatch) this.enqueue(key, batch);
    return accepted.length;
  }

  /** Records waiting or being written. */
  get buffered(): number {
    return this.pending;
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
      const write: Promise<void> = this.write(batch).finally(() => {
        this.writing.delete(write);
        this.pending -= batch.lines.length;
        this.pump();
      });
      this.writing.add(write);
    }
  }

  private async write(batch: Batch): Promise<void> {
    const key = captureKey(batch.endpoint, batch.kind, new Date(batch.firstAt));
    const body = batch.lines.join('\n') + '\n';
    for (let attempt = 1; ; attempt++) {
      try {
        await this.opts.store.put(key, body, {
          contentType: 'application/x-ndjson',
          ...(batch.kind === 'capture' && { tags: CAPTURE_TAGS }),
        });
        this.opts.metrics.count(
          'mlops_gateway_capture_records_total',
          { endpoint: batch.endpoint, kind: batch.kind },
          batch.lines.length,
        );
        return;
      } catch (err) {
        if (attempt >= WRITE_ATTEMPTS) {
          const labels = { endpoint: batch.endpoint, kind: batch.kind };
          this.opts.metrics.count('mlops_gateway_capture_dropped_total', labels, batch.lines.length);
          this.opts.metrics.count('mlops_gateway_capture_write_errors_total', labels);
          this.opts.log?.(
            `capture: could not write ${key} (${(err as Error).message}); dropped ${batch.lines.length} records`,
          );
          return;
        }
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
  }
}

/**
 * Tags on captured request batches (not on feedback labels): the bucket's lifecycle rule expires
 * objects with them (infra/terraform/storage.tf), one rule for every endpoint.
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
