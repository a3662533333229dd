/** What changed between two snapshots of a dataset: files by path and digest (streamed), and CSV profiles. */
import type { BlobStore } from '../storage/types';
import { comparePaths } from './canonical';
import { validateDatasetName } from './keys';
import { openManifest } from './manifest-store';
import { profileOf, resolveSnapshotId } from './read';
import type { DiffInput, FileProfile, ManifestEntry, SnapshotDiff, SnapshotProfile } from './types';

export interface DiffOptions {
  /** Most entries kept in each of `added`, `removed`, `changed` (counts stay exact). @default no limit */
  limit?: number;
}

/**
 * The diff from snapshot `a` to snapshot `b` (ids, unique prefixes or `latest`): a merge of the two
 * manifests' entries in path order, a chunk at a time, so neither file list is held whole; with
 * `limit`, at most that many entries of each kind are kept.
 */
export async function diffSnapshots(
  store: BlobStore,
  input: DiffInput,
  options: DiffOptions = {},
): Promise<SnapshotDiff> {
  const dataset = validateDatasetName(input.dataset);
  const limit = options.limit ?? Infinity;
  const [a, b] = await Promise.all([
    resolveSnapshotId(store, dataset, input.a),
    resolveSnapshotId(store, dataset, input.b),
  ]);
  const [manifestA, manifestB] = await Promise.all([openManifest(store, dataset, a), openManifest(store, dataset, b)]);
  const added: ManifestEntry[] = [];
  const removed: ManifestEntry[] = [];
  const changed: SnapshotDiff['changed'] = [];
  const counts = { added: 0, removed: 0, changed: 0, unchanged: 0 };
  const left = new Cursor(manifestA.batches());
  const right = new Cursor(manifestB.batches());
  for (;;) {
    const fileA = await left.peek();
    const fileB = await right.peek();
    if (fileA === undefined && fileB === undefined) break;
    const order = fileA === undefined ? 1 : fileB === undefined ? -1 : comparePaths(fileA.path, fileB.path);
    if (order < 0) {
      if (counts.removed++ < limit) removed.push(fileA!);
      left.advance();
    } else if (order > 0) {
      if (counts.added++ < limit) added.push(fileB!);
      right.advance();
    } else {
      if (fileA!.sha256 === fileB!.sha256) counts.unchanged++;
      else if (counts.changed++ < limit) changed.push({ path: fileB!.path, a: fileA!, b: fileB! });
      left.advance();
      right.advance();
    }
  }
  const [profileA, profileB] = await Promise.all([
    profileOf(store, manifestA.header),
    profileOf(store, manifestB.header),
  ]);
  return {
    dataset,
    a,
    b,
    added,
    removed,
    changed,
    unchangedCount: counts.unchanged,
    addedCount: counts.added,
    removedCount: counts.removed,
    changedCount: counts.changed,
    truncated: counts.added > added.length || counts.removed > removed.length || counts.changed > changed.length,
    profileChanges: profileChanges(profileA, profileB),
  };
}

/** Walks a manifest's batches one entry at a time. */
class Cursor {
  private batch: ManifestEntry[] = [];
  private index = 0;
  private done = false;

  constructor(private readonly batches: AsyncIterator<ManifestEntry[]>) {}

  /** The current entry, or undefined past the last. */
  async peek(): Promise<ManifestEntry | undefined> {
    while (this.index >= this.batch.length) {
      if (this.done) return undefined;
      const next = await this.batches.next();
      if (next.done) {
        this.done = true;
        return undefined;
      }
      this.batch = next.value;
      this.index = 0;
    }
    return this.batch[this.index];
  }

  advance(): void {
    this.index++;
  }
}

/** Cuts the file lists of a diff to `max` entries each (counts stay exact), to keep an activity result small. */
export function truncateDiff(diff: SnapshotDiff, max: number): SnapshotDiff {
  if (diff.added.length <= max && diff.removed.length <= max && diff.changed.length <= max) return diff;
  // (a diff made with `limit` is cut already: this is for callers that diffed without one)
  return {
    ...diff,
    added: diff.added.slice(0, max),
    removed: diff.removed.slice(0, max),
    changed: diff.changed.slice(0, max),
    truncated: true,
  };
}

function profileChanges(
  a: SnapshotProfile | undefined,
  b: SnapshotProfile | undefined,
): SnapshotDiff['profileChanges'] {
  const byPathA = new Map((a?.files ?? []).map((file) => [file.path, file]));
  const byPathB = new Map((b?.files ?? []).map((file) => [file.path, file]));
  const paths = [...new Set([...byPathA.keys(), ...byPathB.keys()])].sort(comparePaths);
  const out: SnapshotDiff['profileChanges'] = [];
  for (const path of paths) {
    const change = fileChange(path, byPathA.get(path), byPathB.get(path));
    const same =
      change.rows.a === change.rows.b &&
      change.addedColumns.length === 0 &&
      change.removedColumns.length === 0 &&
      change.typeChanges.length === 0;
    if (!same) out.push(change);
  }
  return out;
}

function fileChange(path: string, a: FileProfile | undefined, b: FileProfile | undefined) {
  const columnsA = new Map((a?.columns ?? []).map((column) => [column.name, column]));
  const columnsB = new Map((b?.columns ?? []).map((column) => [column.name, column]));
  const typeChanges: SnapshotDiff['profileChanges'][number]['typeChanges'] = [];
  for (const [name, columnB] of columnsB) {
    const columnA = columnsA.get(name);
    if (columnA && columnA.type !== columnB.type) typeChanges.push({ column: name, a: columnA.type, b: columnB.type });
  }
  return {
    path,
    rows: { a: a?.rows ?? null, b: b?.rows ?? null },
    addedColumns: [...columnsB.keys()].filter((name) => !columnsA.has(name)),
    removedColumns: [...columnsA.keys()].filter((name) => !columnsB.has(name)),
    typeChanges,
  };
}
