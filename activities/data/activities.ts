/**
 * The data activities: thin wrappers over the plain functions that add what only an activity
 * has. `snapshotDataset` heartbeats its progress with a resume point and, when retried, resumes
 * from the last heartbeat; snapshot and materialize stop on cancellation (`cancellationSignal()`).
 * Every `DataError` leaves as a non-retryable `ApplicationFailure` of the same type.
 */
import { activityInfo, cancellationSignal, heartbeat } from '@temporalio/activity';
import type { BlobStore } from '../storage/types';
import { diffSnapshots, truncateDiff } from './diff';
import { toActivityFailure } from '../failures';
import { isDigest } from './keys';
import { materializeSnapshot } from './materialize';
import { resolveSnapshotId } from './read';
import { snapshotDataset } from './snapshot';
import type {
  DiffInput,
  MaterializeInput,
  MaterializeResult,
  SnapshotDiff,
  SnapshotInput,
  SnapshotResult,
  SnapshotResumeState,
  ValidateInput,
  ValidationReport,
} from './types';
import { validateDataset, validationFailure } from './validate';

export interface DataActivityDeps {
  /** The platform's store: blobs, manifests, profiles, refs, reports. */
  store: BlobStore;
  /** Folder for the stat cache. */
  cacheDir: string;
  /** A store for a source URI such as `s3://bucket/prefix`. */
  openStore: (uri: string) => BlobStore;
  /** Folders a local dataset source must lie in (MLOPS_SOURCE_ROOTS); absent: any folder. */
  sourceRoots?: readonly string[];
  /** The most files one snapshot may hold (MLOPS_MAX_SNAPSHOT_FILES). @default DEFAULT_MAX_SNAPSHOT_FILES */
  maxSnapshotFiles?: number;
}

/** Heartbeat at least this often while an activity runs, even when no file finished. */
const KEEPALIVE_MS = 10_000;

/** Most entries of each file list a `diffSnapshots` activity returns. */
export const MAX_DIFF_ENTRIES = 1000;

/** Builds the data activities on `deps`. */
export function createDataActivities(deps: DataActivityDeps) {
  return {
    /** Snapshots a folder or store prefix; heartbeats `SnapshotHeartbeat`, resumes from it when retried. */
    async snapshotDataset(input: SnapshotInput): Promise<SnapshotResult> {
      const resume = resumeFrom(activityInfo().heartbeatDetails);
      return asActivity((onProgress) =>
        snapshotDataset(deps.store, input, {
          cacheDir: deps.cacheDir,
          openStore: deps.openStore,
          sourceRoots: deps.sourceRoots,
          maxFiles: deps.maxSnapshotFiles,
          resume,
          onProgress,
          signal: cancellationSignal(),
        }),
      );
    },

    /** The full id of a snapshot given as `latest` or an id prefix, so a run pins the data it reads. */
    async resolveSnapshot(input: { dataset: string; snapshot: string }): Promise<{ id: string }> {
      return asActivity(async () => ({ id: await resolveSnapshotId(deps.store, input.dataset, input.snapshot) }));
    },

    /** Restores a snapshot's files into a folder on the worker, verifying every digest. */
    async materializeSnapshot(input: MaterializeInput): Promise<MaterializeResult> {
      return asActivity((onProgress) =>
        materializeSnapshot(deps.store, input, { onProgress: throttled(onProgress), signal: cancellationSignal() }),
      );
    },

    /** Validates a snapshot's profile; stores the report, and fails with `DatasetValidationFailed` if any check fails. */
    async validateDataset(input: ValidateInput): Promise<ValidationReport> {
      return asActivity(async () => {
        const report = await validateDataset(deps.store, input);
        if (!report.passed) throw validationFailure(report);
        return report;
      });
    },

    /** What changed between two snapshots (file lists cut to `MAX_DIFF_ENTRIES`; counts exact). */
    async diffSnapshots(input: DiffInput): Promise<SnapshotDiff> {
      return asActivity(async () =>
        truncateDiff(await diffSnapshots(deps.store, input, { limit: MAX_DIFF_ENTRIES }), MAX_DIFF_ENTRIES),
      );
    },
  };
}

/**
 * Runs `fn` as an activity body: what it reports is heartbeated, and the last report is
 * heartbeated again every `KEEPALIVE_MS` so one long file (a large upload) cannot trip the
 * heartbeat timeout; a `DataError` leaves as an `ApplicationFailure`.
 */
async function asActivity<T>(fn: (onProgress: (details: unknown) => void) => Promise<T>): Promise<T> {
  let last: unknown;
  const keepalive = setInterval(() => heartbeat(last), KEEPALIVE_MS);
  keepalive.unref();
  try {
    return await fn((details) => {
      last = details;
      heartbeat(details);
    });
  } catch (error) {
    throw toActivityFailure(error);
  } finally {
    clearInterval(keepalive);
  }
}

/** The resume state in an earlier attempt's last heartbeat, if it has a usable one. */
function resumeFrom(details: unknown): SnapshotResumeState | undefined {
  if (typeof details !== 'object' || details === null || !('resume' in details)) return undefined;
  const resume = details.resume as Partial<SnapshotResumeState> | null;
  if (!resume || !Array.isArray(resume.storedDigests)) return undefined;
  return { storedDigests: resume.storedDigests.filter(isDigest) };
}

/** `report` called at most once per `intervalMs` (the last call in between is dropped; the keepalive repeats the latest sent). */
function throttled<T>(report: (value: T) => void, intervalMs = 1000): (value: T) => void {
  let sentAt = 0;
  return (value) => {
    if (Date.now() - sentAt < intervalMs) return;
    sentAt = Date.now();
    report(value);
  };
}
