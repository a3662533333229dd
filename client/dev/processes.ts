/**
 * Background processes of the local stack: started detached (own process group, output to a log
 * file) so they outlive the CLI, recognised by pid *and* command line (a recycled pid is not
 * ours), and stopped by process group.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface DetachedCommand {
  /** argv: the binary's absolute path, then its arguments. */
  command: string[];
  logFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Values in `command` that the log line must not show (e.g. a token in a URL). */
  secrets?: readonly string[];
}

export interface StartedProcess {
  pid: number;
  /** Byte offset in the log file where this run's output starts. */
  logOffset: number;
}

/** Starts `command` in its own process group, stdio appended to `logFile`, not waited for. */
export function spawnDetached(opts: DetachedCommand): StartedProcess {
  const [file, ...args] = opts.command;
  if (file === undefined) throw new Error('spawnDetached: empty command');
  fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
  const shown = (opts.secrets ?? []).reduce((line, secret) => line.split(secret).join('***'), opts.command.join(' '));
  fs.appendFileSync(opts.logFile, `--- ${new Date().toISOString()} ${shown}\n`);
  const logOffset = fs.statSync(opts.logFile).size;
  const fd = fs.openSync(opts.logFile, 'a');
  try {
    const child = spawn(file, args, { detached: true, stdio: ['ignore', fd, fd], cwd: opts.cwd, env: opts.env });
    // spawn failures (ENOENT, EACCES) arrive as an 'error' event; without a listener they would crash the CLI
    child.on('error', () => undefined);
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${file}`);
    return { pid: child.pid, logOffset };
  } finally {
    fs.closeSync(fd);
  }
}

/** The command line of a live process, or `undefined` when there is none (or it is a zombie). */
export function processCommandLine(pid: number): string[] | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  if (fs.existsSync('/proc/self/cmdline')) {
    try {
      const text = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const argv = text.split('\0');
      if (argv[argv.length - 1] === '') argv.pop();
      return argv.length > 0 && !isZombie(pid) ? argv : undefined;
    } catch {
      return undefined;
    }
  }
  // no /proc (macOS): ps prints the arguments joined by spaces, which is enough to compare
  try {
    const line = execFileSync('ps', ['-o', 'stat=,command=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    const match = /^(\S+)\s+(.*)$/.exec(line);
    if (!match || match[1]?.startsWith('Z')) return undefined;
    return [match[2] ?? ''];
  } catch {
    return undefined;
  }
}

/** Whether `pid` is alive and runs exactly `command` (as recorded when it was started). */
export function isProcessRunning(pid: number, command: readonly string[]): boolean {
  const argv = processCommandLine(pid);
  if (!argv) return false;
  if (argv.length === 1 && command.length > 1) return argv[0] === command.join(' ');
  // a script started through its shebang runs as [interpreter, (option), script, ...args]
  const tail = argv.slice(argv.length - command.length);
  return argv.length >= command.length && tail.every((arg, i) => arg === command[i]);
}

/** Whether `pid` exists at all (a zombie counts as gone). */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

export type StopOutcome = 'terminated' | 'killed';

/**
 * Stops the process group led by `pid`: SIGTERM, up to `graceMs` to exit, then SIGKILL.
 * Throws when the process survives even SIGKILL.
 */
export async function stopProcessGroup(pid: number, graceMs = 10_000): Promise<StopOutcome> {
  signalGroup(pid, 'SIGTERM');
  if (await waitGone(pid, graceMs)) return 'terminated';
  signalGroup(pid, 'SIGKILL');
  if (await waitGone(pid, 5_000)) return 'killed';
  throw new Error(`process ${pid} did not exit after SIGKILL`);
}

/** The output a process wrote to its log since `offset` (its last `maxBytes`). */
export function logTail(logFile: string, offset = 0, maxBytes = 4_000): string {
  try {
    const size = fs.statSync(logFile).size;
    const start = Math.max(offset, size - maxBytes);
    if (size <= start) return '';
    const fd = fs.openSync(logFile, 'r');
    try {
      const buffer = Buffer.alloc(size - start);
      fs.readSync(fd, buffer, 0, buffer.length, start);
      return buffer.toString('utf8').trim();
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // not a group leader after all (or already gone): signal the process itself
    try {
      process.kill(pid, signal);
    } catch {
      // gone
    }
  }
}

async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (pidExists(pid)) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}

function isZombie(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the state letter follows the parenthesised command name, which may itself contain ')'
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}
