/**
 * Data versioning types: snapshot manifests, profiles, validation reports and diffs. Workflows and
 * the CLI import these as types; the activities in this folder produce them.
 *
 * Store layout (docs/architecture.md):
 *   datasets/<name>/blobs/sha256/<aa>/<digest>     content-addressed file bodies (deduplicated)
 *   datasets/<name>/snapshots/<id>.json            the manifest (immutable)
 *   datasets/<name>/manifest-chunks/<sha256>.ndjson  the file lists of large manifests, in chunks
 *   datasets/<name>/profiles/<id>.json             the tabular profile of the snapshot's CSV and Parquet files
 *   datasets/<name>/refs/latest.json               the newest snapshot id (compare-and-swap)
 *   datasets/<name>/validations/<id>/<hash>.json   validation reports
 */
import type { DatasetExpectations } from '../../common/schemas/spec';

export type { DatasetExpectations };

/** One file of a snapshot. */
export interface ManifestEntry {
  path: string;
  sha256: string;
  size: number;
}

/**
 * One chunk of a large manifest, `datasets/<name>/manifest-chunks/<sha256>.ndjson`: up to a bounded
 * number of files as lines `["path","sha256",size]` in path order (./manifest-chunks.ts).
 */
export interface ManifestChunkRef {
  /** sha256 of the chunk object's bytes (content-addressed). */
  sha256: string;
  /** Files in the chunk. */
  count: number;
}

/** A manifest without its file list: what a snapshot's manifest object says about it. */
export interface ManifestHeader {
  /** sha256 of the canonical manifest (sorted path → sha256, size); identical content → identical id. */
  id: string;
  dataset: string;
  fileCount: number;
  totalBytes: number;
  createdAt: string;
  /** The dataset's previous snapshot when this one was taken, if any. */
  parent: string | null;
  description?: string;
  /** Where the data came from (folder or store URI), for lineage. */
  source: string;
  /** Key of the profile object, when the snapshot has CSV or Parquet files. */
  profileKey?: string;
  /** A large manifest lists its files in chunks (in path order) instead of `files`. */
  chunks?: ManifestChunkRef[];
}

/** A manifest with its whole file list (a single-document manifest, or a chunked one collected). */
export interface SnapshotManifest extends ManifestHeader {
  files: ManifestEntry[];
}

export interface SnapshotInput {
  dataset: string;
  /** A local folder (absolute path or file://…), a store prefix (s3://bucket/prefix), or a folder of the platform's store (a job's `outputUri`). */
  source: string;
  description?: string;
}

export interface SnapshotResult {
  dataset: string;
  id: string;
  fileCount: number;
  totalBytes: number;
  /** Bodies uploaded by this call (not already in the blob store). */
  uploadedFiles: number;
  uploadedBytes: number;
  /** Files whose digest came from the stat cache instead of hashing. */
  cachedDigests: number;
  /** false when a snapshot with this id already existed (identical content). */
  created: boolean;
  parent: string | null;
  manifestKey: string;
  profileKey?: string;
}

/** Progress as heartbeated by `snapshotDataset` (and shown by the CLI and the workflow details). */
export interface SnapshotProgress {
  phase: 'scanning' | 'hashing' | 'uploading' | 'profiling' | 'writing';
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

/** What a retried `snapshotDataset` attempt needs to skip work an earlier attempt did. */
export interface SnapshotResumeState {
  /** Digests earlier attempts found or put in the blob store (capped): a retry asks the store nothing about them. */
  storedDigests: string[];
}

/**
 * The heartbeat details of `snapshotDataset`: its progress (so readers may treat it as a
 * `SnapshotProgress`) plus the resume point for a retried attempt.
 */
export interface SnapshotHeartbeat extends SnapshotProgress {
  resume: SnapshotResumeState;
}

/** One line of `listSnapshots`: a manifest without its file list. */
export interface SnapshotSummary {
  id: string;
  createdAt: string;
  fileCount: number;
  totalBytes: number;
  parent: string | null;
  description?: string;
}

export interface MaterializeInput {
  dataset: string;
  /** A snapshot id, a unique prefix of one (at least 6 hex characters), or `latest`. */
  id: string;
  /** The folder to restore the files into (created if missing). */
  dir: string;
}

export interface MaterializeResult {
  dataset: string;
  id: string;
  dir: string;
  fileCount: number;
  totalBytes: number;
  /** Files downloaded by this call. */
  restoredFiles: number;
  /** Files already in `dir` with the right content (e.g. from an earlier attempt), left as they were. */
  reusedFiles: number;
}

export interface ValidateInput {
  dataset: string;
  /** A snapshot id, a unique prefix of one, or `latest`. */
  id: string;
  expectations: DatasetExpectations;
}

export interface DiffInput {
  dataset: string;
  /** Snapshot ids (or unique prefixes, or `latest`): the diff goes from `a` to `b`. */
  a: string;
  b: string;
}

export type ColumnType = 'integer' | 'number' | 'boolean' | 'string' | 'datetime';

export interface NumericStats {
  min: number;
  max: number;
  mean: number;
  std: number;
  /** Quantiles at 0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1. */
  quantiles: { q: number; value: number }[];
  histogram: { edges: number[]; counts: number[] };
  /**
   * Values the quantiles and histogram were computed from: the non-null count when exact, else the
   * size of a deterministic reservoir sample (histogram counts are then scaled to the non-null count).
   */
  sampleSize: number;
}

export interface ColumnProfile {
  name: string;
  type: ColumnType;
  count: number;
  nulls: number;
  nullRate: number;
  /** Number of distinct non-null values; absent when there were too many to count exactly. */
  distinct?: number;
  /** Every distinct non-null value, sorted, when there are at most 1,000 (string, boolean, integer columns). */
  distinctValues?: string[];
  numeric?: NumericStats;
  /** Most frequent values (strings/booleans), with counts; the rest summed in `other`. */
  categories?: { value: string; count: number }[];
  otherCount?: number;
}

export interface FileProfile {
  path: string;
  rows: number;
  columns: ColumnProfile[];
}

export interface SnapshotProfile {
  dataset: string;
  snapshot: string;
  files: FileProfile[];
}

export interface ExpectationResult {
  /** e.g. `minRows`, `maxNullRate.tenure`, `requiredColumns.churned` */
  expectation: string;
  file: string;
  passed: boolean;
  expected: unknown;
  observed: unknown;
  message: string;
}

export interface ValidationReport {
  dataset: string;
  snapshot: string;
  passed: boolean;
  results: ExpectationResult[];
  /** Store key of this report. */
  reportKey: string;
  checkedAt: string;
}

export interface SnapshotDiff {
  dataset: string;
  a: string;
  b: string;
  added: ManifestEntry[];
  removed: ManifestEntry[];
  changed: { path: string; a: ManifestEntry; b: ManifestEntry }[];
  unchangedCount: number;
  /** Full lengths of `added`, `removed`, `changed` (the activity returns at most 1,000 entries of each). */
  addedCount: number;
  removedCount: number;
  changedCount: number;
  /** True when a list above was cut to keep the activity's result small. */
  truncated: boolean;
  profileChanges: {
    path: string;
    rows: { a: number | null; b: number | null };
    addedColumns: string[];
    removedColumns: string[];
    typeChanges: { column: string; a: ColumnType; b: ColumnType }[];
  }[];
}
