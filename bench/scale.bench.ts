/**
 * Datasets at scale: how time and memory grow with the number of files. At 10,000, 100,000 and
 * 1,000,000 small files (64 to 256 bytes, bench/scale-fixtures.ts, generated once and reused),
 * each operation runs in a child process of its own (bench/scale-child.ts) so its peak resident
 * set (VmHWM) is its own, into a filesystem store:
 *
 * - cold snapshot (empty store, no stat cache), beside `sha256sum` over the same files in 2 processes;
 * - warm re-snapshot (nothing changed), beside a stat-only walk of the folder (`find -printf`);
 * - then every 100th file is rewritten and snapshotted again, and `data diff` of the two snapshots
 *   runs beside GNU `diff` of the two `sha256sum` listings of the same files;
 * - materialize of the second snapshot into an empty folder, beside `cp -r` of the folder.
 *
 * Targets (issue 21): time linear in files (per-file time within 1.5× that of the smallest size)
 * and peak RSS under 1 GB at a million files. Sizes: MLOPS_BENCH_SCALE_COUNTS (comma-separated;
 * default 10000,100000,1000000). Run alone with `npx tsx bench/run.ts scale`.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BenchRow, Measurement } from './measure';
import type { ScaleOutcome, ScaleTask } from './scale-child';
import { rewriteEvery, scaleFixture } from './scale-fixtures';
import { run, sha256sumFloor } from './snapshot-fixtures';

const DEFAULT_COUNTS = [10_000, 100_000, 1_000_000];
const GB = 1e9;
/** Per-file time at a size may be at most this many times that at the smallest size. */
const LINEAR_SLACK = 1.5;
/** Files modified this recently are not cached by a snapshot (activities/data/file-stamp.ts RACY_MS). */
const SETTLE_MS = 1100;
const EVERY = 100;

/** The section note for docs/benchmarks.md. */
export const SCALE_BENCH_NOTES =
  'Small files (64 to 256 bytes each, every body different, 1,000 per folder), generated once under the temp ' +
  'folder and read hot from the page cache. Each operation runs once per size in a child process of its own ' +
  '(its peak RSS is VmHWM of that process, Node and the TypeScript loader included) against the filesystem ' +
  'store. Cold: empty store, no stat cache, beside `sha256sum` in 2 processes (the hashing floor). Warm: ' +
  'nothing changed, beside `find -printf` of size, mtime and inode (a stat-only walk). Diff: every 100th file ' +
  'rewritten and snapshotted again, then `diffSnapshots` (at most 1,000 listed changes, counts exact) beside ' +
  'GNU `diff` of the two `sha256sum` listings. Materialize: the second snapshot into an empty folder, every ' +
  'body verified, beside `cp -r` of the folder. Manifests past 20,000 files are written in chunks. ' +
  'Targets: per-file time within 1.5× that at the smallest size (linear time), peak RSS under 1 GB.';

/** Runs every size; see the module comment. */
export async function runScaleBench(): Promise<BenchRow[]> {
  const counts = (process.env.MLOPS_BENCH_SCALE_COUNTS ?? DEFAULT_COUNTS.join(','))
    .split(',')
    .map((n) => Number(n.trim()))
    .filter((n) => Number.isSafeInteger(n) && n > 0)
    .sort((a, b) => a - b);
  const rows: BenchRow[] = [];
  const perFile = new Map<string, number>();
  for (const count of counts) {
    for (const row of await runSize(count)) {
      const kind = row.scenario.split(',')[0]!;
      const each = row.ours.ms / count;
      const reference = perFile.get(kind);
      if (reference === undefined) perFile.set(kind, each);
      const ratio = reference === undefined ? 1 : each / reference;
      const rss = Number(/peak RSS (\d+) MB/.exec(row.detail)?.[1]) * 1e6;
      row.met = ratio <= LINEAR_SLACK && rss < GB;
      row.detail +=
        reference === undefined
          ? '; the per-file reference'
          : `; ${ratio.toFixed(2)}× the per-file time at ${counts[0]!.toLocaleString('en-US')}`;
      rows.push(row);
    }
  }
  return rows;
}

