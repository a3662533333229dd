/** Helpers of the bad-input corpus: the CLI in-process, and what a bad command must not have started. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { main } from '../../client/cli';
import { testStack } from '../support/stack';

export interface MainResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `mlops <args>` in this process (client/cli.ts `main`, as bin/mlops.js does) with `env` in
 * place of the variables it names, capturing what it prints. Much faster than a child process, for
 * the usage errors that are refused before anything connects.
 */
export async function runMain(args: string[], env: NodeJS.ProcessEnv = {}): Promise<MainResult> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
  const captured = { stdout: '', stderr: '' };
  for (const stream of ['stdout', 'stderr'] as const) {
    process[stream].write = ((chunk: string | Uint8Array) => {
      captured[stream] += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
      return true;
    }) as typeof process.stdout.write;
  }
  try {
    const code = await main(['node', 'mlops', ...args]);
    return { code, ...captured };
  } finally {
    process.stdout.write = writes.stdout;
    process.stderr.write = writes.stderr;
    process.exitCode = undefined;
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** Asserts a usage error: exit 2, `message` on stderr, and no stack trace. */
export function assertUsageError(result: MainResult, message: RegExp, code = 2): void {
  const shown = `exit ${result.code}\n${result.stderr}${result.stdout}`;
  assert.equal(result.code, code, shown);
  assert.match(result.stderr, message, shown);
  assert.doesNotMatch(result.stderr, /unexpected error|\n\s+at /, shown);
}

/** The ids of the workflows on `taskQueue` in the test run's namespace. */
export async function workflowsOn(taskQueue: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const w of testStack().env.client.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) {
    ids.push(w.workflowId);
  }
  return ids;
}

/** Every file under `dir` (relative paths, sorted); [] when it does not exist. */
export function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => fs.statSync(path.join(dir, f)).isFile())
    .sort();
}
