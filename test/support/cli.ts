/** Runs the real `mlops` CLI (bin/mlops.js) as a child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../../lib/tools';
import { testStack } from './stack';

export const MLOPS_BIN = path.join(REPO_ROOT, 'bin', 'mlops.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `mlops <args>` to completion with `env` added to the environment (in `options.cwd`, default the checkout). */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 60_000,
  options: { cwd?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = startCli(args, env, options);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mlops ${args.join(' ')} timed out after ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts `mlops <args>` in the background (e.g. a worker); the caller stops it. */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}, options: { cwd?: string } = {}): ChildProcess {
  return spawn(process.execPath, [MLOPS_BIN, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * The environment a CLI process needs to talk to this test run's servers: the shared Temporal dev
 * server, a store under `s3://<test bucket>/<prefix>`, a home folder and task queues of its own.
 */
export function cliEnv(prefix: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const { address, namespace, minio, tmpDir } = testStack();
  return {
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: namespace,
    MLOPS_HOME: path.join(tmpDir, `home-${prefix}`),
    MLOPS_STORE: `s3://${minio.bucket}/${prefix}`,
    MLOPS_S3_ENDPOINT: minio.endpoint,
    AWS_ACCESS_KEY_ID: minio.accessKeyId,
    AWS_SECRET_ACCESS_KEY: minio.secretAccessKey,
    MLOPS_TASK_QUEUE: `mlops-${prefix}`,
    MLOPS_TRAINING_TASK_QUEUE: `mlops-training-${prefix}`,
    MLOPS_SERVING_TASK_QUEUE: `mlops-serving-${prefix}`,
    // the tests' data lives in the run's temporary folder and the repository's examples
    MLOPS_SOURCE_ROOTS: `${tmpDir},${REPO_ROOT}`,
    ...extra,
  };
}
