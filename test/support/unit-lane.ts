/**
 * The unit lane, `npm run test:unit`: the test files that need no server — no Temporal dev server,
 * no MinIO, no Ray, no model server, no browser — listed in .mocharc.unit.js, run in under a minute.
 *
 * That config sets MLOPS_TEST_LANE=unit (`MLOPS_TEST_LANE=unit npx mocha <file>` runs one file as
 * the lane does). In that lane test/hooks.ts starts no shared stack (`testStack()` says why) and
 * calls `guardUnitLane()`, which refuses whatever would start a server: the programs of the stack (temporal, minio, ray, the model server, kube-apiserver, etcd, a Chromium), the `mlops`
 * commands that start one (worker, gateway, codec-server, dev up, demo), a Temporal test
 * environment, and a connection to a Temporal server. A refusal throws where the server would have
 * started and is also kept, so the run fails at its end (test/hooks.ts) even if a test caught it.
 * That keeps the list true as tests are added: a file that starts a server fails in this lane
 * and belongs in the full run (`npm test`) only.
 */
import { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection } from '@temporalio/worker';

const LANE_ENV = 'MLOPS_TEST_LANE';

/** Whether this run is the unit lane. */
export function inUnitLane(): boolean {
  return process.env[LANE_ENV] === 'unit';
}

/** Programs that are (or start) a server of the test stack. */
const SERVER_PROGRAMS = new Set([
  'temporal',
  'minio',
  'ray',
  'kube-apiserver',
  'etcd',
  'chromium',
  'chromium-browser',
  'chrome',
  'google-chrome',
  'headless_shell',
]);

/** The project's model server (activities/serving/model_server.py), run by Python. */
const MODEL_SERVER_SCRIPT = 'model_server.py';

/** `mlops` commands that start a server or connect to Temporal to serve. */
const SERVER_COMMANDS = new Set(['worker', 'gateway', 'codec-server', 'demo']);

/**
 * The server that running `file` with `argv` (argv[0] being the program's own name) would start, or
 * undefined for a command that starts none.
 */
export function serverStartedBy(file: string, argv: readonly string[]): string | undefined {
  const program = path.basename(file);
  if (SERVER_PROGRAMS.has(program)) return program;
  const args = argv.slice(1);
  const module = args[args.indexOf('-m') + 1];
  if (program.startsWith('python') && args.includes('-m') && module && SERVER_PROGRAMS.has(module)) return module;
  if (program.startsWith('python') && args.some((a) => path.basename(a) === MODEL_SERVER_SCRIPT))
    return MODEL_SERVER_SCRIPT;
  const script = args.findIndex((a) => path.basename(a) === 'mlops.js' || path.basename(a) === 'mlops');
  if (program !== 'mlops' && script < 0) return undefined;
  const rest = args.slice(script + 1);
  if (rest.includes('--help') || rest.includes('-h')) return undefined;
  const [command, sub] = rest.filter((a) => !a.startsWith('-'));
  if (command && SERVER_COMMANDS.has(command)) return `mlops ${command}`;
  if (command === 'dev' && sub === 'up') return 'mlops dev up';
  return undefined;
}

/** What `ChildProcess.prototype.spawn` is given: the program and its argv (argv[0] its own name). */
interface SpawnInternals {
  file: string;
  args?: string[];
}

/** What the unit lane refused, in order: kept so the run fails even when a test caught the error. */
export const refusals: string[] = [];

let lastTest: string | undefined;

/** Notes the test under way, to name it in a refusal (test/hooks.ts calls it before each test). */
export function noteCurrentTest(test: Mocha.Runnable | undefined): void {
  if (test) lastTest = `"${test.fullTitle()}" (${path.relative(process.cwd(), test.file ?? '')})`;
}

/** The test file on the stack (a hook's or a test's), else the last test that started. */
function culprit(): string {
  const file = /\((\/[^():]+\.test\.ts):\d+:\d+\)/.exec(new Error().stack ?? '')?.[1];
  if (file) return path.relative(process.cwd(), file);
  return lastTest ? `a test after ${lastTest}` : 'a test file';
}

/** Throws, and keeps, the error for a server the unit lane does not start. */
function refuse(what: string): never {
  const message =
    `the unit lane (npm run test:unit) starts no server, but ${culprit()} started ${what}: ` +
    'that file belongs in the full run (npm test) only; remove it from .mocharc.unit.js';
  refusals.push(message);
  throw new Error(message);
}

/** Installs the refusals (test/hooks.ts, once, in the unit lane). */
export function guardUnitLane(): void {
  // every asynchronous spawn (spawn, exec, execFile, fork; playwright's browser launch) goes through
  // this method of Node's (undocumented, so typed here); the synchronous ones never start a server
  const proto = ChildProcess.prototype as unknown as { spawn(options: SpawnInternals): unknown };
  const spawn = proto.spawn;
  proto.spawn = function (this: ChildProcess, options: SpawnInternals) {
    const server = serverStartedBy(options.file, options.args ?? []);
    if (server) refuse(`${server} (${[options.file, ...(options.args ?? []).slice(1)].join(' ')})`);
    return spawn.call(this, options);
  };
  const refuseStatic = <T extends object>(owner: T, name: keyof T & string, what: string) => {
    Object.defineProperty(owner, name, { value: () => refuse(what), configurable: true, writable: true });
  };
  refuseStatic(TestWorkflowEnvironment, 'createLocal', 'a Temporal dev server (TestWorkflowEnvironment.createLocal)');
  refuseStatic(TestWorkflowEnvironment, 'createTimeSkipping', 'a Temporal test server');
  refuseStatic(Connection, 'connect', 'a connection to a Temporal server');
  refuseStatic(NativeConnection, 'connect', 'a connection to a Temporal server (a worker)');
}
