/**
 * The servers one test run shares: ONE Temporal dev server (with its web UI, for the browser
 * suite) and ONE MinIO, started by the root hook (test/hooks.ts) and stopped after the last suite.
 * Suites call `testStack()`.
 * Nothing downloads: the binaries come from TEMPORAL_CLI_PATH / MINIO_PATH / .tools/bin / PATH.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { ML_SEARCH_ATTRIBUTES } from '../../common/search-attributes';
import { startAttachedMinio, type AttachedMinio } from '../../client/dev/minio';
import { freePort } from '../../lib/ports';
import { REPO_ROOT, requireTool } from '../../lib/tools';
import { quietLogger } from './loggers';
import { inUnitLane } from './unit-lane';

export type TestMinio = AttachedMinio;

export interface TestStack {
  env: TestWorkflowEnvironment;
  /** host:port of the dev server's gRPC endpoint. */
  address: string;
  namespace: string;
  /** Base URL of the dev server's web UI, e.g. `http://127.0.0.1:43121`. */
  uiUrl: string;
  minio: TestMinio;
  /** A scratch folder for this run, removed at the end. */
  tmpDir: string;
}

let current: TestStack | undefined;
let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

export function testStack(): TestStack {
  if (current) return current;
  if (inUnitLane())
    throw new Error(
      'the unit lane (npm run test:unit) starts no server, and this test needs the shared stack: ' +
        'its file belongs in the full run (npm test) only; remove it from .mocharc.unit.js',
    );
  throw new Error('the test stack is not started: run tests through mocha with test/hooks.ts');
}

/** The workflows/ bundle, built once per test run. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: quietLogger });
  return bundle;
}

export async function startTestStack(): Promise<TestStack> {
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-test-'));
  const uiPort = await freePort();
  const [env, minio] = await Promise.all([startTemporal(uiPort), startAttachedMinio(tmpDir, 'mlops-test')]);
  const address = env.connection.options.address;
  const uiUrl = `http://127.0.0.1:${uiPort}`;
  current = { env, address, namespace: env.namespace ?? 'default', uiUrl, minio, tmpDir };
  return current;
}

export async function stopTestStack(): Promise<void> {
  const stack = current;
  current = undefined;
  if (!stack) return;
  await stack.env.teardown();
  await stack.minio.stop();
  fs.rmSync(stack.tmpDir, { recursive: true, force: true });
}

/**
 * A Temporal dev server with its UI on `uiPort` (headless otherwise) and the project's search
 * attributes. The run's shared one comes from `testStack()`; a suite needing the server started
 * differently (e.g. `--ui-codec-endpoint`) starts its own and tears it down.
 */
export async function startTemporal(uiPort: number, extraArgs: string[] = []): Promise<TestWorkflowEnvironment> {
  const temporal = requireTool('temporal');
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporal },
      ip: '127.0.0.1',
      // the SDK starts the server headless by default; the browser suite needs the UI
      ui: true,
      uiPort,
      searchAttributes: [...ML_SEARCH_ATTRIBUTES],
      extraArgs: ['--log-level', 'error', ...extraArgs],
    },
  });
}

/** The repository root, for tests that run the CLI. */
export const repoRoot = REPO_ROOT;
