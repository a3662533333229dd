/**
 * Data and anchors for bench/snapshot.bench.ts: random datasets on disk, the `sha256sum` hashing
 * floor, and `dvc add` in a repository of its own (found in the project's .venv, on DVC_PATH or on PATH).
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Mtime given to generated files: older than the stat cache's racy window, as real datasets are. */
const OLD = new Date(Date.now() - 24 * 3600_000);

/** Writes `count` random files of `size` bytes under `dir`, 100 per folder; returns their paths. */
export function writeManyFiles(dir: string, count: number, size: number): string[] {
  const files: string[] = [];
  const buffer = Buffer.alloc(size);
  for (let i = 0; i < count; i++) {
    const file = path.join(
      dir,
      `part-${String(Math.floor(i / 100)).padStart(3, '0')}`,
      `${String(i).padStart(5, '0')}.bin`,
    );
    if (i % 100 === 0) fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, randomFillSync(buffer));
    fs.utimesSync(file, OLD, OLD);
    files.push(file);
  }
  return files;
}

/** Writes one random file of `size` bytes. */
export function writeBigFile(file: string, size: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const chunk = Buffer.alloc(16 * 1024 * 1024);
  const fd = fs.openSync(file, 'w');
  try {
    for (let written = 0; written < size;) {
      const n = Math.min(chunk.length, size - written);
      fs.writeSync(fd, randomFillSync(chunk), 0, n);
      written += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  fs.utimesSync(file, OLD, OLD);
}

/** Replaces the content of each file with new random bytes of the same size (mtime: now, as an edit would). */
export function rewrite(files: string[]): number {
  let bytes = 0;
  for (const file of files) {
    const content = randomFillSync(Buffer.alloc(fs.statSync(file).size));
    fs.writeFileSync(file, content);
    bytes += content.length;
  }
  return bytes;
}

/** Copies a folder, keeping mtimes (`cp -a`). */
export function copyTree(from: string, to: string): void {
  execFileSync('cp', ['-a', from, to]);
}

/** Runs a command to completion; rejects on a non-zero exit with its stderr. */
export function run(command: string, args: string[], cwd?: string, env?: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr}`)),
    );
  });
}

/** The hashing floor: `sha256sum` over every file under `dir`, split across `processes` parallel processes. */
export function sha256sumFloor(dir: string, fileCount: number, processes: number): Promise<void> {
  const perProcess = Math.max(1, Math.ceil(fileCount / processes));
  const script = `find . -type f -print0 | xargs -0 -P ${processes} -n ${perProcess} sha256sum > /dev/null`;
  return run('bash', ['-c', script], dir);
}

/** `dvc` from the project's .venv, DVC_PATH or PATH; undefined when there is none. */
export function findDvc(repoRoot: string): string | undefined {
  const candidates = [process.env.DVC_PATH, path.join(repoRoot, '.venv', 'bin', 'dvc')];
  for (const candidate of candidates) if (candidate && fs.existsSync(candidate)) return candidate;
  try {
    return execFileSync('bash', ['-c', 'command -v dvc'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** A DVC repository (`dvc init --no-scm`) holding one data folder or file, `target`. */
export class DvcRepo {
  private readonly env = { DVC_NO_ANALYTICS: '1' };

  constructor(
    private readonly dvc: string,
    readonly root: string,
    readonly target: string,
  ) {}

  /** Initialises the repository, its caches kept inside `root`. */
  async init(): Promise<void> {
    await run(this.dvc, ['init', '--no-scm', '-q'], this.root, this.env);
    await run(this.dvc, ['config', 'core.site_cache_dir', path.join(this.root, '.dvc-site')], this.root, this.env);
  }

  /** Forgets every hash and cached body: the next `add` is cold. */
  reset(): void {
    for (const name of ['.dvc/cache', '.dvc/tmp', '.dvc-site', `${this.target}.dvc`]) {
      fs.rmSync(path.join(this.root, name), { recursive: true, force: true });
    }
  }

  /** `dvc add <target>`. */
  add(): Promise<void> {
    return run(this.dvc, ['add', '-q', this.target], this.root, this.env);
  }
}
