/**
 * This gateway's record among the replicas (activities/serving/gateway-replicas.ts): written on
 * start, refreshed every `REPLICA_HEARTBEAT_MS`, deleted on a clean stop, so what reads the
 * replicas' metrics knows where to find each live one.
 */
import { REPLICA_HEARTBEAT_MS, replicaKey, type ReplicaRecord } from '../activities/serving/gateway-replicas';
import { jsonBody } from '../activities/storage/json';
import type { BlobStore } from '../activities/storage/types';

export class ReplicaHeartbeat {
  private timer: NodeJS.Timeout | undefined;
  private failing = false;
  private writing = false;
  private readonly record: Omit<ReplicaRecord, 'lastSeen'>;

  constructor(
    private readonly store: BlobStore,
    id: string,
    adminUrl: string,
    private readonly log: (line: string) => void,
    private readonly intervalMs = REPLICA_HEARTBEAT_MS,
  ) {
    this.record = { id, adminUrl, startedAt: new Date().toISOString() };
  }

  /** Writes the record (a store that does not answer is retried at the next beat) and keeps it fresh. */
  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat(), this.intervalMs).unref();
  }

  /** Stops the beats and deletes the record (waiting at most 2 s: a store that hangs lets the record go stale). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    const deleted = this.store.delete(replicaKey(this.record.id)).catch(() => undefined);
    await Promise.race([deleted, new Promise((r) => setTimeout(r, 2_000).unref())]);
  }

  private async beat(): Promise<void> {
    // a store that hangs gets one write at a time, not one per beat
    if (this.writing) return;
    this.writing = true;
    try {
      const record: ReplicaRecord = { ...this.record, lastSeen: new Date().toISOString() };
      await this.store.put(replicaKey(this.record.id), jsonBody(record), { contentType: 'application/json' });
      if (this.failing) this.log('the replica record is written again');
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.log(`cannot write this replica's record to the store: ${(err as Error).message}`);
      this.failing = true;
    } finally {
      this.writing = false;
    }
  }
}
