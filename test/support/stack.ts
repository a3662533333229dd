/**
 * The servers one test run shares: ONE Temporal dev server and ONE MinIO, started by the root
 * hook (test/hooks.ts) and stopped after the last suite. Suites call `testStack()`.
 * Nothing downloads: the binaries come from TEMPORAL_CLI_PATH / MINIO_PATH / .tools/bin / PATH.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { ML_SEARCH_ATTRIBUTES } from '../../common/search-attributes';
import { minioArgs, minioEnv, waitForMinioAndCreateBucket } from '../../infra/dev/minio';
import { freePort } from '../../infra/dev/ports';
import { REPO_ROOT, requireTool } from '../../infra/dev/tools';

export interface TestMinio {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  process: ChildProcess;
}

export interface TestStack {
  env: TestWorkflowEnvironment;
  /** host:port of the dev server's gRPC endpoint. */
  address: string;
  namespace: string;
  minio: TestMinio;
  /** A scratch folder for this run, removed at the end. */
  tmpDir: string;
}

let current: TestStack | undefined;
let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

export function testStack(): TestStack {
  if (!current) throw new Error('the test stack is not started: run tests through mocha with test/hooks.ts');
  return current;
}

/** The workflows/ bundle, built once per test run. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: quietLogger });
  return bundle;
}

export async function startTestStack(): Promise<TestStack> {
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-test-'));
  const [env, minio] = await Promise.all([startTemporal(), startMinio(tmpDir)]);
  const address = env.connection.options.address;
  current = { env, address, namespace: env.namespace ?? 'default', minio, tmpDir };
  return current;
}

export async function stopTestStack(): Promise<void> {
  const stack = current;
  current = undefined;
  if (!stack) return;
  await stack.env.teardown();
  await stopProcess(stack.minio.process);
  fs.rmSync(stack.tmpDir, { recursive: true, force: true });
}

async function startTemporal(): Promise<TestWorkflowEnvironment> {
  const temporal = requireTool('temporal');
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporal },
      ip: '127.0.0.1',
      searchAttributes: [...ML_SEARCH_ATTRIBUTES],
      extraArgs: ['--log-level', 'error'],
    },
  });
}

async function startMinio(tmpDir: string): Promise<TestMinio> {
  const binary = requireTool('minio');
  const settings = {
    dataDir: path.join(tmpDir, 'minio'),
    port: await freePort(),
    consolePort: await freePort(),
    accessKeyId: 'mlops-test',
    secretAccessKey: 'mlops-test-secret',
  };
  fs.mkdirSync(settings.dataDir, { recursive: true });
  const logFile = path.join(tmpDir, 'minio.log');
  const out = fs.openSync(logFile, 'a');
  const child = spawn(binary, minioArgs(settings), { env: minioEnv(settings), stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const endpoint = `http://127.0.0.1:${settings.port}`;
  const bucket = 'mlops-test';
  const ok = await waitForMinioAndCreateBucket(endpoint, bucket, settings);
  if (!ok) {
    child.kill('SIGKILL');
    throw new Error(`MinIO did not become healthy at ${endpoint}; log:\n${fs.readFileSync(logFile, 'utf8')}`);
  }
  return {
    endpoint,
    bucket,
    accessKeyId: settings.accessKeyId,
    secretAccessKey: settings.secretAccessKey,
    process: child,
  };
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};

/** The repository root, for tests that run the CLI. */
export const repoRoot = REPO_ROOT;
