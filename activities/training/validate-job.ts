/** Checks a `TrainingJob` and an idempotency key before anything is created; errors name the field. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { sourceRootProblem } from '../data/source-roots';
import { validateKey as validateStoreKey } from '../storage/keys';
import { isCodeDigest } from '../code/manifest';
import { InvalidTrainingJobError } from '../../common/failures';
import { modelPrefixOf, validateInputs } from './job-inputs';
import type { TrainingJob } from './types';

/** Throws `InvalidTrainingJobError` unless `key` is a non-empty string. */
export function validateKey(key: string): void {
  if (typeof key !== 'string' || key === '') {
    throw new InvalidTrainingJobError('idempotencyKey', 'must be a non-empty string');
  }
}

/**
 * Throws `InvalidTrainingJobError` naming the first field that breaks the `TrainingJob` contract.
 * `storeUri` is the platform store's URI, which a `modelUri` must lie in; with `codeRoots` (the
 * worker's source roots), `codeDir` must lie in one of them, its symlinks resolved; a `codePackage`
 * is in the store, not on this host, and is checked for its digest's shape only.
 */
export async function validateJob(
  job: TrainingJob,
  { storeUri, codeRoots }: { storeUri: string; codeRoots?: readonly string[] },
): Promise<void> {
  const fail = (field: string, problem: string) => new InvalidTrainingJobError(field, problem);
  if (typeof job !== 'object' || job === null) throw fail('job', 'must be an object');
  if (typeof job.name !== 'string' || job.name === '') throw fail('name', 'must be a non-empty string');
  if (!Array.isArray(job.command) || job.command.length === 0 || !job.command.every((a) => typeof a === 'string')) {
    throw fail('command', 'must be a non-empty list of strings');
  }
  if (job.command[0] === '') throw fail('command[0]', 'must not be empty');
  await validateCode(job, codeRoots);
  if (typeof job.params !== 'object' || job.params === null || Array.isArray(job.params)) {
    throw fail('params', 'must be an object');
  }
  for (const [name, value] of Object.entries(job.env ?? {})) {
    if (typeof value !== 'string') throw fail(`env.${name}`, 'must be a string');
  }
  if (job.input !== undefined) {
    if (typeof job.input.dataset !== 'string' || job.input.dataset === '') throw fail('input.dataset', 'required');
    if (typeof job.input.snapshot !== 'string' || job.input.snapshot === '') throw fail('input.snapshot', 'required');
  }
  if (job.modelUri !== undefined) jobModelPrefix(job.modelUri, storeUri);
  if (job.inputs !== undefined) validateInputs(job.inputs, storeUri);
  try {
    validateStoreKey(job.outputPrefix, { allowTrailingSlash: true });
  } catch (error) {
    throw fail('outputPrefix', (error as Error).message);
  }
  if (job.backend !== undefined && job.backend !== 'local' && job.backend !== 'ray') {
    throw fail('backend', `must be local or ray (got ${JSON.stringify(job.backend)})`);
  }
  const t = job.timeoutSeconds;
  if (t !== undefined && (typeof t !== 'number' || !(t > 0))) throw fail('timeoutSeconds', 'must be a positive number');
}

/** Exactly one of `codeDir` (an existing folder within `codeRoots`) and `codePackage` (a digest). */
async function validateCode(job: TrainingJob, codeRoots: readonly string[] | undefined): Promise<void> {
  const fail = (field: string, problem: string) => new InvalidTrainingJobError(field, problem);
  if (job.codePackage !== undefined) {
    if (job.codeDir !== undefined) throw fail('codeDir', 'give codeDir or codePackage, not both');
    if (typeof job.codePackage !== 'object' || job.codePackage === null) {
      throw fail('codePackage', 'must be an object with a digest');
    }
    if (!isCodeDigest(job.codePackage.digest)) {
      const got = JSON.stringify(job.codePackage.digest);
      throw fail('codePackage.digest', `must be sha256: and 64 lowercase hex digits (got ${got})`);
    }
    return;
  }
  if (typeof job.codeDir !== 'string' || !path.isAbsolute(job.codeDir)) {
    throw fail('codeDir', `must be an absolute folder path, or give codePackage (got ${JSON.stringify(job.codeDir)})`);
  }
  const isDir = await fs.stat(job.codeDir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) throw fail('codeDir', `${job.codeDir} is not a folder`);
  const outside = codeRoots && sourceRootProblem(job.codeDir, codeRoots);
  if (outside) throw fail('codeDir', outside);
}

/** The store key prefix of a job's `modelUri`; throws `InvalidTrainingJobError` naming `modelUri` unless it is a store folder. */
export function jobModelPrefix(modelUri: string, storeUri: string): string {
  return modelPrefixOf(modelUri, storeUri, 'modelUri');
}
