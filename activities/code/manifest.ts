/**
 * The manifest of a code package and its digest. The manifest lists every file as (path, size,
 * sha256 of the content, executable bit), sorted by path, serialized as canonical JSON; the
 * package's digest is `sha256:<hex>` of those bytes. So the digest depends on the files' paths,
 * contents and executable bits only: not on modification times, owners, the machine, nor on how the
 * archive was compressed.
 */
import { createHash } from 'node:crypto';

/** The format tag every manifest carries. */
export const MANIFEST_FORMAT = 'mlops-code/1';
/** The manifest's name inside the archive (hidden, so never one of the user's files). */
export const MANIFEST_ENTRY = '.mlops-code-manifest.json';
/** The shape of a code package's digest. */
export const CODE_DIGEST = /^sha256:[0-9a-f]{64}$/;

export interface CodeManifestEntry {
  path: string;
  size: number;
  sha256: string;
  executable: boolean;
}

export interface CodeManifest {
  format: typeof MANIFEST_FORMAT;
  files: CodeManifestEntry[];
}

/** Whether `value` has the shape of a code package digest (`sha256:` and 64 lowercase hex digits). */
export function isCodeDigest(value: unknown): value is string {
  return typeof value === 'string' && CODE_DIGEST.test(value);
}

/** The store key of the package with `digest`: `code/<hex>.zip`. */
export function codePackageKey(digest: string): string {
  return `code/${digest.slice('sha256:'.length)}.zip`;
}

/** The manifest's canonical bytes: fixed key order, files sorted by path, no white space. */
export function canonicalManifest(files: readonly CodeManifestEntry[]): Buffer {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const body = {
    format: MANIFEST_FORMAT,
    files: sorted.map(({ path, size, sha256, executable }) => ({ path, size, sha256, executable })),
  };
  return Buffer.from(JSON.stringify(body), 'utf8');
}

/** `sha256:<hex>` of some bytes (a manifest's, to get a package digest). */
export function sha256Of(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/**
 * The problem with `rel` as a path inside a package, or undefined when it is a plain relative path:
 * no absolute path, no `.` or `..` segment, no empty segment, no backslash or NUL.
 */
export function pathProblem(rel: unknown): string | undefined {
  if (typeof rel !== 'string' || rel === '') return 'is not a path';
  if (rel.startsWith('/')) return 'is absolute';
  if (rel.includes('\\') || rel.includes('\0')) return 'holds a backslash or NUL';
  if (rel.split('/').some((s) => s === '' || s === '.' || s === '..')) return 'has an empty, . or .. segment';
  return undefined;
}
