/**
 * Hashes local files on worker threads, so hashing uses every core while the main thread stats,
 * uploads and heartbeats. Each worker reads one file at a time with large synchronous reads;
 * files up to `keepBytes` are read into a buffer that is handed back (transferred, not copied), so
 * their upload sends exactly the bytes that were hashed without reading the file again.
 *
 * A file that changes while it is read (its stamp differs before and after, or it grew) is read
 * again, up to three times. Workers start on first use and stop with `close()`.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';

export interface HashedFile {
  digest: string;
  size: number;
  /** Stamp of the version read; equal before and after reading (see ./local-source.ts `fileStamp`). */
  stamp: string;
  mtimeMs: number;
  /** The file's bytes, when it is at most `keepBytes` long. */
  bytes?: Buffer;
}

type Reply =
  | {
      id: number;
      ok: true;
      changed: false;
      digest: string;
      size: number;
      stamp: string;
      mtimeMs: number;
      bytes?: ArrayBuffer;
    }
  | { id: number; ok: true; changed: true }
  | { id: number; ok: false; message: string; code?: string };

interface Task {
  id: number;
  file: string;
  keepBytes: number;
  resolve: (reply: Reply) => void;
  reject: (error: Error) => void;
}

// Plain JavaScript: workers evaluate it without the TypeScript loader. Its stamp must match `fileStamp`.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const { createHash } = require('node:crypto');
const CHUNK = 2 * 1024 * 1024;
const scratch = Buffer.allocUnsafe(CHUNK);
const stampOf = (st) => st.size + ':' + st.mtimeMs + ':' + st.ctimeMs + ':' + st.ino;
parentPort.on('message', ({ id, file, keepBytes }) => {
  let fd;
  try {
    fd = fs.openSync(file, 'r');
    const before = fs.fstatSync(fd);
    if (!before.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'EISDIR' });
    const hash = createHash('sha256');
    let size = 0;
    let kept;
    if (before.size <= keepBytes) {
      kept = Buffer.allocUnsafeSlow(before.size);
      while (size < kept.length) {
        const n = fs.readSync(fd, kept, size, kept.length - size, null);
        if (n === 0) break;
        size += n;
      }
      hash.update(kept.subarray(0, size));
    }
    for (;;) {
      const n = fs.readSync(fd, scratch, 0, CHUNK, null);
      if (n === 0) break;
      hash.update(n === CHUNK ? scratch : scratch.subarray(0, n));
      size += n;
    }
    const after = fs.fstatSync(fd);
    if (size !== before.size || stampOf(after) !== stampOf(before)) {
      parentPort.postMessage({ id, ok: true, changed: true });
      return;
    }
    const bytes = kept === undefined ? undefined : kept.buffer;
    const reply = { id, ok: true, changed: false, digest: hash.digest('hex'), size, stamp: stampOf(before), mtimeMs: before.mtimeMs, bytes };
    parentPort.postMessage(reply, bytes === undefined ? [] : [bytes]);
  } catch (error) {
    parentPort.postMessage({ id, ok: false, message: error.message, code: error.code });
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
});
`;

const READ_ATTEMPTS = 3;

/** A fixed-size pool of hashing threads. */
export class HashPool {
  private readonly idle: Worker[] = [];
  private readonly all = new Set<Worker>();
  private readonly busy = new Map<Worker, Task>();
  private readonly queue: Task[] = [];
  private nextId = 0;
  private closed = false;

  /** @param size threads; @default 2 to 8, one per core */
  constructor(readonly size = Math.max(2, Math.min(os.availableParallelism(), 8))) {}

  /** Hashes `file`, keeping its bytes when it is at most `keepBytes` long. Errors keep their fs `code`. */
  async hash(file: string, keepBytes: number): Promise<HashedFile> {
    for (let attempt = 1; ; attempt++) {
      const reply = await this.run(file, keepBytes);
      if (!reply.ok) throw Object.assign(new Error(`${reply.message}`), { code: reply.code });
      if (!reply.changed) {
        const bytes = reply.bytes === undefined ? undefined : Buffer.from(reply.bytes);
        return { digest: reply.digest, size: reply.size, stamp: reply.stamp, mtimeMs: reply.mtimeMs, bytes };
      }
      if (attempt >= READ_ATTEMPTS) throw new Error(`${file} kept changing while it was read; retry when it is stable`);
    }
  }

  /** Stops the threads; pending hashes fail. */
  async close(): Promise<void> {
    this.closed = true;
    for (const task of this.queue.splice(0)) task.reject(new Error('hash pool closed'));
    await Promise.all([...this.all].map((worker) => worker.terminate()));
  }

  private run(file: string, keepBytes: number): Promise<Reply> {
    if (this.closed) return Promise.reject(new Error('hash pool closed'));
    return new Promise<Reply>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, file, keepBytes, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const worker = this.idle.pop() ?? (this.all.size < this.size ? this.spawn() : undefined);
      if (!worker) return;
      const task = this.queue.shift()!;
      this.busy.set(worker, task);
      worker.postMessage({ id: task.id, file: task.file, keepBytes: task.keepBytes });
    }
  }

  private spawn(): Worker {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.unref();
    this.all.add(worker);
    worker.on('message', (reply: Reply) => {
      const task = this.busy.get(worker);
      this.busy.delete(worker);
      this.idle.push(worker);
      if (task?.id === reply.id) task.resolve(reply);
      this.dispatch();
    });
    worker.on('error', (error) => this.retire(worker, error));
    worker.on('exit', () => this.retire(worker, new Error('hash worker exited')));
    return worker;
  }

  private retire(worker: Worker, error: Error): void {
    if (!this.all.delete(worker)) return;
    const idleAt = this.idle.indexOf(worker);
    if (idleAt >= 0) this.idle.splice(idleAt, 1);
    this.busy.get(worker)?.reject(error);
    this.busy.delete(worker);
    if (!this.closed) this.dispatch();
  }
}