async function runSize(count: number): Promise<BenchRow[]> {
  const data = await scaleFixture(count);
  rewriteEvery(data, count, EVERY, 0); // as generated, should an earlier run have stopped half-way
  await settle();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `mlops-scale-run-${count}-`));
  const label = `${count.toLocaleString('en-US')} files`;
  const store = path.join(work, 'store');
  const dataset = 'scale';
  const snapshotTask: ScaleTask = { op: 'snapshot', store, dataset, source: data, cacheDir: path.join(work, 'cache') };
  try {
    const rows: BenchRow[] = [];
    const cold = await child(snapshotTask);
    const coldId = (cold.result as { id: string }).id;
    const floor = await timed(() => sha256sumFloor(data, count, 2));
    rows.push(row(`cold snapshot, ${label}`, 'snapshotDataset, cold', cold, 'sha256sum, 2 processes', floor, count));

    const warm = await child(snapshotTask);
    const warmResult = warm.result as { cachedDigests: number; created: boolean };
    if (warmResult.cachedDigests !== count || warmResult.created) throw new Error('scale bench: the warm run hashed');
    const walk = await timed(() => run('bash', ['-c', "find . -type f -printf '%s %T@ %i\\n' > /dev/null"], data));
    rows.push(
      row(`warm re-snapshot, ${label}`, 'snapshotDataset, warm', warm, 'find -printf (stat walk)', walk, count),
    );

    const before = path.join(work, 'before.txt');
    const after = path.join(work, 'after.txt');
    await listing(data, before);
    const rewritten = rewriteEvery(data, count, EVERY, 1);
    await settle();
    await listing(data, after);
    const changedId = ((await child(snapshotTask)).result as { id: string }).id;
    const diff = await child({ op: 'diff', store, dataset, a: coldId, b: changedId, limit: 1000 });
    if ((diff.result as { changedCount: number }).changedCount !== rewritten)
      throw new Error('scale bench: diff missed changes');
    const gnuDiff = await timed(() => run('bash', ['-c', `diff ${before} ${after} > /dev/null || [ $? -eq 1 ]`]));
    rows.push(
      row(
        `diff, ${label} (${rewritten.toLocaleString('en-US')} changed)`,
        'diffSnapshots',
        diff,
        'GNU diff of sha256sum listings',
        gnuDiff,
        count,
      ),
    );

    const restored = await child({
      op: 'materialize',
      store,
      dataset,
      id: changedId,
      dir: path.join(work, 'restored'),
    });
    if ((restored.result as { restoredFiles: number }).restoredFiles !== count)
      throw new Error('scale bench: materialize restored too few');
    const copy = await timed(() => run('cp', ['-r', data, path.join(work, 'copied')]));
    rows.push(row(`materialize, ${label}`, 'materializeSnapshot', restored, 'cp -r', copy, count));
    return rows;
  } finally {
    rewriteEvery(data, count, EVERY, 0);
    await run('rm', ['-rf', work]);
  }
}

function row(
  scenario: string,
  name: string,
  ours: ScaleOutcome,
  anchorName: string,
  anchorMs: number,
  count: number,
): BenchRow {
  const measurement = (label: string, ms: number): Measurement => ({
    name: label,
    ms,
    units: count,
    unitName: 'files',
  });
  const mb = Math.round(ours.peakRssBytes / 1e6);
  return {
    scenario,
    ours: measurement(name, ours.ms),
    anchor: measurement(anchorName, anchorMs),
    target: `≤ ${LINEAR_SLACK}× per-file time, RSS < 1 GB`,
    detail: `peak RSS ${mb} MB; ${((ours.ms * 1000) / count).toFixed(1)} µs/file`,
  };
}

/** Runs one task in a child process (see bench/scale-child.ts). */
function child(task: ScaleTask): Promise<ScaleOutcome> {
  const script = path.join(__dirname, 'scale-child.ts');
  const tsx = path.join(__dirname, '..', 'node_modules', '.bin', 'tsx');
  return new Promise((resolve, reject) => {
    execFile(tsx, [script, JSON.stringify(task)], { maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`scale bench: ${task.op} failed: ${stderr || error.message}`));
      else resolve(JSON.parse(stdout.trim().split('\n').pop()!) as ScaleOutcome);
    });
  });
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const started = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** `sha256sum` of every file under `dir`, sorted by path: the anchor diff's input. */
function listing(dir: string, out: string): Promise<void> {
  return run('bash', ['-c', `find . -type f -print0 | xargs -0 -P 2 sha256sum | LC_ALL=C sort -k2 > ${out}`], dir);
}

function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
}

if (require.main === module) {
  void runScaleBench().then((rows) => console.log(JSON.stringify(rows, null, 2)));
}
