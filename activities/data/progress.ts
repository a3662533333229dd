/** Progress of a snapshot: counters, a phase, and throttled reports to an optional callback. */
import type { SnapshotHeartbeat, SnapshotProgress, SnapshotResumeState } from './types';

/** Receives progress at most every `intervalMs` and at every phase change; may throw to abort the snapshot. */
export type ProgressListener = (beat: SnapshotHeartbeat) => void;

/** Counts files and bytes done and reports them, with the resume state, to a listener. */
export class ProgressReporter {
  readonly progress: SnapshotProgress = { phase: 'scanning', filesDone: 0, filesTotal: 0, bytesDone: 0, bytesTotal: 0 };
  private lastReport = 0;

  constructor(
    private readonly listener: ProgressListener | undefined,
    private readonly intervalMs: number,
    private readonly resume: () => SnapshotResumeState,
  ) {}

  /** Sets the totals once the source has been scanned. */
  totals(files: number, bytes: number): void {
    this.progress.filesTotal = files;
    this.progress.bytesTotal = bytes;
  }

  /** Moves to `phase` and reports at once. */
  phase(phase: SnapshotProgress['phase']): void {
    if (this.progress.phase === phase) return;
    this.progress.phase = phase;
    this.report(true);
  }

  /** Counts one file done. */
  fileDone(bytes: number): void {
    this.progress.filesDone++;
    this.progress.bytesDone += bytes;
    this.report(false);
  }

  /** Reports now, ignoring a listener that throws (used on the way out of a failed attempt). */
  reportQuietly(): void {
    try {
      this.report(true);
    } catch {
      // the attempt is failing already; its own error is the one to surface
    }
  }

  /** Reports now if forced or if the interval has passed since the last report. */
  report(force: boolean): void {
    if (!this.listener) return;
    const now = Date.now();
    if (!force && now - this.lastReport < this.intervalMs) return;
    this.lastReport = now;
    this.listener({ ...this.progress, resume: this.resume() });
  }
}
