/**
 * Which code a job runs: the section's code package (`codePackage`, a digest the CLI set when it
 * packaged `codeDir`), else its folder on the worker (`codeDir`). Runs recorded before code packages
 * replay unchanged: the package is used only where the spec carries one, behind the
 * `code-packages` patch.
 */
import { patched } from '@temporalio/workflow';
import type { TrainingJob } from '../../activities/training/types';

/** The patch that makes jobs run code packages by digest. */
export const CODE_PACKAGES_PATCH = 'code-packages';

/** The job's `codePackage` when the section carries one (and the run is patched), else its `codeDir`. */
export function codeOf(section: {
  codeDir: string;
  codePackage?: string;
}): Pick<TrainingJob, 'codeDir' | 'codePackage'> {
  if (section.codePackage !== undefined && patched(CODE_PACKAGES_PATCH))
    return { codePackage: { digest: section.codePackage } };
  return { codeDir: section.codeDir };
}
