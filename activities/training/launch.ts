/**
 * Starts a job's command detached from the worker: in its own process group (so cancel can signal
 * it and everything it spawned), stdout and stderr appended to `job.log`, and wrapped in `sh` so the
 * exit status lands in `exit-status` even if the worker has died meanwhile. The command is passed
 * to the wrapper as positional arguments (`"$@"`), so no argument is ever re-parsed by the shell.
 */
import type { JobPaths } from './job-files';
import fs from 'node:fs/promises';
import { processStartTime, spawnDetached } from '../../lib/processes/process-group';

/**
 * `$1` is the job folder, the rest is the command. `exec` is not used: the shell must outlive the
 * command to record its status. 127 (not found) and 126 (not executable) get a line in the log.
 */
const WRAPPER = [
  'd="$1"; shift',
  '"$@"',
  's=$?',
  'if [ "$s" -eq 127 ]; then echo "mlops: $1: command not found (exit 127)" >&2; fi',
  'if [ "$s" -eq 126 ]; then echo "mlops: $1: not executable (exit 126)" >&2; fi',
  'echo "$s" > "$d/exit-status.tmp" && mv "$d/exit-status.tmp" "$d/exit-status"',
].join('\n');

/** The wrapper's `$0`: with the job folder after it, it marks a job's process in /proc. */
const WRAPPER_NAME = 'mlops-job';

export interface LaunchOptions {
  paths: JobPaths;
  command: string[];
  cwd: string;
  env: Record<string, string>;
}

/** Spawns the wrapped command detached; returns the wrapper's pid (also its process group id). */
export async function launchDetached({ paths, command, cwd, env }: LaunchOptions): Promise<number> {
  return spawnDetached('/bin/sh', ['-c', WRAPPER, WRAPPER_NAME, paths.dir, ...command], {
    cwd,
    env,
    logFile: paths.log,
  });
}

/**
 * The pid of a live wrapper launched for `paths` (found by its command line: `… mlops-job <dir> …`),
 * for a submitter that died before recording it; undefined when none runs (or without /proc).
 */
export async function findLaunched(paths: JobPaths): Promise<number | undefined> {
  const marker = `\0${WRAPPER_NAME}\0${paths.dir}\0`;
  const names = await fs.readdir('/proc').catch(() => [] as string[]);
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const cmdline = await fs.readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    if (!cmdline.includes(marker)) continue;
    const pid = Number(name);
    if ((await processStartTime(pid)) !== undefined) return pid;
  }
  return undefined;
}
