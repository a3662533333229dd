/**
 * Per-key mutual exclusion for the filesystem store, across async callers in one process AND
 * across processes (several workers may share a store folder).
 *
 * - In-process: callers for the same name queue on a promise chain, so only one of them at a
 *   time touches the lock file.
 * - Across processes: the lock is a file created with O_EXCL (`wx`) holding its owner's host,
 *   pid and a random token. The holder touches it every `staleMs / 3`, so a live holder never
 *   looks stale; a lock is stale when its owner is known dead (same host, and its pid is not
 *   running or is our own pid with a token we never issued), or when it has not been touched
 *   for `staleMs` (an owner on another host died). Breaking a stale lock is
 *   serialised by a second O_EXCL file and re-checks the lock's identity first, so two
 *   breakers cannot both delete a lock that a third process has just taken.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LockTimeoutError } from '../../common/failures';
import { errorCode } from './filesystem-files';

export interface FileLockOptions {
  /** A lock untouched for this long is considered abandoned. @default 10_000 */
  staleMs?: number;
  /** Give up waiting for a lock after this long (throws `LockTimeoutError`). @default 30_000 */
  timeoutMs?: number;
}

interface LockContent {
  host: string;
  pid: number;
  token: string;
}

/** Locks identified by their lock file's path. */
export class FileLocks {
  private readonly queues = new Map<string, Promise<void>>();
  private readonly staleMs: number;
  private readonly timeoutMs: number;

  constructor(options: FileLockOptions = {}) {
    this.staleMs = options.staleMs ?? 10_000;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** Runs `fn` while holding the lock `file`, in this process and across processes. */
  async withLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(file) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.queues.set(file, tail);
    try {
      await previous;
      return await this.withFileLock(file, fn);
    } finally {
      release();
      if (this.queues.get(file) === tail) this.queues.delete(file);
    }
  }

  private async withFileLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
    const token = await this.acquire(file);
    const refresh = setInterval(() => {
      const now = new Date();
      void fs.utimes(file, now, now).catch(() => undefined);
    }, this.staleMs / 3);
    refresh.unref();
    try {
      return await fn();
    } finally {
      clearInterval(refresh);
      await this.releaseIfOwned(file, token);
    }
  }

  private async acquire(file: string): Promise<string> {
    const content: LockContent = { host: os.hostname(), pid: process.pid, token: randomUUID() };
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        await fs.writeFile(file, JSON.stringify(content), { flag: 'wx' });
        heldTokens.add(content.token);
        return content.token;
      } catch (error) {
        if (errorCode(error) === 'ENOENT') {
          await fs.mkdir(path.dirname(file), { recursive: true });
          continue;
        }
        if (errorCode(error) !== 'EEXIST') throw error;
      }
      if (await this.breakIfStale(file)) continue;
      const waited = Date.now() - started;
      if (waited > this.timeoutMs) throw new LockTimeoutError(file, waited, await describeHolder(file));
      // Back off with jitter: 1, 2, 4 … up to 50 ms.
      await sleep(Math.min(50, 2 ** Math.min(attempt, 6)) * (0.5 + Math.random()));
    }
  }

  /** Removes `file` if it is abandoned; true when the caller should retry at once. */
  private async breakIfStale(file: string): Promise<boolean> {
    const seen = await readLock(file);
    if (!seen) return true; // released meanwhile
    const age = Date.now() - seen.mtimeMs;
    const ownerDead = seen.content !== undefined && isDeadOwner(seen.content);
    if (!ownerDead && age < this.staleMs) return false;

    const breaker = `${file}.break`;
    try {
      await fs.writeFile(breaker, '', { flag: 'wx' });
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') throw error;
      // Someone else is breaking it; clear a breaker file left by a crash mid-break.
      const breakerStat = await fs.stat(breaker).catch(() => undefined);
      if (breakerStat && Date.now() - breakerStat.mtimeMs > this.staleMs) await fs.rm(breaker, { force: true });
      return false;
    }
    try {
      const now = await fs.stat(file, { bigint: true }).catch(() => undefined);
      if (now && now.ino === seen.ino && now.mtimeNs === seen.mtimeNs) await fs.rm(file, { force: true });
      return true;
    } finally {
      await fs.rm(breaker, { force: true });
    }
  }

  private async releaseIfOwned(file: string, token: string): Promise<void> {
    const current = await readLock(file);
    // A lock broken as stale (e.g. this process was suspended) belongs to someone else now.
    if (current?.content?.token === token) await fs.rm(file, { force: true });
    heldTokens.delete(token);
  }
}

interface SeenLock {
  ino: bigint;
  mtimeNs: bigint;
  mtimeMs: number;
  /** Undefined while the owner is between creating and writing the file. */
  content: LockContent | undefined;
}

/** Reads a lock file and its identity through one descriptor, so both describe the same file. */
async function readLock(file: string): Promise<SeenLock | undefined> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const stat = await handle.stat({ bigint: true });
    const text = await handle.readFile('utf8');
    return { ino: stat.ino, mtimeNs: stat.mtimeNs, mtimeMs: Number(stat.mtimeMs), content: parseLock(text) };
  } finally {
    await handle.close();
  }
}

function parseLock(text: string): LockContent | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockContent>;
    if (typeof value.host === 'string' && typeof value.pid === 'number' && typeof value.token === 'string') {
      return { host: value.host, pid: value.pid, token: value.token };
    }
  } catch {
    // empty or partial: the owner has not written it yet
  }
  return undefined;
}

async function describeHolder(file: string): Promise<string> {
  const seen = await readLock(file).catch(() => undefined);
  return seen?.content ? `pid ${seen.content.pid} on ${seen.content.host}` : 'unknown';
}

/** Tokens of the locks this process holds, to tell them from locks of an earlier process with our pid. */
const heldTokens = new Set<string>();

/** Whether a lock's owner is known to be gone: it ran on this host and its process is not alive. */
function isDeadOwner(owner: LockContent): boolean {
  if (owner.host !== os.hostname()) return false;
  // Our own pid but not our token: a previous process with the same pid (e.g. pid 1 in a restarted container).
  if (owner.pid === process.pid) return !heldTokens.has(owner.token);
  return !pidAlive(owner.pid);
}

/** Whether a process with this pid runs on this host (one of another user counts as running). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === 'EPERM';
  }
}
