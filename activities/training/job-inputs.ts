/**
 * Named inputs of a job (`TrainingJob.inputs`, what a pipeline step declares): their rules, the
 * variable each is passed as (`MLOPS_INPUT_<NAME>`, the name upper-cased), and how the local
 * backend materializes them into `inputs/<name>/` of the job folder: a dataset snapshot exactly as
 * the job's `input` (every digest verified), a model folder exactly as its `modelUri`.
 */
import path from 'node:path';
import { materializeSnapshot } from '../data';
import { validateDatasetName } from '../data/keys';
import { downloadModel, InvalidModelFolderError, modelKeyPrefix } from '../models/model-files';
import type { BlobStore } from '../storage/types';
import { DataError, InvalidTrainingJobError } from '../../common/failures';
import type { TrainingJobInput } from './types';

/** An input's name: the folder `inputs/<name>/` and the variable `MLOPS_INPUT_<NAME>` are made of it. */
const INPUT_NAME = /^[a-z][a-z0-9_]{0,31}$/;

/** The environment variable holding the absolute path of the input `name`. */
export function inputEnvName(name: string): string {
  return `MLOPS_INPUT_${name.toUpperCase()}`;
}

/** The store key prefix of a model folder URI, or `InvalidTrainingJobError` naming `field`. */
export function modelPrefixOf(modelUri: string, storeUri: string, field: string): string {
  try {
    return modelKeyPrefix(modelUri, storeUri);
  } catch (error) {
    if (error instanceof InvalidModelFolderError) throw new InvalidTrainingJobError(field, error.problem);
    throw error;
  }
}

/**
 * Throws `InvalidTrainingJobError` naming the field (`inputs[1].name`…) unless `inputs` is a list of
 * uniquely named inputs, each exactly one of a snapshot or a model folder inside the store at `storeUri`.
 */
export function validateInputs(inputs: unknown, storeUri: string): void {
  const fail = (field: string, problem: string) => new InvalidTrainingJobError(field, problem);
  if (!Array.isArray(inputs)) throw fail('inputs', 'must be a list');
  const seen = new Set<string>();
  inputs.forEach((input: TrainingJobInput, i) => {
    const at = `inputs[${i}]`;
    if (typeof input !== 'object' || input === null) throw fail(at, 'must be an object');
    if (typeof input.name !== 'string' || !INPUT_NAME.test(input.name)) {
      const got = JSON.stringify(input.name);
      throw fail(`${at}.name`, `must be 1-32 characters of a-z, 0-9 and _, starting with a letter (got ${got})`);
    }
    if (seen.has(input.name)) throw fail(`${at}.name`, `${input.name} is the name of an earlier input too`);
    seen.add(input.name);
    if ((input.snapshot === undefined) === (input.modelUri === undefined)) {
      throw fail(at, 'must have exactly one of snapshot or modelUri');
    }
    if (input.modelUri !== undefined) {
      modelPrefixOf(input.modelUri, storeUri, `${at}.modelUri`);
      return;
    }
    if (typeof input.snapshot !== 'object' || input.snapshot === null)
      throw fail(`${at}.snapshot`, 'must be an object');
    const { dataset, snapshot } = input.snapshot as { dataset?: unknown; snapshot?: unknown };
    const field = `${at}.snapshot.dataset`;
    try {
      validateDatasetName(dataset, field);
    } catch (error) {
      if (error instanceof DataError) throw fail(field, error.message.slice(`${field}: `.length));
      throw error;
    }
    if (typeof snapshot !== 'string' || snapshot === '') throw fail(`${at}.snapshot.snapshot`, 'required');
  });
}

/**
 * Materializes every input under `root` (`<root>/<name>/`) from `store`; returns the variables that
 * name them. A model folder with nothing in it is an `InvalidTrainingJobError` naming its field.
 */
export async function materializeInputs(
  store: BlobStore,
  inputs: readonly TrainingJobInput[],
  root: string,
): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const [i, input] of inputs.entries()) {
    const dir = path.join(root, input.name);
    if (input.snapshot) {
      await materializeSnapshot(store, { dataset: input.snapshot.dataset, id: input.snapshot.snapshot, dir });
    } else {
      const field = `inputs[${i}].modelUri`;
      await downloadModel(store, modelPrefixOf(input.modelUri!, store.uri, field), dir).catch((error: unknown) => {
        if (error instanceof InvalidModelFolderError) throw new InvalidTrainingJobError(field, error.problem);
        throw error;
      });
    }
    env[inputEnvName(input.name)] = dir;
  }
  return env;
}
