/**
 * The worker's workflow bundle: the built-in workflows (workflows/index.ts) and, with
 * `--workflows` / MLOPS_WORKFLOWS, the user's workflow modules, bundled together for the sandbox.
 *
 * A generated entry in a temporary folder requires the built-in index and each user module and
 * merges their exports. The bundler's webpack config is adjusted so a file anywhere on disk bundles
 * against THIS installation: `temporal-mlops/workflow` is aliased to workflows/sdk/index.ts and the
 * `@temporalio/*` packages resolve from this installation's node_modules, whether or not the user's
 * folder has the package installed. A user module is refused (UserError, exit 2) before the worker
 * connects when it imports what the sandbox refuses (./sandbox-imports.ts), exports no function, or
 * exports a name a built-in workflow or another module already has.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { bundleWorkflowCode, type BundleOptions, type Logger } from '@temporalio/worker';
import { UserError } from '../common/errors';
import { codeModule } from '../lib/package-root';
import { REPO_ROOT } from '../lib/tools';
import { SandboxImportsPlugin, type RefusedImport } from './sandbox-imports';

// the built-in workflows of the running code: workflows/*.ts from sources, dist/workflows/*.js when built
const BUILTIN_INDEX = codeModule('workflows/index');
/** The building blocks, `temporal-mlops/workflow` (package.json `exports`). */
export const SDK_ENTRY = codeModule('workflows/sdk/index');
/** The property of the merged exports that lists what each module exported (not a workflow). */
const MODULES_KEY = '__mlopsWorkflowModules';

/** The workflows one user module contributes. */
export interface UserWorkflowModule {
  /** Absolute path of the module. */
  file: string;
  /** Its exported functions: the workflow types it registers. */
  workflows: string[];
}

export interface BuiltWorkflowBundle {
  code: string;
  /** The user modules in the bundle (none: the built-in workflows only). */
  userModules: UserWorkflowModule[];
}

/**
 * The workflow modules that `paths` name: a file as is, a folder as its `.ts` / `.js` files (not
 * tests, not declarations), sorted. A path that does not exist, or a folder without modules, is a
 * UserError (exit 2) naming it after `source` (`--workflows` or `MLOPS_WORKFLOWS`).
 */
export function userWorkflowFiles(paths: readonly string[], source: string, cwd = process.cwd()): string[] {
  const files: string[] = [];
  for (const given of paths) {
    const abs = path.resolve(cwd, given);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(abs);
    } catch {
      throw new UserError(`${source}: ${given} does not exist`, 2);
    }
    if (stat.isDirectory()) {
      const found = fs
        .readdirSync(abs)
        .filter((f) => /\.(ts|js)$/.test(f) && !/\.(test|spec)\.(ts|js)$/.test(f) && !f.endsWith('.d.ts'))
        .sort()
        .map((f) => path.join(abs, f))
        .filter((f) => fs.statSync(f).isFile());
      if (found.length === 0) throw new UserError(`${source}: ${given} holds no .ts or .js workflow module`, 2);
      files.push(...found);
    } else if (/\.(ts|js|cjs|mjs)$/.test(abs)) files.push(abs);
    else throw new UserError(`${source}: ${given} is not a .ts or .js file`, 2);
  }
  return [...new Set(files)];
}

/**
 * Bundles the built-in workflows with the user's modules (`files`, from `userWorkflowFiles`);
 * throws a UserError (exit 2) naming the file when one of them is refused.
 */
