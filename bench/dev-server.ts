/**
 * The Temporal dev servers benchmarks start for themselves, with the project's binary on loopback
 * and its search attributes:
 *   - `startBenchServer()`: in memory, through the SDK's ephemeral-server support (the quick way);
 *   - `startStackLikeServer(dir)`: the command line `mlops dev up` runs (client/dev/stack-temporal.ts:
 *     a SQLite file, warn-level logs), started here as a child process so a load bench can read its
 *     CPU time from /proc/<pid>/stat and count the warnings in its log file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { probeTemporal, temporalCommand } from '../client/dev/stack-temporal';
import { ML_SEARCH_ATTRIBUTES } from '../common/search-attributes';
import { freePort, waitFor } from '../lib/ports';
import { requireTool } from '../lib/tools';

/** How long the stack-like server has to answer (it creates its SQLite file first). */
const SERVER_READY_MS = 60_000;
/** How long a SIGTERMed server has to exit before SIGKILL. */
const SERVER_STOP_MS = 15_000;
/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ: 100 on Linux). */
const CLOCK_TICKS_PER_S = 100;

export function startBenchServer(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: requireTool('temporal') },
      ip: '127.0.0.1',
      searchAttributes: [...ML_SEARCH_ATTRIBUTES],
      extraArgs: ['--log-level', 'error'],
    },
  });
}

/** A dev server started as `mlops dev up` starts it, with what a load bench reads of it. */
export interface StackLikeServer {
  env: TestWorkflowEnvironment;
  pid: number;
  /** Its stdout and stderr (warn level and above, as `mlops dev up` logs). */
  logFile: string;
  /** The argv it runs. */
  command: string[];
  /** User plus system CPU seconds the server process has used so far. */
  cpuSeconds(): number;
  /** Closes the connections and stops the server. */
  teardown(): Promise<void>;
}

/**
 * Starts `temporal server start-dev` with `mlops dev up`'s command line, its database and log in
 * `dir`; `sqlitePragmas` replaces the stack's pragmas (client/dev/stack-temporal.ts), e.g. `[]` for
 * SQLite's defaults.
 */
export async function startStackLikeServer(
  dir: string,
  opts: { sqlitePragmas?: readonly string[] } = {},
): Promise<StackLikeServer> {
  fs.mkdirSync(dir, { recursive: true });
  const [port, uiPort] = [await freePort(), await freePort()];
  const command = temporalCommand({
    binary: requireTool('temporal'),
    dbFile: path.join(dir, 'temporal.db'),
    port,
    uiPort,
    namespace: 'default',
    ...(opts.sqlitePragmas && { sqlitePragmas: opts.sqlitePragmas }),
  });
  const logFile = path.join(dir, 'temporal.log');
  const log = fs.openSync(logFile, 'a');
  const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const address = `127.0.0.1:${port}`;
  let lastProblem: string | undefined;
  const up = await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error('exited');
      lastProblem = await probeTemporal(address, 'default', `http://127.0.0.1:${uiPort}/`);
      return lastProblem === undefined;
    },
    SERVER_READY_MS,
    250,
  );
  if (!up) {
    await stopProcess(child);
    throw new Error(
      `the bench's Temporal dev server did not come up in ${SERVER_READY_MS / 1000} s (${lastProblem ?? `exit ${child.exitCode}`}); ` +
        `its log: ${fs.readFileSync(logFile, 'utf8').slice(-2000)}`,
    );
  }
  const env = await TestWorkflowEnvironment.createFromExistingServer({ address, namespace: 'default' });
  return {
    env,
    pid: child.pid!,
    logFile,
    command,
    cpuSeconds: () => processCpuSeconds(child.pid!),
    teardown: async () => {
      await env.teardown();
      await stopProcess(child);
    },
  };
}

/** User plus system CPU seconds of a process, from /proc/<pid>/stat (fields 14 and 15). */
export function processCpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // the command name (field 2) is in parentheses and may hold spaces: count fields after its ')'
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
}

/** SIGTERM, then SIGKILL if it has not exited in time. */
export async function stopProcess(child: ChildProcess, graceMs = SERVER_STOP_MS): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const stopped = await Promise.race([
    exited.then(() => true),
    sleep(graceMs, undefined, { ref: false }).then(() => false),
  ]);
  if (!stopped) {
    child.kill('SIGKILL');
    await exited;
  }
}
