/**
 * The data activities: thin wrappers over the plain functions that add what only an activity
 * has. `snapshotDataset` heartbeats its progress with a resume point and, when retried, resumes
 * from the last heartbeat; snapshot and materialize stop on cancellation (`cancellationSignal()`).
 * Every `DataError` leaves as a non-retryable `ApplicationFailure` of the same type.
 */
import { activityInfo, cancellationSignal, heartbeat } from '@temporalio/activity';
import type { BlobStore } from '../storage/types';
import { diffSnapshots, truncateDiff } from './diff';
import { toActivityFailure } from './errors';
import { isDigest } from './keys';
import { materializeSnapshot } from './materialize';
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
}

/** Most entries of each file list a `diffSnapshots` activity returns. */
export const MAX_DIFF_ENTRIES = 1000;

/** Builds the data activities on `deps`. */
export function createDataActivities(deps: DataActivityDeps) {
  return {
    /** Snapshots a folder or store prefix; heartbeats `SnapshotHeartbeat`, resumes from it when retried. */
    async snapshotDataset(input: SnapshotInput): Promise<SnapshotResult> {
      return asActivity(() =>
        snapshotDataset(deps.store, input, {
          cacheDir: deps.cacheDir,
          openStore: deps.openStore,
          resume: resumeFrom(activityInfo().heartbeatDetails),
          onProgress: (beat) => heartbeat(beat),
          signal: cancellationSignal(),
        }),
      );
    },

    /** Restores a snapshot's files into a folder on the worker, verifying every digest. */
    async materializeSnapshot(input: MaterializeInput): Promise<MaterializeResult> {
      return asActivity(() =>
        materializeSnapshot(deps.store, input, { onProgress: (done) => heartbeat(done), signal: cancellationSignal() }),
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
      return asActivity(async () => truncateDiff(await diffSnapshots(deps.store, input), MAX_DIFF_ENTRIES));
    },
  };
}

async function asActivity<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw toActivityFailure(error);
  }
}

/** The resume state in an earlier attempt's last heartbeat, if it has a usable one. */
function resumeFrom(details: unknown): SnapshotResumeState | undefined {
  if (typeof details !== 'object' || details === null || !('resume' in details)) return undefined;
  const resume = details.resume as Partial<SnapshotResumeState> | null;
  if (!resume || !Array.isArray(resume.storedDigests)) return undefined;
  return { storedDigests: resume.storedDigests.filter(isDigest) };
}
