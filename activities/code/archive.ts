/**
 * The archive of a code package: a zip (the format Ray's `working_dir` takes, so the same bytes go
 * to a Ray head) with the files at its root, the manifest as one more entry (./manifest.ts), fixed
 * modification times and Unix modes 0644 / 0755. `openArchive` checks an archive against the digest
 * it is stored under before anything of it is used.
 */
import { createHash } from 'node:crypto';
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { InvalidArgumentError } from '../../common/failures';
import {
  canonicalManifest,
  MANIFEST_ENTRY,
  MANIFEST_FORMAT,
  pathProblem,
  sha256Of,
  type CodeManifest,
  type CodeManifestEntry,
} from './manifest';

/** A fixed modification time, so the same files make the same archive on any machine. */
const FIXED_MTIME = new Date('2020-01-01T00:00:00Z');
/** Zip's "made by Unix" host, so unzip tools and Ray see the modes. */
const UNIX = 3;
/** Bounds what a manifest entry may claim before it is read. */
const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

/** One file to archive. */
export interface ArchiveFile {
  path: string;
  bytes: Uint8Array;
  executable: boolean;
}

/** The manifest of `files` as canonical bytes, and the package digest (sha256 of those bytes). */
export function manifestOf(files: readonly ArchiveFile[]): { digest: string; manifestBytes: Buffer } {
  const entries: CodeManifestEntry[] = files.map((f) => ({
    path: f.path,
    size: f.bytes.length,
    sha256: createHash('sha256').update(f.bytes).digest('hex'),
    executable: f.executable,
  }));
  const manifestBytes = canonicalManifest(entries);
  return { digest: sha256Of(manifestBytes), manifestBytes };
}

/** The archive of `files` and its digest (that of its manifest). */
export function buildArchive(
  files: readonly ArchiveFile[],
  manifest = manifestOf(files),
): { digest: string; zip: Uint8Array } {
  const zippable: Zippable = Object.create(null) as Zippable; // a file may be named __proto__
  zippable[MANIFEST_ENTRY] = [manifest.manifestBytes, { mtime: FIXED_MTIME, os: UNIX, attrs: 0o100644 << 16 }];
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    const mode = f.executable ? 0o100755 : 0o100644;
    zippable[f.path] = [f.bytes, { mtime: FIXED_MTIME, os: UNIX, attrs: mode << 16 }];
  }
  return { digest: manifest.digest, zip: zipSync(zippable, { level: 6 }) };
}

/** Thrown when an archive does not hold what its digest promises (tampered, truncated, crafted). */
function refused(digest: string, problem: string): InvalidArgumentError {
  return new InvalidArgumentError('digest', `the code package ${digest} in the store is refused: ${problem}`);
}

/**
 * The verified manifest and file contents of `zip`, stored as the package `digest`. Refuses
 * (`InvalidArgument`, field `digest`) an archive whose manifest does not hash to the digest, an
 * entry the manifest does not list or whose content or size differs, and any unsafe path.
 */
export function openArchive(
  zip: Uint8Array,
  digest: string,
): { manifest: CodeManifest; files: Map<string, Uint8Array> } {
  let manifestBytes: Uint8Array | undefined;
  try {
    manifestBytes = unzipSync(zip, {
      filter: (f) => f.name === MANIFEST_ENTRY && f.originalSize <= MAX_MANIFEST_BYTES,
    })[MANIFEST_ENTRY];
  } catch (error) {
    throw refused(digest, `not a readable zip (${(error as Error).message})`);
  }
  if (!manifestBytes) throw refused(digest, `it holds no ${MANIFEST_ENTRY}`);
  if (sha256Of(manifestBytes) !== digest) throw refused(digest, 'its manifest does not match the digest');
  const manifest = parseManifest(Buffer.from(manifestBytes), digest);
  const expected = new Map(manifest.files.map((f) => [f.path, f]));
  const unexpected: string[] = [];
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(zip, {
      filter: (f) => {
        if (f.name === MANIFEST_ENTRY) return false;
        const listed = expected.get(f.name);
        if (!listed || listed.size !== f.originalSize) unexpected.push(f.name);
        return listed !== undefined && listed.size === f.originalSize;
      },
    });
  } catch (error) {
    throw refused(digest, `not a readable zip (${(error as Error).message})`);
  }
  if (unexpected.length > 0) {
    throw refused(digest, `it holds entries its manifest does not list: ${unexpected.slice(0, 5).join(', ')}`);
  }
  const out = new Map<string, Uint8Array>();
  for (const entry of manifest.files) {
    const bytes = files[entry.path];
    if (!bytes) throw refused(digest, `${entry.path} is missing`);
    if (createHash('sha256').update(bytes).digest('hex') !== entry.sha256) {
      throw refused(digest, `${entry.path} does not match its manifest`);
    }
    out.set(entry.path, bytes);
  }
  return { manifest, files: out };
}

/** The manifest, checked: its format, canonical form (sorted, unique paths) and safe paths. */
function parseManifest(bytes: Buffer, digest: string): CodeManifest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw refused(digest, 'its manifest is not JSON');
  }
  const m = parsed as Partial<CodeManifest> | null;
  if (m?.format !== MANIFEST_FORMAT || !Array.isArray(m.files)) {
    throw refused(digest, `its manifest is not of format ${MANIFEST_FORMAT}`);
  }
  for (const f of m.files) {
    const problem = pathProblem(f?.path);
    if (problem) throw refused(digest, `the path ${JSON.stringify(f?.path)} ${problem}`);
    if (
      !Number.isSafeInteger(f.size) ||
      f.size < 0 ||
      !/^[0-9a-f]{64}$/.test(String(f.sha256)) ||
      typeof f.executable !== 'boolean'
    ) {
      throw refused(digest, `the manifest entry of ${f.path} is malformed`);
    }
  }
  if (!canonicalManifest(m.files).equals(bytes)) throw refused(digest, 'its manifest is not in canonical form');
  const paths = new Set(m.files.map((f) => f.path));
  if (paths.size !== m.files.length) throw refused(digest, 'its manifest lists a path twice');
  return m as CodeManifest;
}
