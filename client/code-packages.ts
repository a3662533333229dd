/**
 * Packaging a spec's code on the CLI's machine: `training.codeDir` and `evaluation.codeDir` become
 * content-addressed packages in the store (`code/<hex>.zip`, ../activities/code/package.ts), and
 * the spec carries their digests (`training.codePackage`, `evaluation.codePackage`). Whatever carries
 * the spec then carries the code: a run's input, a Schedule's action, the monitor's drift retrains.
 * A worker on any host runs the jobs from the digest alone.
 */
import fs from 'node:fs';
import { packageCode, type CodePackage } from '../activities/code/package';
import type { BlobStore } from '../activities/storage/types';
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
  /** Whether this call uploaded the package (false: the store had it). */
  uploaded: boolean;
}

export interface PackageSpecCodeOptions {
  /** The size limit of one package (MLOPS_CODE_PACKAGE_MAX_BYTES). */
  maxBytes?: number;
  /** Called once per packaged folder (commands print a line). */
  onPackage?: (packaged: PackagedCode) => void;
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
 * name the field, e.g. `training.codeDir: … is past the size limit …` (exit 2).
 */
export async function packageSpecCode(
  store: BlobStore,
  spec: PipelineSpec,
  options: PackageSpecCodeOptions = {},
): Promise<PackagedSpec> {
  const byFolder = new Map<string, PackagedCode>();
  const digests: Partial<Record<CodeSection, string>> = {};
  for (const section of ['training', 'evaluation'] as const) {
    const { codeDir, codePackage } = spec[section];
    if (!isDirectory(codeDir)) {
      if (codePackage) continue;
    }
    let packaged = byFolder.get(codeDir);
    if (packaged) {
      packaged.sections.push(section);
    } else {
      const pkg: CodePackage = await packageCode(store, codeDir, {
        maxBytes: options.maxBytes,
        field: `${section}.codeDir`,
      });
      packaged = { sections: [section], folder: codeDir, ...pick(pkg) };
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

/** Packages one folder (a job file's `codeDir`); errors name `field`. */
export async function packageFolder(
  store: BlobStore,
  folder: string,
  options: { maxBytes?: number; field: string; section: CodeSection },
): Promise<PackagedCode> {
  const pkg = await packageCode(store, folder, { maxBytes: options.maxBytes, field: options.field });
  return { sections: [options.section], folder, ...pick(pkg) };
}

/** `packaged training code <folder>: sha256:<12 hex> (N files, uploaded)`, as commands print it. */
export function describePackaged(p: PackagedCode): string {
  return (
    `packaged ${p.sections.join(' and ')} code ${p.folder}: ${shortDigest(p.digest)} ` +
    `(${p.files} file${p.files === 1 ? '' : 's'}, ${p.uploaded ? 'uploaded' : 'already in the store'})`
  );
}

/** `sha256:` and the first 12 hex digits of a digest. */
export function shortDigest(digest: string): string {
  return digest.slice(0, 'sha256:'.length + 12);
}

function pick(pkg: CodePackage) {
  return { digest: pkg.digest, files: pkg.files, bytes: pkg.bytes, uploaded: pkg.uploaded };
}

function isDirectory(folder: string): boolean {
  try {
    return fs.statSync(folder).isDirectory();
  } catch {
    return false;
  }
}
