/**
 * The project folder and the settings files under the environment:
 * - the project folder: MLOPS_PROJECT_DIR (`--project-dir`), else the nearest folder at or above the
 *   working directory holding `.mlops/` or `mlops.toml` (as git finds `.git`), else the working
 *   directory. The default MLOPS_HOME (`.mlops`) and relative paths in settings resolve against it.
 * - settings from files, applied under the environment (a variable set wins): the `[mlops]` table of
 *   the project's `mlops.toml`, over the `[profile.<name>.mlops]` table of the selected envconfig
 *   profile (TEMPORAL_PROFILE, else `default`) in the TOML file envconfig reads (TEMPORAL_CONFIG_FILE,
 *   else `~/.config/temporalio/temporal.toml`). Their keys are the MLOPS_* settings' names in lower
 *   case without the prefix (`store`, `s3_endpoint`); an unknown key is a ConfigError naming the file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as SmolTomlModule from 'smol-toml' with { 'resolution-mode': 'import' };
import { ConfigError } from '../../common/errors';
import { envSchema, type RawEnv } from './schema';

export const PROJECT_FILE = 'mlops.toml';

// smol-toml's types are ESM; its CommonJS build (what envconfig requires too) is loaded when a file is read
type SmolToml = typeof SmolTomlModule;

/** The project folder, and how it was found. */
export interface ProjectDir {
  dir: string;
  /** `MLOPS_PROJECT_DIR` (or --project-dir), `.mlops`, `mlops.toml`, or `cwd` (nothing found above). */
  foundBy: 'MLOPS_PROJECT_DIR' | '.mlops' | 'mlops.toml' | 'cwd';
}

export function findProjectDir(env: RawEnv, cwd: string = process.cwd()): ProjectDir {
  if (env.MLOPS_PROJECT_DIR) {
    const dir = path.resolve(cwd, env.MLOPS_PROJECT_DIR);
    if (!isDir(dir)) throw new ConfigError([`MLOPS_PROJECT_DIR: ${env.MLOPS_PROJECT_DIR} is not a folder`]);
    return { dir, foundBy: 'MLOPS_PROJECT_DIR' };
  }
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    if (isDir(path.join(dir, '.mlops'))) return { dir, foundBy: '.mlops' };
    if (fs.existsSync(path.join(dir, PROJECT_FILE))) return { dir, foundBy: 'mlops.toml' };
    if (path.dirname(dir) === dir) return { dir: path.resolve(cwd), foundBy: 'cwd' };
  }
}

/** `/path/to/project (found by .mlops)`, for `mlops dev status` and `mlops doctor`. */
export function describeProject(project: ProjectDir): string {
  const how =
    project.foundBy === 'cwd'
      ? 'the working directory: no .mlops/ or mlops.toml above it'
      : `found by ${project.foundBy}`;
  return `${project.dir} (${how})`;
}

/** `store` → `MLOPS_STORE`, for every MLOPS_* setting a file may hold. */
function fileKeys(): Map<string, string> {
  const keys = new Map<string, string>();
  for (const name of Object.keys(envSchema.shape)) {
    if (name.startsWith('MLOPS_') && name !== 'MLOPS_PROJECT_DIR')
      keys.set(name.slice('MLOPS_'.length).toLowerCase(), name);
  }
  return keys;
}

/** The settings of one `mlops` table as MLOPS_* variables; `where` names the file and table in errors. */
export function settingsOfTable(table: unknown, where: string): RawEnv {
  if (typeof table !== 'object' || table === null || Array.isArray(table))
    throw new ConfigError([`${where}: must be a table of settings`]);
  const keys = fileKeys();
  const out: RawEnv = {};
  const issues: string[] = [];
  for (const [key, value] of Object.entries(table)) {
    const name = keys.get(key);
    if (!name) {
      issues.push(
        `${where}: unknown key ${JSON.stringify(key)} (keys are MLOPS_* settings without the prefix, e.g. store, s3_endpoint)`,
      );
    } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      out[name] = String(value);
    } else issues.push(`${where}: ${key} must be a string, a number or a boolean`);
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return out;
}

/** Settings from files (see the top of this file), weakest first merged: the environment goes on top. */
export function fileSettings(env: RawEnv, projectDir: string): { settings: RawEnv; files: string[] } {
  const files: string[] = [];
  let settings: RawEnv = {};
  const profileFile = temporalConfigFile(env);
  if (profileFile && fs.existsSync(profileFile)) {
    const profile = env.TEMPORAL_PROFILE || 'default';
    const table = readToml(profileFile, 'TEMPORAL_CONFIG_FILE') as { profile?: Record<string, { mlops?: unknown }> };
    const section = table.profile?.[profile]?.mlops;
    if (section !== undefined) {
      settings = { ...settings, ...settingsOfTable(section, `${profileFile}: [profile.${profile}.mlops]`) };
      files.push(profileFile);
    }
  }
  const projectFile = path.join(projectDir, PROJECT_FILE);
  if (fs.existsSync(projectFile)) {
    const parsed = readToml(projectFile, PROJECT_FILE);
    for (const key of Object.keys(parsed))
      if (key !== 'mlops')
        throw new ConfigError([`${projectFile}: unknown table or key ${JSON.stringify(key)} (settings go in [mlops])`]);
    if (parsed.mlops !== undefined)
      settings = { ...settings, ...settingsOfTable(parsed.mlops, `${projectFile}: [mlops]`) };
    files.push(projectFile);
  }
  return { settings, files };
}

/** The TOML file envconfig reads: TEMPORAL_CONFIG_FILE, else its default path. */
function temporalConfigFile(env: RawEnv): string | undefined {
  if (env.TEMPORAL_CONFIG_FILE) return env.TEMPORAL_CONFIG_FILE;
  if (process.platform === 'win32')
    return env.APPDATA ? path.join(env.APPDATA, 'temporalio', 'temporal.toml') : undefined;
  if (process.platform === 'darwin') {
    const home = env.HOME ?? os.homedir();
    return path.join(home, 'Library', 'Application Support', 'temporalio', 'temporal.toml');
  }
  const xdg = env.XDG_CONFIG_HOME;
  if (xdg) return path.isAbsolute(xdg) ? path.join(xdg, 'temporalio', 'temporal.toml') : undefined;
  const home = env.HOME;
  return home ? path.join(home, '.config', 'temporalio', 'temporal.toml') : undefined;
}

function readToml(file: string, what: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([`${what}: cannot read ${file} (${(err as Error).message})`]);
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { parse } = require('smol-toml') as SmolToml;
    return parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError([`${file}: not valid TOML (${(err as Error).message.split('\n')[0]})`]);
  }
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}
