/**
 * Running an example's Python scripts as the training backends run them: `.venv/bin/python
 * <script>` in the example's folder, with the MLOPS_* variables a test gives (inherited ones
 * dropped), and reading the CSV files they write.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../lib/tools';

export const PYTHON = path.join(REPO_ROOT, '.venv', 'bin', 'python');

export interface ScriptRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `<exampleDir>/<script> <args>` with `env` over the environment without its MLOPS_* variables. */
export function runExampleScript(
  exampleDir: string,
  script: string,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<ScriptRun> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('MLOPS_')));
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [path.join(exampleDir, script), ...args], {
      cwd: exampleDir,
      env: { ...base, PYTHONDONTWRITEBYTECODE: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export function assertExit(run: ScriptRun, code: number): void {
  assert.equal(run.code, code, `exit ${run.code}, expected ${code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
}

/** A CSV's rows as objects (the examples write no quoted fields). */
export function readCsv(file: string): Record<string, string>[] {
  const [header, ...lines] = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
  const names = (header ?? '').split(',');
  return lines.map((line) => {
    const cells = line.split(',');
    return Object.fromEntries(names.map((name, i) => [name, cells[i] ?? '']));
  });
}
