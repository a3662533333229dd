/**
 * Packaging a spec's code on the CLI's machine: `training.codeDir` and `evaluation.codeDir` become
 * content-addressed packages in the store (`code/<hex>.zip`, ../activities/code/package.ts), and
 * the spec carries their digests (`training.codePackage`, `evaluation.codePackage`). Whatever carries
 * the spec then carries the code: a run's input, a Schedule's action, the monitor's drift retrains.
 * A worker on any host runs the jobs from the digest alone.
 */
import fs from 'node:fs';
import { codePackageKey } from '../activities/code/manifest';
import { listCodeFiles } from '../activities/code/code-files';
import {
  archiveFolder,
  DEFAULT_CODE_PACKAGE_MAX_BYTES,
  packageCode,
  type CodePackage,
} from '../activities/code/package';
import type { BlobStore } from '../activities/storage/types';
import { InvalidArgumentError } from '../common/failures';
import type { PipelineSpec } from '../common/schemas/spec';

/** The sections of a spec that have code. */
export type CodeSection = 'training' | 'evaluation';

/** One packaged folder (a folder two sections share is packaged once). */
export interface PackagedCode {
  /** The sections that run this folder's code. */
  sections: CodeSection[];
  folder: string;
  digest: string;
  files: number;
  bytes: number;
  /** Whether this call uploaded the package (false: the store had it, or a dry run). */
  uploaded: boolean;
  /** A dry run: the digest computed, nothing uploaded; whether the store lacks the package. */
  wouldUpload?: boolean;
}

export interface PackageSpecCodeOptions {
  /** The size limit of one package (MLOPS_CODE_PACKAGE_MAX_BYTES). */
  maxBytes?: number;
  /** Called once per packaged folder (commands print a line). */
  onPackage?: (packaged: PackagedCode) => void;
  /** Compute the digests only, upload nothing (`pipeline apply --dry-run`). @default false */
  dryRun?: boolean;
}

export interface PackagedSpec {
  /** The spec with `codePackage` set in every section whose folder exists. */
  spec: PipelineSpec;
  packages: PackagedCode[];
}

/**
 * Packages the spec's code folders (paths absolute, as `loadPipelineSpec` gives them) into the
 * store. A folder that exists is always packaged again (unchanged code uploads nothing); a section
 * whose folder does not exist on this machine keeps the `codePackage` it already carries. Errors
 * name the field, e.g. `training.codeDir: … holds 60.2 MiB of code, more than the limit …` (exit 2).
 */
export async function packageSpecCode(
  store: BlobStore,
  spec: PipelineSpec,
  options: PackageSpecCodeOptions = {},
): Promise<PackagedSpec> {
  const byFolder = new Map<string, PackagedCode>();
  const digests: Partial<Record<CodeSection, string>> = {};
  const sections = (['training', 'evaluation'] as const).filter(
    (section) => isDirectory(spec[section].codeDir) || !spec[section].codePackage,
  );
  // every folder is checked before anything is uploaded: a refused one leaves the store as it was
  for (const section of sections) await checkFolder(spec[section].codeDir, `${section}.codeDir`, options.maxBytes);
  for (const section of sections) {
    const { codeDir } = spec[section];
    let packaged = byFolder.get(codeDir);
    if (packaged) {
      packaged.sections.push(section);
    } else {
      const packOptions = { maxBytes: options.maxBytes, field: `${section}.codeDir` };
      if (options.dryRun) {
        const { digest, files, bytes } = await archiveFolder(codeDir, packOptions);
        const stored = await store.head(codePackageKey(digest));
        packaged = {
          sections: [section],
          folder: codeDir,
          digest,
          files,
          bytes,
          uploaded: false,
          wouldUpload: !stored,
        };
      } else {
        const pkg: CodePackage = await packageCode(store, codeDir, packOptions);
        packaged = { sections: [section], folder: codeDir, ...pick(pkg) };
      }
      byFolder.set(codeDir, packaged);
    }
    digests[section] = packaged.digest;
  }
  const packages = [...byFolder.values()];
  for (const p of packages) options.onPackage?.(p);
  return {
    spec: {
      ...spec,
      training: { ...spec.training, ...(digests.training ? { codePackage: digests.training } : {}) },
      evaluation: { ...spec.evaluation, ...(digests.evaluation ? { codePackage: digests.evaluation } : {}) },
    },
    packages,
  };
}

/**
 * A job (of `mlops train` or `mlops sweep`) whose `codeDir` is packaged into the store: it gets
 * `codePackage` instead, and runs on any worker. Errors name `options.field` (exit 2).
 */
export async function packageJobCode<J extends { codeDir?: string; codePackage?: { digest: string } }>(
  store: BlobStore,
  job: J,
  options: { maxBytes?: number; field: string; onPackage?: (packaged: PackagedCode) => void },
): Promise<{ job: Omit<J, 'codeDir'> & { codePackage: { digest: string } }; packages: PackagedCode[] }> {
  const { codeDir, ...rest } = job;
  if (codeDir === undefined) throw new InvalidArgumentError(options.field, 'required');
  const pkg = await packageCode(store, codeDir, { maxBytes: options.maxBytes, field: options.field });
  const packaged: PackagedCode = { sections: ['training'], folder: codeDir, ...pick(pkg) };
  options.onPackage?.(packaged);
  return { job: { ...rest, codePackage: { digest: pkg.digest } }, packages: [packaged] };
}

/** `packaged training code <folder>: sha256:<12 hex> (N files, uploaded)`, as commands print it. */
export function describePackaged(p: PackagedCode): string {
  return (
    `${p.wouldUpload === undefined ? 'packaged' : 'would package'} ${p.sections.join(' and ')} code ${p.folder}: ` +
    `${shortDigest(p.digest)} (${p.files} file${p.files === 1 ? '' : 's'}, ` +
    `${p.uploaded ? 'uploaded' : p.wouldUpload ? 'not in the store yet' : 'already in the store'})`
  );
}

/** `sha256:` and the first 12 hex digits of a digest. */
export function shortDigest(digest: string): string {
  return digest.slice(0, 'sha256:'.length + 12);
}

function pick(pkg: CodePackage) {
  return { digest: pkg.digest, files: pkg.files, bytes: pkg.bytes, uploaded: pkg.uploaded };
}

/**
 * Throws what packaging `folder` would (a missing folder, one without code files, one past the size
 * limit, a symlink out of it), without uploading: the files are listed, and a folder found wanting
 * is archived in memory only, to be refused with the package's own message.
 */
async function checkFolder(folder: string, field: string, maxBytes = DEFAULT_CODE_PACKAGE_MAX_BYTES): Promise<void> {
  const wanting = new Error('wanting');
  const files = isDirectory(folder)
    ? await listCodeFiles(folder, () => wanting).catch((err: unknown) => {
        if (err === wanting) return undefined;
        throw err;
      })
    : undefined;
  const ok = files !== undefined && files.length > 0 && files.reduce((sum, f) => sum + f.size, 0) <= maxBytes;
  if (!ok) await archiveFolder(folder, { maxBytes, field });
}

function isDirectory(folder: string): boolean {
  try {
    return fs.statSync(folder).isDirectory();
  } catch {
    return false;
  }
}
