/**
 * Dataset snapshots (`snapshotDataset` into the filesystem store, durable writes) side by side with
 * their anchors, on 1 GiB in 10,000 files and on one 1 GiB file, in one run:
 *
 * - cold (empty store, no stat cache) against the hashing floor, `sha256sum` over the same files in
 *   2 parallel processes, and against a cold `dvc add` (which hashes and copies into its cache);
 * - warm (nothing changed) against a warm `dvc add`, in files per second;
 * - after rewriting 1% of the files, against `dvc add` of the same change; the bytes uploaded must
 *   equal the bytes changed;
 * - cold into the S3 store on a MinIO the bench starts, against the same files read and sent with
 *   `S3Client` PutObject, as many at a time as the snapshot has files in flight.
 *
 * Each tool gets its own copy of the data, so neither disturbs the other's stat information. Data
 * is generated in the temp folder and read hot from the page cache by every tool alike.
 * Run alone with `npx tsx bench/snapshot.bench.ts` (DVC_PATH=… to pick a dvc).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { snapshotDataset, type SnapshotResult } from '../activities/data';
import { FilesystemBlobStore } from '../activities/storage';
import type { BlobStore } from '../activities/storage/types';
import { pool, rate, type Measurement } from './measure';
import { startBenchMinio } from './minio';
import {
  copyTree,
  DvcRepo,
  findDvc,
  rewrite,
  run,
  sha256sumFloor,
  writeBigFile,
  writeManyFiles,
} from './snapshot-fixtures';
import type { Comparison } from './store.bench';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
/** Files a snapshot has in flight (activities/data/snapshot-files.ts): the raw PutObject anchor sends as many at once. */
const SNAPSHOT_CONCURRENCY = 16;
/** The issue's target for a cold snapshot: at most this many times `sha256sum`'s time, durable writes included. */
const COLD_FLOOR_RATIO = 1.25;

/** The section note for docs/benchmarks.md. */
export const SNAPSHOT_BENCH_NOTES =
  '`snapshotDataset` into the filesystem store: every new body written to a staging file without fsync, then all ' +
  'made durable together before the manifest and the ref (a `syncfs` in the background every 64 MiB and one at the ' +
  'end, the renames into place, a `syncfs` of the renames), so the snapshot is durable when its ref moves; files ' +
  'read hot from the page cache by every tool alike. Anchors: `sha256sum` over the same files in 2 parallel ' +
  'processes (the hashing floor; one process for one file), `cp -r` of the folder then `sync` of its file system ' +
  '(the durable copy: the disk writing the same bodies, no hashing) and `dvc add` on its own copy of the data (md5 and a ' +
  'copy into its cache). Cold: empty store, no stat cache. Warm: nothing changed. 1%: every 100th file rewritten ' +
  'before each repetition. The "blob writes skipped" rows repeat the cold snapshot with the store told to drop ' +
  'blob writes: scanning and hashing alone. MinIO: a MinIO started by the bench on this machine, the snapshot ' +
  `into the S3 store (a body in memory sent with one conditional PutObject, a streamed one after a HEAD) against ` +
  `the same files read and sent with S3Client PutObject, ${SNAPSHOT_CONCURRENCY} at a time (the snapshot's files in flight).`;

/** One row: a comparison plus the issue's target for it and whether this run met it. */
export interface SnapshotComparison extends Comparison {
  target: string;
  met: boolean;
  detail?: string;
}

export interface SnapshotBenchOptions {
  /** @default 10_000 */
  files?: number;
  /** Bytes in the many-files set, and the size of the single file. @default 1 GiB */
  totalBytes?: number;
}

