/**
 * The `pid` file of a detached process (a training job's wrapper shell, a model server): its pid,
 * process group and start time, written right after launch so a restarted worker can tell whether
 * the process is still the one it started (./process-group.ts).
 */
import { writeJsonAtomic } from '../files';
import { killGroup, processStartTime } from './process-group';

/** What `pid` holds. */
export interface PidRecord {
  pid: number;
  /** Process group id (the wrapper leads its own group, so equal to `pid`). */
  pgid: number;
  /** `processStartTime(pid)` at launch (./process-group.ts). */
  startTime: string | null;
  startedAt: string;
}

/**
 * Records the launched process `pid` (leader of its own process group) in `file`; when that fails,
 * stops the group so no process runs unrecorded, and rethrows.
 */
export async function recordLaunchedPid(file: string, pid: number): Promise<void> {
  try {
    const startTime = (await processStartTime(pid)) ?? null;
    const record: PidRecord = { pid, pgid: pid, startTime, startedAt: new Date().toISOString() };
    await writeJsonAtomic(file, record);
  } catch (error) {
    await killGroup(pid, 0);
    throw error;
  }
}
