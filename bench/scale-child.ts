/**
 * One operation of bench/scale.bench.ts in a process of its own, so its peak resident set (VmHWM
 * of /proc/self/status) is that operation's alone. Reads its task as JSON from argv[2], prints
 * one JSON line: wall time, peak RSS in bytes, and the operation's result.
 */
import fs from 'node:fs';
import { diffSnapshots, materializeSnapshot, snapshotDataset } from '../activities/data';
import { FilesystemBlobStore } from '../activities/storage';

export type ScaleTask =
  | { op: 'snapshot'; store: string; dataset: string; source: string; cacheDir: string }
  | { op: 'diff'; store: string; dataset: string; a: string; b: string; limit: number }
  | { op: 'materialize'; store: string; dataset: string; id: string; dir: string };

export interface ScaleOutcome {
  ms: number;
  peakRssBytes: number;
  result: unknown;
}

async function run(task: ScaleTask): Promise<unknown> {
  const store = new FilesystemBlobStore(task.store);
  if (task.op === 'snapshot') {
    return snapshotDataset(store, { dataset: task.dataset, source: task.source }, { cacheDir: task.cacheDir });
  }
  if (task.op === 'diff') {
    const diff = await diffSnapshots(store, { dataset: task.dataset, a: task.a, b: task.b }, { limit: task.limit });
    const { added: _a, removed: _r, changed: _c, ...counts } = diff;
    return counts;
  }
  return materializeSnapshot(store, { dataset: task.dataset, id: task.id, dir: task.dir });
}

/** VmHWM: the most resident memory this process ever had. */
function peakRss(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) * 1024 : NaN;
}

if (require.main === module) {
  void (async () => {
    const task = JSON.parse(process.argv[2] ?? '{}') as ScaleTask;
    const started = process.hrtime.bigint();
    const result = await run(task);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const outcome: ScaleOutcome = { ms, peakRssBytes: peakRss(), result };
    process.stdout.write(`${JSON.stringify(outcome)}\n`);
  })().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
