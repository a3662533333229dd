/** What changed between two snapshots of a dataset: files by path and digest, and CSV profiles. */
import type { BlobStore } from '../storage/types';
import { comparePaths } from './canonical';
import { validateDatasetName } from './keys';
import { readManifest } from './manifest-store';
import { profileOf, resolveSnapshotId } from './read';
import type { DiffInput, FileProfile, ManifestEntry, SnapshotDiff, SnapshotProfile } from './types';

/** The diff from snapshot `a` to snapshot `b` (ids, unique prefixes or `latest`). */
export async function diffSnapshots(store: BlobStore, input: DiffInput): Promise<SnapshotDiff> {
  const dataset = validateDatasetName(input.dataset);
  const [a, b] = await Promise.all([
    resolveSnapshotId(store, dataset, input.a),
    resolveSnapshotId(store, dataset, input.b),
  ]);
  const [manifestA, manifestB] = await Promise.all([readManifest(store, dataset, a), readManifest(store, dataset, b)]);
  const filesA = new Map(manifestA.files.map((file) => [file.path, file]));
  const filesB = new Map(manifestB.files.map((file) => [file.path, file]));
  const added: ManifestEntry[] = manifestB.files.filter((file) => !filesA.has(file.path));
  const removed: ManifestEntry[] = manifestA.files.filter((file) => !filesB.has(file.path));
  const changed: SnapshotDiff['changed'] = [];
  let unchangedCount = 0;
  for (const fileB of manifestB.files) {
    const fileA = filesA.get(fileB.path);
    if (!fileA) continue;
    if (fileA.sha256 === fileB.sha256) unchangedCount++;
    else changed.push({ path: fileB.path, a: fileA, b: fileB });
  }
  const [profileA, profileB] = await Promise.all([profileOf(store, manifestA), profileOf(store, manifestB)]);
  return {
    dataset,
    a,
    b,
    added,
    removed,
    changed,
    unchangedCount,
    addedCount: added.length,
    removedCount: removed.length,
    changedCount: changed.length,
    truncated: false,
    profileChanges: profileChanges(profileA, profileB),
  };
}

/** Cuts the file lists of a diff to `max` entries each (counts stay exact), to keep an activity result small. */
export function truncateDiff(diff: SnapshotDiff, max: number): SnapshotDiff {
  if (diff.added.length <= max && diff.removed.length <= max && diff.changed.length <= max) return diff;
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
