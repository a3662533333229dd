/**
 * `FilesystemBlobBatch`: the filesystem store's `BlobBatch` (./types.ts), content-addressed bodies
 * made durable together instead of one fsync each.
 *
 * - `putIfAbsent` checks the key with one `stat` (a content-addressed object is complete whenever
 *   it is there: no lock, no record read), then writes the body into the batch's own staging
 *   folder, `.blobstore/staging/<pid>@<host>.<uuid>/`, without fsync, and writes its etag record
 *   (the caller's sha256; no second hashing) describing the staged file, whose inode and mtime the
 *   rename into place keeps. A record whose object is not there is never read.
 * - Every `WRITE_BEHIND_BYTES` staged, a `syncfs` starts in the background, so the disk writes the
 *   bodies while the snapshot is still hashing instead of all at the end.
 * - `commit`: make every staged body durable (./sync-fs.ts: one `syncfs`, or an fdatasync each),
 *   only then rename them into place, then make the renames durable (`syncfs` again, or an fsync
 *   of every folder touched). So an object at its key is always complete and durable, and a crash
 *   at any point leaves only staging files, or complete objects that nothing names yet.
 * - Staging folders of dead processes on this host, and any untouched for `STALE_STAGING_MS`, are
 *   removed by the next batch that opens; staging files are never taken for objects.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { discardBody } from './body';
import { pidAlive } from './file-lock';
import { renameCreatingParent, statFile, writeMetaBeforeObject, writeStaged } from './filesystem-files';
import type { FilesystemLayout } from './filesystem-layout';
import { syncAll, syncFileSystem } from './sync-fs';
import type { BlobBatch, Body } from './types';

/** Bytes staged between two background flushes. */
const WRITE_BEHIND_BYTES = 64 * 1024 * 1024;
/** Renames into place at once during a commit. */
const RENAME_CONCURRENCY = 16;
/** A staging folder untouched this long belongs to a writer that died (on another host, or a reused pid). */
export const STALE_STAGING_MS = 60 * 60 * 1000;

/** Staging folders of batches open in this process: never swept, even when a pid is reused. */
const liveFolders = new Set<string>();

interface Staged {
  key: string;
  /** The object's path. */
  file: string;
  /** The staging file's path. */
  temp: string;
}

/** A batch of content-addressed writes into one filesystem store. */
export class FilesystemBlobBatch implements BlobBatch {
  readonly putsAreDurable = false;
  private readonly dir: string;
  private staged: Staged[] = [];
  /** Keys put since the last commit (a second put of one is not written twice). */
  private readonly pending = new Set<string>();
  private sequence = 0;
  private sinceFlush = 0;
  private writeBehind: Promise<unknown> | undefined;
  private opened: Promise<void> | undefined;

  /** @param durable false: skip every flush (a store made with `durable: false`, e.g. for scratch data) */
  constructor(
    private readonly layout: FilesystemLayout,
    private readonly durable = true,
  ) {
    this.dir = path.join(layout.stagingDir, `${process.pid}@${os.hostname()}.${randomUUID()}`);
  }

  /** Stages `body` unless an object is at `key`; it reaches the key at `commit`. */
  async putIfAbsent(key: string, body: Body | (() => Promise<Body>), sha256: string): Promise<{ created: boolean }> {
    const file = this.layout.objectPath(key);
    if (this.pending.has(key) || (await statFile(file))) {
      if (typeof body !== 'function') discardBody(body);
      return { created: false };
    }
    this.pending.add(key);
    try {
      await (this.opened ??= this.open());
      const temp = path.join(this.dir, String(this.sequence++));
      const { size, stamp } = await writeStaged(typeof body === 'function' ? await body() : body, temp);
      await writeMetaBeforeObject(this.layout.metaPath(key), { key, etag: sha256, stamp }, this.layout.tmpDir);
      this.staged.push({ key, file, temp });
      this.flushBehind(size);
      return { created: true };
    } catch (error) {
      this.pending.delete(key);
      throw error;
    }
  }

  /** Makes the staged bodies durable, renames them into place, and makes the renames durable. */
  async commit(): Promise<void> {
    const staged = this.staged.splice(0);
    if (staged.length === 0) return;
    try {
      await this.writeBehind;
      const temps = staged.map((s) => s.temp);
      if (this.durable) await syncAll(this.dir, temps, []);
      const folders = new Set<string>();
      let next = 0;
      const lane = async () => {
        while (next < staged.length) {
          const { temp, file } = staged[next++]!;
          await renameCreatingParent(temp, file);
          for (let dir = path.dirname(file); dir.startsWith(this.layout.root + path.sep); dir = path.dirname(dir)) {
            if (folders.has(dir)) break;
            folders.add(dir);
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(RENAME_CONCURRENCY, staged.length) }, lane));
      folders.add(this.layout.root);
      if (this.durable) await syncAll(this.layout.root, [], [...folders]);
    } catch (error) {
      await this.abort(); // what was renamed is complete and durable in place; the rest goes
      throw error;
    }
    for (const { key } of staged) this.pending.delete(key);
    await this.close();
  }

  /** Removes what is staged and the staging folder. */
  async abort(): Promise<void> {
    this.staged = [];
    this.pending.clear();
    await this.close(true);
  }

  /** Removes the (empty, unless `force`) staging folder; the next put opens it again. */
  private async close(force = false): Promise<void> {
    const opened = this.opened;
    this.opened = undefined;
    if (!opened) return;
    await opened.catch(() => undefined);
    await (force ? fs.rm(this.dir, { recursive: true, force: true }) : fs.rmdir(this.dir)).catch(() => undefined);
    liveFolders.delete(this.dir);
  }

  private async open(): Promise<void> {
    liveFolders.add(this.dir);
    await sweepStaleStaging(this.layout.stagingDir);
    await fs.mkdir(this.dir, { recursive: true });
  }

  /** Starts a background `syncfs` once enough is staged since the last one (one at a time). */
  private flushBehind(bytes: number): void {
    this.sinceFlush += bytes;
    if (!this.durable || this.sinceFlush < WRITE_BEHIND_BYTES || this.writeBehind) return;
    this.sinceFlush = 0;
    this.writeBehind = syncFileSystem(this.dir).finally(() => (this.writeBehind = undefined));
  }
}

/** Removes staging folders left by dead processes of this host, or untouched for `STALE_STAGING_MS`. */
export async function sweepStaleStaging(stagingDir: string, now = Date.now()): Promise<number> {
  let names: string[];
  try {
    names = await fs.readdir(stagingDir);
  } catch {
    return 0;
  }
  let removed = 0;
  await Promise.all(
    names.map(async (name) => {
      const folder = path.join(stagingDir, name);
      if (liveFolders.has(folder)) return;
      const owner = /^(\d+)@(.+)\.[0-9a-f-]{36}$/.exec(name);
      const pid = Number(owner?.[1]);
      const dead = owner?.[2] === os.hostname() && (pid === process.pid || !pidAlive(pid));
      const stat = await fs.stat(folder).catch(() => undefined);
      if (!stat) return;
      if (dead || now - stat.mtimeMs > STALE_STAGING_MS) {
        await fs.rm(folder, { recursive: true, force: true }).catch(() => undefined);
        removed++;
      }
    }),
  );
  return removed;
}
