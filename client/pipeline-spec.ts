/**
 * Pipeline spec files on disk: loading one (paths resolved against its folder), finding one by
 * pipeline name in the pipelines folder (MLOPS_PIPELINES_DIR, default ./pipelines), and checking
 * one without throwing (`mlops pipeline validate`): schema issues with their lines, plus whether
 * the code folders and the Python entrypoints exist.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseDocument, type Document } from 'yaml';
import { UserError } from '../common/errors';
import { findReservedKeys } from '../common/reserved-keys';
import { pipelineSpecSchema, type PipelineSpec } from '../common/schemas/spec';
import { sourceRootProblem } from '../activities/data/source-roots';
import { readUserFile, UserFileError } from '../lib/user-files';
import { applyKeyAliases } from '../common/schemas/key-aliases';
import { readYamlFile, yamlData, yamlProblem } from './job-file';

export interface LoadedPipelineSpec {
  /** The spec file, absolute. */
  file: string;
  /** Its folder, absolute. */
  dir: string;
  /** The spec, with dataset.source (unless s3:// or file://), training.codeDir and evaluation.codeDir absolute. */
  spec: PipelineSpec;
}

/** One problem with a spec file: the field path (dotted, empty for the whole file), its line when known. */
export interface SpecIssue {
  path: string;
  line?: number;
  message: string;
}

export type PipelineSpecCheck = { ok: true; loaded: LoadedPipelineSpec } | { ok: false; errors: SpecIssue[] };

/** Reads and validates a spec file; a `UserError` (exit 2) lists every problem as `file:line: path: message`. */
export function loadPipelineSpec(file: string): LoadedPipelineSpec {
  const { value, dir } = readYamlFile(file, pipelineSpecSchema);
  return { file: path.resolve(file), dir, spec: resolvePaths(value, dir) };
}

/**
 * The spec of pipeline `name` in `folder`: `<name>.yaml` or `<name>.yml`, else the one file there
 * whose `name:` is `name`. Not found: a `UserError` (exit 1) listing the pipelines there.
 */
export function findPipelineSpec(name: string, folder = 'pipelines'): LoadedPipelineSpec {
  const dir = path.resolve(folder);
  let entries: string[];
  try {
    entries = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f) && fs.statSync(path.join(dir, f)).isFile());
  } catch {
    throw new UserError(`no pipeline ${name}: the pipelines folder ${dir} does not exist (set MLOPS_PIPELINES_DIR)`);
  }
  const byFile = [`${name}.yaml`, `${name}.yml`].find((f) => entries.includes(f));
  if (byFile) {
    const loaded = loadPipelineSpec(path.join(dir, byFile));
    if (loaded.spec.name !== name) {
      throw new UserError(
        `${loaded.file}: name: is ${JSON.stringify(loaded.spec.name)}, not ${name} as its file name says`,
        2,
      );
    }
    return loaded;
  }
  const declared = entries.map((f) => ({ file: f, name: declaredName(path.join(dir, f)) }));
  const matches = declared.filter((d) => d.name === name);
  if (matches.length > 1) {
    throw new UserError(`pipeline ${name} is declared by ${matches.map((m) => m.file).join(', ')} in ${dir}`, 2);
  }
  if (matches.length === 1) return loadPipelineSpec(path.join(dir, matches[0]!.file));
  const available = [...new Set(declared.map((d) => d.name).filter((n): n is string => n !== undefined))].sort();
  throw new UserError(
    `no pipeline ${name} in ${dir}; ${available.length > 0 ? `available: ${available.join(', ')}` : 'there are none'}`,
  );
}

/**
 * Checks a spec file without throwing: the schema (every issue, with its line), then that the
 * code folders exist and that a `python <script>.py` entrypoint's script is in its code folder.
 */
