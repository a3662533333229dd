/**
 * Code packages: a code folder as a content-addressed archive in the store, so a job runs on any
 * host from its digest alone.
 *
 * - ./code-files.ts   which files are code (the rules the code version and the Ray package share)
 * - ./manifest.ts     the manifest (path, size, sha256, executable bit per file) and the digest of it
 * - ./archive.ts      the deterministic zip of a package, and its verification against a digest
 * - ./package.ts      `packageCode(store, folder)`: build and upload once (`code/<hex>.zip`)
 * - ./materialize.ts  `materializeCode(store, digest, cacheRoot)`: a verified folder per digest, and a
 *                     job's `workingCopy` of it (hard links)
 * - ./activities.ts   the `packageCode` activity (a folder on the worker, within its source roots)
 *
 * The CLI imports ./package.ts directly; workers and backends use the rest.
 */
export { createCodeActivities, type CodeActivities, type CodeActivityDeps, type PackageCodeInput } from './activities';
export { buildArchive, manifestOf, openArchive, type ArchiveFile } from './archive';
export { isExcludedName, listCodeFiles, type CodeFile } from './code-files';
export { CODE_DIGEST, codePackageKey, isCodeDigest, type CodeManifest, type CodeManifestEntry } from './manifest';
export { materializeCode, workingCopy, type MaterializedCode } from './materialize';
export {
  archiveFolder,
  DEFAULT_CODE_PACKAGE_MAX_BYTES,
  packageCode,
  type CodePackage,
  type PackageCodeOptions,
} from './package';
