/** Helpers for the storage suites: deterministic large bodies, hashing, RSS sampling, a CAS counter. */
import { createCipheriv, createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BlobStore, ObjectInfo } from '../../activities/storage/types';

export const MiB = 1024 * 1024;

/** A stream of `totalBytes` pseudo-random bytes (AES-CTR keystream of `seed`), hashed as it is produced. */
export function pseudoRandomBody(totalBytes: number, seed: string, chunkBytes = MiB) {
  const key = createHash('sha256').update(seed).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(chunkBytes);
  const hash = createHash('sha256');
  let remaining = totalBytes;
  const stream = new Readable({
    read() {
      if (remaining === 0) {
        this.push(null);
        return;
      }
      const chunk = cipher.update(zeros.subarray(0, Math.min(chunkBytes, remaining)));
      hash.update(chunk);
      remaining -= chunk.length;
      this.push(chunk);
    },
  });
  return { stream, digest: () => hash.digest('hex') };
}

/** The sha256 (hex) of everything a stream yields. */
export async function sha256Of(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const collectGarbage = (globalThis as { gc?: () => void }).gc;

/**
 * Samples this process's RSS every few milliseconds; growth is relative to the first sample.
 * With `--expose-gc` (see .mocharc.json) garbage is collected before the baseline and every
 * 250 ms, so the peak measures memory the code holds on to, not garbage V8 has yet to collect.
 */
export class RssSampler {
  readonly baseline = (collectGarbage?.(), process.memoryUsage().rss);
  private peak = this.baseline;
  private ticks = 0;
  private readonly timer = setInterval(() => this.sample(), 20);

  sample(): void {
    if (collectGarbage && ++this.ticks % 12 === 0) collectGarbage();
    this.peak = Math.max(this.peak, process.memoryUsage().rss);
  }

  /** Stops sampling and returns the largest growth seen, in bytes. */
  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.peak - this.baseline;
  }
}

/** Everything `list` yields, in order. */
export async function listAll(store: BlobStore, prefix: string): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  for await (const info of store.list(prefix)) out.push(info);
  return out;
}

/** Adds one to the decimal counter at `key` by read-modify-compare-and-swap, retrying lost races; returns attempts. */
export async function incrementCounter(store: BlobStore, key: string): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    // The etag is read before the body: a body newer than the etag only makes the swap fail.
    const info = await store.head(key);
    const value = info ? Number((await store.getBytes(key)).toString('utf8')) : 0;
    const result = await store.compareAndSwap(key, info?.etag ?? null, String(value + 1));
    if (result.swapped) return attempt;
    await sleep(Math.random() * Math.min(20, attempt * 2));
  }
}