export async function buildWorkflowBundle(files: readonly string[], logger?: Logger): Promise<BuiltWorkflowBundle> {
  if (files.length === 0) {
    const { code } = await bundleWorkflowCode({
      workflowsPath: BUILTIN_INDEX,
      logger: logger ?? quiet(),
      webpackConfigHook: (config) => withThisInstallation(config, new SandboxImportsPlugin()),
    });
    return { code, userModules: [] };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-workflows-'));
  try {
    const entry = path.join(dir, 'workflows.js');
    fs.writeFileSync(entry, entrySource(files));
    const imports = new SandboxImportsPlugin();
    const errors: string[] = [];
    let code: string;
    try {
      ({ code } = await bundleWorkflowCode({
        workflowsPath: entry,
        logger: collecting(errors, logger),
        webpackConfigHook: (config) => withThisInstallation(config, imports),
      }));
    } catch (err) {
      const refused = imports.refused();
      if (refused.length > 0) throw new UserError(refused.map((r) => describeRefusal(r, files, imports)).join('\n'), 2);
      const detail = errors.join('\n').trim() || (err as Error).message;
      throw new UserError(`--workflows: the workflow modules do not bundle:\n${detail}`, 2, { cause: err });
    }
    // a refused module the SDK does not know of (an activity's value) still bundles: refuse it here
    const refused = imports.refused();
    if (refused.length > 0) throw new UserError(refused.map((r) => describeRefusal(r, files, imports)).join('\n'), 2);
    return { code, userModules: checkExports(code, files) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The user modules a bundle built by `buildWorkflowBundle` holds (a `mlops bundle` file, for the log). */
export function userModulesOf(code: string): UserWorkflowModule[] {
  if (!code.includes(MODULES_KEY)) return [];
  try {
    return loadModules(code)
      .filter((m) => m.file !== null)
      .map((m) => ({ file: m.file!, workflows: m.functions }));
  } catch {
    return [];
  }
}

/** The generated entry: requires the built-in index and each user module, merges their exports. */
function entrySource(files: readonly string[]): string {
  const modules = [
    `  [null, require(${JSON.stringify(BUILTIN_INDEX)})],`,
    ...files.map((f) => `  [${JSON.stringify(f)}, require(${JSON.stringify(f)})],`),
  ];
  return `// Generated by mlops: the built-in workflows and the user's workflow modules.
const modules = [
${modules.join('\n')}
];
const merged = {};
for (const [, exported] of modules) Object.assign(merged, exported);
Object.defineProperty(merged, ${JSON.stringify(MODULES_KEY)}, {
  enumerable: false,
  value: modules.map(([file, exported]) => ({
    file,
    functions: Object.keys(exported).filter((k) => typeof exported[k] === 'function'),
  })),
});
module.exports = merged;
`;
}

type WebpackConfig = Parameters<NonNullable<BundleOptions['webpackConfigHook']>>[0];

/** The SDK's webpack config, resolving this installation's packages for files anywhere on disk. */
function withThisInstallation(config: WebpackConfig, imports: SandboxImportsPlugin): WebpackConfig {
  const resolve = config.resolve ?? {};
  const packageDir = (name: string) => path.dirname(require.resolve(`${name}/package.json`));
  resolve.alias = {
    ...(resolve.alias as Record<string, string | false>),
    'temporal-mlops/workflow$': SDK_ENTRY,
    // one copy of the SDK's workflow side in the bundle, the one this installation's worker runs
    '@temporalio/workflow': packageDir('@temporalio/workflow'),
    '@temporalio/common': packageDir('@temporalio/common'),
  };
  resolve.modules = [...(resolve.modules ?? ['node_modules']), path.join(REPO_ROOT, 'node_modules')];
  config.resolve = resolve;
  // TypeScript under a node_modules folder is not compiled by the SDK's rule; this installation's
  // own sources are, even when it is itself installed in some node_modules folder
  for (const rule of config.module?.rules ?? []) {
    if (rule && typeof rule === 'object' && String(rule.test) === String(/\.ts$/)) {
      const root = fs.realpathSync(REPO_ROOT);
      rule.exclude = (file: string) => {
        const inside = file.startsWith(root + path.sep) ? path.relative(root, file) : file;
        return inside.split(path.sep).includes('node_modules');
      };
    }
  }
  config.plugins = [...(config.plugins ?? []), imports];
  return config;
}

/** `<file>: imports <request>, which workflow code may not use (<why>)`. */
function describeRefusal(r: RefusedImport, files: readonly string[], imports: SandboxImportsPlugin): string {
  const via = imports.chain(r.issuer).find((m) => files.includes(m));
  const through = via === undefined || via === r.issuer ? '' : ` (imported by ${shown(via)})`;
  return `${shown(r.issuer)}: imports ${r.request}, which workflow code may not use (${r.why})${through}`;
}

/** A path relative to the working directory when inside it. */
function shown(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel.startsWith('..') || path.isAbsolute(rel) ? file : rel;
}

interface LoadedModule {
  file: string | null;
  functions: string[];
}

/**
 * Evaluates the bundle's modules the way the sandbox does at a workflow's start, outside any
 * workflow, to read what each module exports.
 */
function loadModules(code: string): LoadedModule[] {
  const context = vm.createContext({ __webpack_module_cache__: {} });
  try {
    vm.runInContext(code, context, { filename: 'workflow-bundle.js' });
    const json = vm.runInContext(
      `JSON.stringify(__TEMPORAL__.importWorkflows()[${JSON.stringify(MODULES_KEY)}] ?? [])`,
      context,
    ) as string;
    return JSON.parse(json) as LoadedModule[];
  } catch (err) {
    throw new UserError(`--workflows: the workflow modules fail when loaded: ${(err as Error).message}`, 2, {
      cause: err,
    });
  }
}

/** Refuses a user module without a function, or one whose export another module has too. */
function checkExports(code: string, files: readonly string[]): UserWorkflowModule[] {
  const modules = loadModules(code);
  const owner = new Map<string, string | null>();
  const problems: string[] = [];
  for (const m of modules) {
    if (m.file !== null && m.functions.length === 0)
      problems.push(`${shown(m.file)}: exports no function (a workflow is an exported async function)`);
    for (const name of m.functions) {
      const other = owner.get(name);
      if (other === undefined) owner.set(name, m.file);
      else if (other === null)
        problems.push(
          `${shown(m.file!)}: exports ${name}, which is the name of a built-in workflow (${name} in workflows/index.ts); rename it`,
        );
      else problems.push(`${shown(m.file!)}: exports ${name}, which ${shown(other)} exports too; rename one of them`);
    }
  }
  if (problems.length > 0) throw new UserError(problems.join('\n'), 2);
  return modules
    .filter((m) => m.file !== null && files.includes(m.file))
    .map((m) => ({ file: m.file!, workflows: m.functions }));
}

/** A logger that keeps the bundler's errors (webpack's output) and passes warnings on. */
function collecting(errors: string[], logger?: Logger): Logger {
  const base = logger ?? quiet();
  return {
    log: (level, message, meta) => base.log(level, message, meta),
    trace: () => {},
    debug: () => {},
    info: () => {},
    warn: (message, meta) => base.warn(message, meta),
    error: (message) => void errors.push(message),
  };
}

function quiet(): Logger {
  const none = () => {};
  return {
    log: none,
    trace: none,
    debug: none,
    info: none,
    warn: (m: string) => process.stderr.write(`${m}\n`),
    error: (m: string) => process.stderr.write(`${m}\n`),
  };
}
