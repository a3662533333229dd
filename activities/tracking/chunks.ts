/**
 * Append-only streams on a store that cannot append (S3): every write is a new object
 * `<prefix><seq><ext>` with an 8-digit sequence number. A sequence number is taken with
 * putIfAbsent, so concurrent writers (several activities, several workers) never share one; a
 * writer that loses a number re-lists the prefix and tries past the highest taken. Each process
 * remembers the next number per stream, so a steady writer lists once and then writes in one request.
 */
import type { BlobStore, PutOptions } from '../storage/types';
import { ContentionError } from '../../common/failures';
import { backoff, listKeys, mapLimit, MAX_CAS_ATTEMPTS } from '../storage/json';
import { seqName } from './keys';

const HINT_LIMIT = 1_000;
const READ_CONCURRENCY = 16;

/** One chunk of a stream, read back. */
export interface Chunk {
  seq: number;
  key: string;
  body: Buffer;
}

/** Writes and reads chunked streams under key prefixes. */
export class ChunkStreams {
  private readonly nextSeq = new Map<string, number>();

  constructor(private readonly store: BlobStore) {}

  /** Writes `body` as the stream's next chunk; returns its key and sequence number. */
  async append(prefix: string, ext: string, body: string, options?: PutOptions): Promise<{ key: string; seq: number }> {
    let seq = this.nextSeq.get(prefix) ?? (await this.lastSeq(prefix, ext)) + 1;
    for (let attempt = 1; attempt <= MAX_CAS_ATTEMPTS; attempt++) {
      const key = `${prefix}${seqName(seq)}${ext}`;
      if ((await this.store.putIfAbsent(key, body, options)).created) {
        this.remember(prefix, seq + 1);
        return { key, seq };
      }
      if (attempt > 1) await backoff(attempt, 50);
      seq = Math.max(seq + 1, (await this.lastSeq(prefix, ext)) + 1);
    }
    throw new ContentionError(prefix, MAX_CAS_ATTEMPTS);
  }

  /** Every chunk of the stream, in sequence order. */
  async read(prefix: string, ext: string): Promise<Chunk[]> {
    const chunks = (await listKeys(this.store, prefix))
      .map((key) => ({ key, seq: seqOf(prefix, ext, key) }))
      .filter((chunk): chunk is { key: string; seq: number } => chunk.seq !== undefined)
      .sort((a, b) => a.seq - b.seq);
    return mapLimit(chunks, READ_CONCURRENCY, async (chunk) => ({
      ...chunk,
      body: await this.store.getBytes(chunk.key),
    }));
  }

  private async lastSeq(prefix: string, ext: string): Promise<number> {
    let last = 0;
    for (const key of await listKeys(this.store, prefix)) last = Math.max(last, seqOf(prefix, ext, key) ?? 0);
    return last;
  }

  private remember(prefix: string, next: number): void {
    this.nextSeq.delete(prefix);
    if (this.nextSeq.size >= HINT_LIMIT) this.nextSeq.delete(this.nextSeq.keys().next().value as string);
    this.nextSeq.set(prefix, next);
  }
}

function seqOf(prefix: string, ext: string, key: string): number | undefined {
  const name = key.slice(prefix.length);
  if (!name.endsWith(ext)) return undefined;
  const digits = name.slice(0, name.length - ext.length);
  return /^\d+$/.test(digits) ? Number(digits) : undefined;
}
