/**
 * Code that travels with a run: the CLI packages a spec's code folders (`training.codeDir`,
 * `evaluation.codeDir`) into the store as content-addressed packages (activities/code/) and sets
 * `training.codePackage` / `evaluation.codePackage` to their digests, so the jobs run on any host
 * from the digest alone and the run's code version is the digest. A folder packaged twice (training
 * and evaluation share one) is read once; unchanged code uploads nothing.
 */
import fs from 'node:fs';
import { archiveFolder, packageCode, type CodePackage } from '../activities/code/package';
import type { BlobStore } from '../activities/storage/types';
import type { PipelineSpec } from '../common/schemas/spec';

/** One folder packaged for a run. */
export interface PackagedCode {
  /** `training.codeDir`, `evaluation.codeDir`, or both (`training.codeDir, evaluation.codeDir`). */
  field: string;
  folder: string;
  digest: string;
  files: number;
  bytes: number;
  /** Whether it was uploaded now (false: the store had it). */
  uploaded: boolean;
}

export interface PackageSpecOptions {
  /** The size limit of one package (MLOPS_CODE_PACKAGE_MAX_BYTES). */
  maxBytes?: number;
  /** Only compute the digests, store nothing (`pipeline apply --dry-run`). @default false */
  dryRun?: boolean;
}

/**
 * The spec with its code folders packaged into the store and their digests in `codePackage`. A
 * section whose folder does not exist on this machine keeps a `codePackage` it already carries;
 * without one, the folder is refused (`InvalidArgument` naming the field).
 */
export async function packageSpecCode(
  store: BlobStore,
  spec: PipelineSpec,
  options: PackageSpecOptions = {},
): Promise<{ spec: PipelineSpec; packaged: PackagedCode[] }> {
  const byFolder = new Map<string, { fields: string[]; pkg: Promise<CodePackage> }>();
  const digests: Partial<Record<'training' | 'evaluation', Promise<CodePackage>>> = {};
  for (const section of ['training', 'evaluation'] as const) {
    const { codeDir, codePackage } = spec[section];
    if (codePackage && !isDirectory(codeDir)) continue;
    const field = `${section}.codeDir`;
    let entry = byFolder.get(codeDir);
    if (!entry) {
      const settings = { maxBytes: options.maxBytes, field };
      const pkg = options.dryRun
        ? archiveFolder(codeDir, settings).then((a) => ({ ...a, key: '', uploaded: false }))
        : packageCode(store, codeDir, settings);
      entry = { fields: [], pkg };
      byFolder.set(codeDir, entry);
    }
    entry.fields.push(field);
    digests[section] = entry.pkg;
  }
  // every package settles before any is read, so a refused one leaves no rejection unhandled
  await Promise.all([...byFolder.values()].map((e) => e.pkg));
  const packaged: PackagedCode[] = [];
  for (const [folder, { fields, pkg }] of byFolder) {
    const p = await pkg;
    packaged.push({
      field: fields.join(', '),
      folder,
      digest: p.digest,
      files: p.files,
      bytes: p.bytes,
      uploaded: p.uploaded,
    });
  }
  const training = digests.training && (await digests.training).digest;
  const evaluation = digests.evaluation && (await digests.evaluation).digest;
  return {
    spec: {
      ...spec,
      training: { ...spec.training, ...(training && { codePackage: training }) },
      evaluation: { ...spec.evaluation, ...(evaluation && { codePackage: evaluation }) },
    },
    packaged,
  };
}

/** `packaged training code <folder>: sha256:abc… (12 files, uploaded)`: a line per package. */
export function describePackaged(p: PackagedCode): string {
  const what = p.field.replace(/\.codeDir/g, '').replace(', ', ' and ');
  return `packaged ${what} code ${p.folder}: ${p.digest.slice(0, 19)}… (${p.files} files, ${p.uploaded ? 'uploaded' : 'already in the store'})`;
}

function isDirectory(folder: string): boolean {
  try {
    return fs.statSync(folder).isDirectory();
  } catch {
    return false;
  }
}

/** A job (`mlops train`, `mlops sweep`) with its `codeDir` packaged: it runs by `codePackage` digest. */
export async function packageJobCode<J extends { codeDir?: string; codePackage?: { digest: string } }>(
  store: BlobStore,
  job: J,
  options: PackageSpecOptions = {},
): Promise<{ job: J; packaged: PackagedCode[] }> {
  if (job.codeDir === undefined) return { job, packaged: [] };
  const p = await packageCode(store, job.codeDir, { maxBytes: options.maxBytes, field: 'codeDir' });
  const { codeDir, ...rest } = job;
  return {
    job: { ...rest, codePackage: { digest: p.digest } } as J,
    packaged: [
      { field: 'codeDir', folder: codeDir, digest: p.digest, files: p.files, bytes: p.bytes, uploaded: p.uploaded },
    ],
  };
}
