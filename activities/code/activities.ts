/**
 * The code activity: `packageCode` packages a folder of the worker's host into the store, for
 * orchestration that runs on a worker (the CLI packages the user's folders itself, with
 * `packageCode` from ./package.ts). The folder must lie in the worker's source roots.
 */
import { InvalidArgumentError } from '../../common/failures';
import { sourceRootProblem } from '../data/source-roots';
import { asActivity } from '../failures';
import type { BlobStore } from '../storage/types';
import { packageCode, type CodePackage } from './package';

export interface PackageCodeInput {
  /** Absolute folder on the worker's host. */
  folder: string;
}

export interface CodeActivityDeps {
  store: BlobStore;
  /** Folders a packaged folder must lie in (MLOPS_SOURCE_ROOTS); absent: any folder. */
  sourceRoots?: readonly string[];
  /** The size limit of a package (MLOPS_CODE_PACKAGE_MAX_BYTES). @default 50 MiB */
  codePackageMaxBytes?: number;
}

export function createCodeActivities(deps: CodeActivityDeps) {
  return {
    /** Packages `folder` into `code/<hex>.zip` unless the store has it; the digest is the code's version. */
    async packageCode(input: PackageCodeInput): Promise<CodePackage> {
      return asActivity(async () => {
        const folder = input?.folder;
        if (typeof folder !== 'string' || !folder.startsWith('/')) {
          throw new InvalidArgumentError('folder', `must be an absolute folder path (got ${JSON.stringify(folder)})`);
        }
        const outside = deps.sourceRoots && sourceRootProblem(folder, deps.sourceRoots);
        if (outside) throw new InvalidArgumentError('folder', outside);
        return packageCode(deps.store, folder, { maxBytes: deps.codePackageMaxBytes });
      });
    },
  };
}

export type CodeActivities = ReturnType<typeof createCodeActivities>;
