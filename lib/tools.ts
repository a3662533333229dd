/**
 * Finds the binaries the local stack and the tests run: the `temporal` CLI, MinIO, kustomize
 * (which renders infra/k8s in the tests) and `temporal-test-server` (Temporal's Java test server, the
 * time-skipping server of the fast workflow tests: a wrapper script that `npm run setup` writes).
 * Order: the environment variable (TEMPORAL_CLI_PATH, MINIO_PATH, KUSTOMIZE_PATH, TEMPORAL_TEST_SERVER_PATH),
 * the repo's `.tools/bin` (where `npm run setup` builds them), then PATH. Nothing is downloaded here.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../common/errors';
import { PACKAGE_ROOT } from './package-root';

/** The package root: the checkout or the installed package (./package-root.ts), from sources and from dist alike. */
export const REPO_ROOT = PACKAGE_ROOT;
export const TOOLS_BIN = path.join(REPO_ROOT, '.tools', 'bin');

export type ToolName = 'temporal' | 'minio' | 'kustomize' | 'temporal-test-server';

const ENV_VAR: Record<ToolName, string> = {
  temporal: 'TEMPORAL_CLI_PATH',
  minio: 'MINIO_PATH',
  kustomize: 'KUSTOMIZE_PATH',
  'temporal-test-server': 'TEMPORAL_TEST_SERVER_PATH',
};

/** Where a tool is, or `undefined` when it is nowhere to be found. */
export function findTool(name: ToolName, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const fromEnv = env[ENV_VAR[name]];
  if (fromEnv) return isExecutable(fromEnv) ? path.resolve(fromEnv) : undefined;
  const local = path.join(TOOLS_BIN, name);
  if (isExecutable(local)) return local;
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** Like `findTool`, but a missing tool is a `UserError` telling how to install it. */
export function requireTool(name: ToolName, env: NodeJS.ProcessEnv = process.env): string {
  const found = findTool(name, env);
  if (found) return found;
  const fromEnv = env[ENV_VAR[name]];
  if (fromEnv) throw new UserError(`${ENV_VAR[name]}: ${fromEnv} is not an executable file`, 2);
  throw new UserError(
    `${name} not found (looked at ${ENV_VAR[name]}, ${TOOLS_BIN}, PATH): run \`npm run setup\` to build it`,
    2,
  );
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The project's venv Python (`npm run setup`): training jobs and model servers run it. */
export const VENV_PYTHON = path.join(REPO_ROOT, '.venv', 'bin', 'python');

/** The folder of `pkg` installed in the project's venv (`.venv/lib/python3.x/site-packages/<pkg>`), if it is. */
export function venvPackage(pkg: string): string | undefined {
  const lib = path.join(REPO_ROOT, '.venv', 'lib');
  const versions = fs.existsSync(lib) ? fs.readdirSync(lib).filter((d) => d.startsWith('python')) : [];
  return versions.map((v) => path.join(lib, v, 'site-packages', pkg)).find((dir) => fs.existsSync(dir));
}
