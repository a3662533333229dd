/**
 * Process identity and process-group signalling for detached jobs. A pid alone can be reused after
 * a reboot or a long time, so a job's process is "ours" only if its start time (field 22 of
 * /proc/<pid>/stat, in clock ticks since boot) still matches the one recorded at launch. Without
 * /proc (macOS) the check falls back to "a process with that pid exists".
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** The start time of `pid` (opaque, comparable), `null` without /proc, `undefined` if it is gone or a zombie. */
export async function processStartTime(pid: number): Promise<string | null | undefined> {
  let stat: string;
  try {
    stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // ESRCH: the process exited while its stat file was being read
    if (code === 'ESRCH') return undefined;
    if (code === 'ENOENT') return (await hasProc()) ? undefined : null;
    throw error;
  }
  // the command name (field 2) may contain spaces and parentheses: split after the last ')'
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (rest[0] === 'Z' || rest[0] === 'X') return undefined;
  return rest[19];
}

/** Whether the process recorded as (`pid`, `startTime`) is still running. */
export async function isSameProcess(pid: number, startTime: string | null): Promise<boolean> {
  const now = await processStartTime(pid);
  if (now === undefined) return false;
  if (now === null || startTime === null) return signalExists(pid);
  return now === startTime;
}

/** Whether any live (non-zombie) process of group `pgid` exists; zombies wait on a reaper, not on us. */
export async function groupExists(pgid: number): Promise<boolean> {
  if (!signalExists(-pgid)) return false;
  if (!(await hasProc())) return true;
  for (const name of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await fs.readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (rest[2] === String(pgid) && rest[0] !== 'Z' && rest[0] !== 'X') return true;
  }
  return false;
}

/** SIGTERM to the whole group, then SIGKILL if anything is left after `graceMs`. */
export async function killGroup(pgid: number, graceMs: number): Promise<void> {
  if (!sendSignal(-pgid, 'SIGTERM')) return;
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    await sleep(50);
    if (!(await groupExists(pgid))) return;
  }
  sendSignal(-pgid, 'SIGKILL');
  for (let i = 0; i < 40 && (await groupExists(pgid)); i++) await sleep(50);
}

let procAvailable: boolean | undefined;
async function hasProc(): Promise<boolean> {
  procAvailable ??= await fs.access('/proc/self/stat').then(
    () => true,
    () => false,
  );
  return procAvailable;
}

function signalExists(target: number): boolean {
  try {
    process.kill(target, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Sends `signal`; false when there was no such process (group). */
function sendSignal(target: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(target, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/**
 * Spawns `file args…` detached, leading its own process group (so it outlives the worker and can be
 * signalled as a whole), stdout and stderr appended to `logFile` (after `header`, if given); returns its pid.
 */
export async function spawnDetached(
  file: string,
  args: readonly string[],
  options: { cwd: string; env: Record<string, string>; logFile: string; header?: string },
): Promise<number> {
  const log = await fs.open(options.logFile, 'a');
  try {
    if (options.header !== undefined) await log.write(options.header);
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', log.fd, log.fd],
    });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('spawn', () =>
        child.pid === undefined ? reject(new Error('spawn gave no pid')) : resolve(child.pid),
      );
    });
    child.unref();
    return pid;
  } finally {
    await log.close();
  }
}