/** Runs every snapshot scenario, each beside its anchors; `dvc` comes from bench/requirements.txt. */
export async function runSnapshotBench(options: SnapshotBenchOptions = {}): Promise<SnapshotComparison[]> {
  const count = options.files ?? 10_000;
  const total = options.totalBytes ?? GiB;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-snapshot-bench-'));
  const dvc = findDvc(path.join(__dirname, '..'));
  if (!dvc)
    throw new Error('snapshot bench: no dvc (.venv/bin/dvc, DVC_PATH, PATH): run `npm run bench`, which installs it');
  try {
    const many = path.join(root, 'ours', 'many');
    const files = writeManyFiles(many, count, Math.floor(total / count));
    const one = path.join(root, 'ours', 'one');
    writeBigFile(path.join(one, 'big.bin'), total);
    const rows: SnapshotComparison[] = [];
    rows.push(...(await scenarios(root, 'many', many, files, count, total, dvc)));
    rows.push(...(await scenarios(root, 'one', one, [path.join(one, 'big.bin')], 1, total, dvc)));
    rows.push(await intoMinio(root, many, files, count, total));
    return rows;
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

async function scenarios(
  root: string,
  name: string,
  source: string,
  files: string[],
  count: number,
  total: number,
  dvcPath: string | undefined,
): Promise<SnapshotComparison[]> {
  const label = count === 1 ? `one ${size(total)} file` : `${count.toLocaleString('en-US')} files, ${size(total)}`;
  const mb = total / MiB;
  const dvc = dvcPath ? await dvcRepo(dvcPath, root, name, source) : undefined;
  const rows: SnapshotComparison[] = [];

  // Cold: a new store and no stat cache each time (the previous repetition's store removed first).
  let store = new FilesystemBlobStore(path.join(root, `store-${name}`));
  let cacheDir = '';
  let rep = 0;
  const fresh = () => {
    fs.rmSync(path.join(root, `store-${name}`), { recursive: true, force: true });
    store = new FilesystemBlobStore(path.join(root, `store-${name}`));
    cacheDir = path.join(root, `cache-${name}-${rep++}`);
    syncDisks();
  };
  const snapshot = (into: BlobStore = store) => snapshotDataset(into, { dataset: name, source }, { cacheDir });
  const cold = await timed('snapshotDataset, cold', mb, 'MB', 3, fresh, async () => void (await snapshot()));
  const processes = Math.min(2, count);
  const floorName = `sha256sum, ${processes} process${processes > 1 ? 'es' : ''}`;
  const floor = await timed(floorName, mb, 'MB', 3, syncDisks, () => sha256sumFloor(source, count, processes));
  const floorTarget = `≤ ${COLD_FLOOR_RATIO}× the floor's time`;
  rows.push(
    row(`cold snapshot, ${label}: hashing floor`, cold, floor, floorTarget, cold.ms <= COLD_FLOOR_RATIO * floor.ms),
  );
  // The disk's bound: the same bytes copied and made durable, with no hashing (diagnostic).
  const copyTo = path.join(root, `copy-${name}`);
  const copyReset = () => (fs.rmSync(copyTo, { recursive: true, force: true }), syncDisks());
  const copy = await timed('cp -r, then sync', mb, 'MB', 3, copyReset, () => durableCopy(source, copyTo));
  fs.rmSync(copyTo, { recursive: true, force: true });
  rows.push({
    ...row(`cold snapshot, ${label}: durable copy`, cold, copy, 'diagnostic', true),
    detail: `the bodies copied and synced without hashing: ${(copy.ms / floor.ms).toFixed(2)}× the hashing floor on its own`,
  });
  const dvcReset = () => (dvc?.reset(), syncDisks());
  const dvcCold = dvc && (await timed('dvc add, cold', mb, 'MB', 2, dvcReset, () => dvc.add()));
  if (dvcCold) rows.push(row(`cold snapshot, ${label}: dvc`, cold, dvcCold, '≥ 5× faster', dvcCold.ms / cold.ms >= 5));

  // Warm: the store and stat cache the last cold run left, nothing changed.
  const warm = await timed('snapshotDataset, warm', count, 'files', 7, noop, async () => {
    const result = await snapshot();
    if (result.cachedDigests !== count || result.uploadedFiles !== 0)
      throw new Error('the warm run hashed or uploaded');
  });
  const dvcWarm = dvc && (await timed('dvc add, nothing changed', count, 'files', 3, noop, () => dvc.add()));
  if (dvcWarm) {
    const fastEnough = count === 1 || (count / warm.ms) * 1000 >= 100_000;
    const target = count === 1 ? '≥ 5× faster' : '≥ 100,000 files/s and ≥ 5× faster';
    const met = fastEnough && dvcWarm.ms / warm.ms >= 5;
    rows.push(row(`warm re-snapshot, ${label}, nothing changed`, warm, dvcWarm, target, met));
  }

  if (count > 1) rows.push(await changeOnePercent(root, name, source, files, label, snapshot, dvc));

  // Diagnostic: the cold snapshot again with blob writes short-circuited, to separate our work from the store's.
  const hashOnly = await timed('snapshotDataset, blob writes skipped', mb, 'MB', 3, fresh, async () => {
    await snapshot(withoutBlobWrites(store));
  });
  rows.push({
    ...row(`cold snapshot, ${label}, blob writes skipped: hashing floor`, hashOnly, floor, 'diagnostic', true),
    detail: 'scan, hash, read for upload, manifest, ref: all but the store writing the bodies',
  });
  return rows;
}

/** A cold snapshot into the S3 store on MinIO beside raw PutObject of the same files, as many at once. */
async function intoMinio(
  root: string,
  source: string,
  files: string[],
  count: number,
  total: number,
): Promise<SnapshotComparison> {
  const minio = await startBenchMinio(path.join(root, 'minio'));
  const { s3, storeAt } = minio;
  try {
    const mb = total / MiB;
    let rep = 0;
    const next = () => void rep++;
    const ours = await timed('snapshotDataset into S3BlobStore, cold', mb, 'MB', 3, next, async () => {
      const result = await snapshotDataset(storeAt(`snapshot-${rep}`), { dataset: 'many', source });
      if (result.uploadedFiles !== count) throw new Error(`the cold snapshot uploaded ${result.uploadedFiles} files`);
    });
    const anchor = await timed(`S3Client PutObject, ${SNAPSHOT_CONCURRENCY} at a time`, mb, 'MB', 3, next, async () => {
      await pool(files.length, SNAPSHOT_CONCURRENCY, async (i) => {
        const file = files[i]!;
        const Key = `raw-${rep}/${path.relative(source, file)}`;
        await s3.send(new PutObjectCommand({ Bucket: 'bench', Key, Body: await fs.promises.readFile(file) }));
      });
    });
    const label = `${count.toLocaleString('en-US')} files, ${size(total)}`;
    return {
      ...row(
        `cold snapshot into MinIO, ${label}: raw puts`,
        ours,
        anchor,
        '≥ 0.8× the throughput',
        anchor.ms / ours.ms >= 0.8,
      ),
      detail: 'ours also hashes every file and writes the manifest, profile and ref',
    };
  } finally {
    await minio.stop();
  }
}

/** Rewrites 1% of the files (mtime now, as an edit would), then times a snapshot and `dvc add`; three times. */
async function changeOnePercent(
  root: string,
  name: string,
  source: string,
  files: string[],
  label: string,
  snapshot: () => Promise<SnapshotResult>,
  dvc: DvcRepo | undefined,
): Promise<SnapshotComparison> {
  const changed = files.filter((_, i) => i % 100 === 0);
  const copies = changed.map((file) => path.join(root, `dvc-${name}`, name, path.relative(source, file)));
  const ours: number[] = [];
  const theirs: number[] = [];
  const mismatches: number[] = [];
  let changedBytes = 0;
  for (let rep = 0; rep < 3; rep++) {
    changedBytes = rewrite(changed);
    for (const [i, file] of copies.entries()) if (dvc) fs.copyFileSync(changed[i]!, file);
    syncDisks();
    let start = process.hrtime.bigint();
    const result = await snapshot();
    ours.push(Number(process.hrtime.bigint() - start) / 1e6);
    mismatches.push(result.uploadedBytes - changedBytes);
    if (!dvc) continue;
    start = process.hrtime.bigint();
    await dvc.add();
    theirs.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  const exact = mismatches.every((diff) => diff === 0);
  const oursM = {
    name: `snapshotDataset, ${changed.length} files changed`,
    ms: median(ours),
    units: files.length,
    unitName: 'files',
  };
  const anchor = dvc
    ? { name: 'dvc add, same change', ms: median(theirs), units: files.length, unitName: 'files' }
    : oursM;
  const met = exact && (!dvc || anchor.ms / oursM.ms >= 5);
  const target = dvc ? 'uploads = changes, ≥ 5× faster' : 'uploads = changes';
  const detail = `uploaded bytes ${exact ? '=' : '≠'} changed bytes (${size(changedBytes)} each time)`;
  return { ...row(`1% of files changed, ${label}`, oursM, anchor, target, met), detail };
}

/** A DVC repository with its own copy of the data. */
async function dvcRepo(dvcPath: string, root: string, name: string, source: string): Promise<DvcRepo> {
  const repo = path.join(root, `dvc-${name}`);
  fs.mkdirSync(repo);
  copyTree(source, path.join(repo, name));
  const dvc = new DvcRepo(dvcPath, repo, name);
  await dvc.init();
  return dvc;
}

/** `store` with blob requests short-circuited: every blob looks absent and "uploads" instantly. */
function withoutBlobWrites(store: BlobStore): BlobStore {
  const wrapper = Object.create(store) as BlobStore;
  wrapper.openBatch = () => ({
    putsAreDurable: true,
    putIfAbsent: async (_key, body) => {
      const bytes = typeof body === 'function' ? await body() : body;
      if (bytes instanceof Readable) for await (const _ of bytes);
      return { created: true };
    },
    commit: async () => undefined,
    abort: async () => undefined,
  });
  wrapper.head = async (key) => (key.includes('/blobs/') ? undefined : store.head(key));
  wrapper.putIfAbsent = async (key, body, options) => {
    if (!key.includes('/blobs/')) return store.putIfAbsent(key, body, options);
    if (body instanceof Readable) for await (const _ of body);
    return { created: true, etag: '' };
  };
  return wrapper;
}

/** `cp -r` of the folder, then `sync` of the copy's filesystem: what writing the bodies durably costs alone. */
async function durableCopy(from: string, to: string): Promise<void> {
  await run('cp', ['-r', from, to]);
  await run('sync', ['--file-system', to]);
}

/** Flushes dirty pages left by earlier runs so they do not slow the next timed one. */
function syncDisks(): void {
  execFileSync('sync');
}

/** Median time of `fn` over `repeat` runs, each after an untimed `prepare`. */
async function timed(
  name: string,
  units: number,
  unitName: string,
  repeat: number,
  prepare: () => void,
  fn: () => Promise<void>,
): Promise<Measurement> {
  const times: number[] = [];
  for (let i = 0; i < repeat; i++) {
    prepare();
    const start = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return { name, ms: median(times), units, unitName };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function row(
  scenario: string,
  ours: Measurement,
  anchor: Measurement,
  target: string,
  met: boolean,
): SnapshotComparison {
  return { scenario, ours, anchor, target, met };
}

function noop(): void {}

function size(bytes: number): string {
  return bytes >= GiB ? `${(bytes / GiB).toFixed(bytes % GiB === 0 ? 0 : 1)} GiB` : `${(bytes / MiB).toFixed(1)} MiB`;
}

if (require.main === module) {
  const files = Number(process.env.SNAPSHOT_BENCH_FILES ?? 10_000);
  const totalBytes = Number(process.env.SNAPSHOT_BENCH_MIB ?? 1024) * MiB;
  runSnapshotBench({ files, totalBytes })
    .then((rows) => {
      for (const r of rows) {
        const ratio = (r.anchor.ms / r.ours.ms).toFixed(2);
        process.stdout.write(
          `${r.scenario}\n  ours ${r.ours.name}: ${r.ours.ms.toFixed(0)} ms (${rate(r.ours)})\n` +
            `  anchor ${r.anchor.name}: ${r.anchor.ms.toFixed(0)} ms (${rate(r.anchor)})\n` +
            `  anchor/ours ${ratio}; target ${r.target}: ${r.met ? 'met' : 'NOT met'}${r.detail ? `; ${r.detail}` : ''}\n`,
        );
      }
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