export function checkPipelineSpec(file: string, options: SourceCheckOptions = {}): PipelineSpecCheck {
  let text: string;
  try {
    text = readUserFile(file);
  } catch (error) {
    return {
      ok: false,
      errors: [{ path: '', message: error instanceof UserFileError ? error.problem : 'cannot read the file' }],
    };
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => ({ path: '', line: e.linePos?.[0]?.line, message: yamlProblem(e) })),
    };
  }
  const data = yamlData(doc, text);
  if (!data.ok) return { ok: false, errors: [{ path: '', line: data.line, message: data.message }] };
  const reserved = findReservedKeys(data.value);
  if (reserved.length > 0) {
    return {
      ok: false,
      errors: reserved.map((issue) => ({
        path: issue.path.map(String).join('.'),
        line: lineAt(doc, text, issue.path),
        message: issue.message,
      })),
    };
  }
  const aliasIssues: SpecIssue[] = [];
  for (const use of applyKeyAliases(pipelineSpecSchema, data.value)) {
    const at = use.path.join('.');
    const line = lineAt(doc, text, use.path);
    const key = [...use.alias.at, use.alias.to].join('.');
    if (use.conflict)
      aliasIssues.push({ path: at, line, message: `give ${key} only (${use.alias.from} is its deprecated spelling)` });
    else
      process.stderr.write(
        `mlops: warning: ${file}${line ? `:${line}` : ''}: ${at}: deprecated, use ${use.alias.to}\n`,
      );
  }
  if (aliasIssues.length > 0) return { ok: false, errors: aliasIssues };
  const parsed = pipelineSpecSchema.safeParse(data.value);
  if (!parsed.success) {
    return {
      ok: false,
      errors: parsed.error.issues.map((issue) => ({
        path: issue.path.map(String).join('.'),
        line: lineAt(doc, text, issue.path),
        message: issue.message,
      })),
    };
  }
  const dir = path.dirname(path.resolve(file));
  const loaded = { file: path.resolve(file), dir, spec: resolvePaths(parsed.data, dir) };
  const errors = checkPipelineFiles(loaded, options).map((e) => ({ ...e, line: lineAt(doc, text, e.path.split('.')) }));
  return errors.length > 0 ? { ok: false, errors } : { ok: true, loaded };
}

/** What the client knows of the folders a worker may snapshot. */
export interface SourceCheckOptions {
  /**
   * The configured source roots (`Config.sourceRoots`); the spec's own folder is allowed too, since
   * the worker's roots may differ from this machine's: the worker checks again, and decides.
   */
  sourceRoots?: readonly string[];
}

/**
 * Problems with the files a loaded spec points at: missing code folders and Python entrypoints,
 * and a local `dataset.source` outside the source roots (with `options.sourceRoots`).
 */
export function checkPipelineFiles(loaded: LoadedPipelineSpec, options: SourceCheckOptions = {}): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const { source } = loaded.spec.dataset;
  if (source !== undefined && options.sourceRoots) {
    const problem = sourceRootProblem(source, [...options.sourceRoots, loaded.dir]);
    if (problem) issues.push({ path: 'dataset.source', message: problem });
  }
  for (const section of ['training', 'evaluation'] as const) {
    const { codeDir, entrypoint } = loaded.spec[section];
    if (!isDirectory(codeDir)) {
      issues.push({ path: `${section}.codeDir`, message: `the folder ${codeDir} does not exist` });
      continue;
    }
    const [program, script] = entrypoint;
    if (script && /^python[\d.]*$/.test(path.basename(program ?? '')) && script.endsWith('.py')) {
      const scriptPath = path.resolve(codeDir, script);
      if (!fs.existsSync(scriptPath)) {
        issues.push({ path: `${section}.entrypoint`, message: `${script} not found in ${codeDir}` });
      }
    }
  }
  return issues;
}

/** Formats issues as `file:line: path: message` lines, as `readYamlFile` does. */
export function formatSpecIssues(file: string, issues: readonly SpecIssue[]): string {
  return issues
    .map((i) => `${file}${i.line ? `:${i.line}` : ''}: ${i.path ? `${i.path}: ` : ''}${i.message}`)
    .join('\n');
}

function resolvePaths(spec: PipelineSpec, dir: string): PipelineSpec {
  const { source } = spec.dataset;
  return {
    ...spec,
    dataset: {
      ...spec.dataset,
      ...(source !== undefined && {
        source: /^(s3|file|upload):\/\//i.test(source) ? source : path.resolve(dir, source),
      }),
    },
    training: { ...spec.training, codeDir: path.resolve(dir, spec.training.codeDir) },
    evaluation: { ...spec.evaluation, codeDir: path.resolve(dir, spec.evaluation.codeDir) },
  };
}

/** The line of the deepest node on `at` that the file has (a missing key: its parent's line). */
function lineAt(doc: Document, text: string, at: readonly PropertyKey[]): number | undefined {
  const keys = at.map((k) => (typeof k === 'number' ? k : String(k)));
  for (let n = keys.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(keys.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (range) return text.slice(0, range[0]).split('\n').length;
  }
  return undefined;
}

function declaredName(file: string): string | undefined {
  try {
    const value: unknown = parseDocument(readUserFile(file)).toJS();
    const name = (value as { name?: unknown } | null)?.name;
    return typeof name === 'string' ? name : undefined;
  } catch {
    return undefined;
  }
}

function isDirectory(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
