/** Reads a YAML job file and validates it; errors name the file, the field path and the line. */
import path from 'node:path';
import { isMap, isSeq, parseDocument, visit, type Document } from 'yaml';
import type { ZodType } from 'zod';
import type { TrainingJob } from '../activities/training/types';
import { UserError } from '../common/errors';
import { findReservedKeys } from '../common/reserved-keys';
import { applyKeyAliases } from '../common/schemas/key-aliases';
import { paramProblems, type TrainingJobSpec } from '../common/schemas/training-job';
import { readUserFile, UserFileError } from '../lib/user-files';

/**
 * Parses `file` with `schema`; a `UserError` (exit 2) lists every problem as `file:line: path: message`.
 * A deprecated key the schema registers (common/schemas/key-aliases.ts) is read as its new key, with a
 * warning on stderr (`warn`) naming the file, the line and both keys; both spellings at once are a problem.
 * The file must be a regular file of at most 1 MiB (../lib/user-files.ts); a YAML error names its
 * line but never quotes the file, which may not be the YAML file it was meant to be.
 */
export function readYamlFile<T>(
  file: string,
  schema: ZodType<T>,
  warn: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): { value: T; dir: string } {
  const text = readSpecText(file);
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    throw new UserError(
      doc.errors.map((e) => `${file}:${e.linePos?.[0]?.line ?? '?'}: ${yamlProblem(e)}`).join('\n'),
      2,
    );
  }
  const data = yamlData(doc, text);
  if (!data.ok) throw new UserError(`${file}${data.line ? `:${data.line}` : ''}: ${data.message}`, 2);
  const reserved = findReservedKeys(data.value);
  if (reserved.length > 0) {
    const lines = reserved.map((issue) => {
      const at = issue.path.map(String);
      const line = lineOf(doc, text, at);
      return `${file}${line ? `:${line}` : ''}: ${at.join('.')}: ${issue.message}`;
    });
    throw new UserError(lines.join('\n'), 2);
  }
  const conflicts: string[] = [];
  for (const use of applyKeyAliases(schema, data.value)) {
    const line = lineOf(doc, text, use.path);
    const at = `${file}${line ? `:${line}` : ''}: ${use.path.join('.')}`;
    const key = [...use.alias.at, use.alias.to].join('.');
    if (use.conflict) conflicts.push(`${at}: give ${key} only (${use.alias.from} is its deprecated spelling)`);
    else warn(`mlops: warning: ${at}: deprecated, use ${use.alias.to}`);
  }
  if (conflicts.length > 0) throw new UserError(conflicts.join('\n'), 2);
  const parsed = schema.safeParse(data.value);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const at = issue.path.map(String);
      const line = lineOf(doc, text, at);
      return `${file}${line ? `:${line}` : ''}: ${at.join('.') || '(top)'}: ${issue.message}`;
    });
    throw new UserError(lines.join('\n'), 2);
  }
  return { value: parsed.data, dir: path.dirname(path.resolve(file)) };
}

/** The text of a spec, job or settings file; a `UserError` (exit 2) naming the file when it cannot be read. */
export function readSpecText(file: string): string {
  try {
    return readUserFile(file);
  } catch (error) {
    if (error instanceof UserFileError) throw new UserError(error.message, 2);
    throw error;
  }
}

/** A YAML error without the excerpt of the file the library appends (it could quote a secret). */
export function yamlProblem(error: { message: string }): string {
  return error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

/**
 * A parsed document as plain data. An alias without its anchor (`*x` before `&x`) or aliases that
 * expand too much (the `yaml` library's limit) cannot be turned into data: that is a problem with
 * its line (the first unresolved alias), not an exception.
 */
export function yamlData(
  doc: Document,
  text: string,
): { ok: true; value: unknown } | { ok: false; line?: number; message: string } {
  try {
    return { ok: true, value: doc.toJS() };
  } catch (err) {
    let offset: number | undefined;
    visit(doc, {
      Alias(_, node) {
        if (node.range && node.resolve(doc) === undefined) {
          offset = node.range[0];
          return visit.BREAK;
        }
      },
    });
    const line = offset === undefined ? undefined : text.slice(0, offset).split('\n').length;
    return { ok: false, line, message: yamlProblem(err as Error) };
  }
}

function lineOf(doc: Document, text: string, at: string[]): number | undefined {
  let node: unknown = doc.contents;
  for (const key of at) {
    if (isMap(node)) {
      const pair = node.items.find((p) => String((p.key as { value?: unknown })?.value ?? p.key) === key);
      if (!pair) break;
      node = pair.value ?? pair.key;
    } else if (isSeq(node)) {
      node = node.items[Number(key)];
    } else break;
  }
  const range = (node as { range?: [number, number, number] } | undefined)?.range;
  if (!range) return undefined;
  return text.slice(0, range[0]).split('\n').length;
}

/**
 * The training job a job (or sweep) file describes, with its code folder resolved against the file's
 * folder. When the file declares `paramTypes`, `params` (the file's, with the `--set` overrides) and a
 * sweep's search space may hold declared params only, of their types: else a `UserError` (exit 2) naming them.
 */
export function jobFromSpec(
  spec: TrainingJobSpec,
  dir: string,
  params: Record<string, unknown>,
  backend: TrainingJob['backend'] = spec.backend,
): Omit<TrainingJob, 'outputPrefix'> {
  if (spec.paramTypes) {
    const problems = paramProblems(params, spec.paramTypes).map((p) => `params.${p.name} (or --set): ${p.message}`);
    const space = (spec as { sweep?: { space?: Record<string, unknown> } }).sweep?.space ?? {};
    for (const name of Object.keys(space)) {
      if (!Object.hasOwn(spec.paramTypes, name))
        problems.push(`sweep.space.${name}: param ${name} is not declared in paramTypes`);
    }
    if (problems.length > 0) throw new UserError(problems.join('\n'), 2);
  }
  return {
    name: spec.name,
    command: spec.entrypoint,
    codeDir: path.resolve(dir, spec.codeDir),
    env: spec.env,
    params,
    input: spec.dataset ? { dataset: spec.dataset.name, snapshot: spec.dataset.snapshot } : undefined,
    resources: spec.resources,
    timeoutSeconds: spec.timeoutSeconds,
    backend,
  };
}
