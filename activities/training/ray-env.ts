/**
 * The environment of a Ray job: the store settings the runner needs to reach the object store,
 * and the variables of the job contract (./ray_runner.py turns them into the local backend's).
 *
 * Nothing of the worker's own environment travels, except the store settings, and those under
 * runner-only names (`MLOPS_RUNNER_*`): the runner stages the inputs and uploads the outputs with
 * them and removes them from the command's environment, so the job's code never gets the store's
 * credentials (it needs none: its data is staged for it).
 */
import type { StoreConfig } from '../../lib/config';
import type { TrainingJob } from './types';

/** Every variable meant for the runner alone starts with this; the runner keeps them from the command. */
export const RUNNER_ONLY_PREFIX = 'MLOPS_RUNNER_';

/**
 * Store settings for a Ray job's runner, from the worker's own: endpoint, path style, region, and
 * the credentials when the worker has explicit ones. They travel in the job's runtime_env (visible
 * to whoever can read the Ray head's job list, which code running on the cluster can reach); on a
 * real cluster, leave the credentials unset here and give the Ray nodes their own (an instance
 * role, a mounted secret) for the AWS chain to find.
 */
export function rayStoreEnv(store: StoreConfig): Record<string, string> {
  if (store.kind !== 's3') return {};
  const env: Record<string, string> = {
    [`${RUNNER_ONLY_PREFIX}S3_REGION`]: store.region,
    [`${RUNNER_ONLY_PREFIX}S3_FORCE_PATH_STYLE`]: String(store.forcePathStyle),
  };
  if (store.endpoint) env[`${RUNNER_ONLY_PREFIX}S3_ENDPOINT`] = store.endpoint;
  if (store.credentials) {
    env[`${RUNNER_ONLY_PREFIX}AWS_ACCESS_KEY_ID`] = store.credentials.accessKeyId;
    env[`${RUNNER_ONLY_PREFIX}AWS_SECRET_ACCESS_KEY`] = store.credentials.secretAccessKey;
  }
  return env;
}

/** A named input as the runner reads it: a snapshot's manifest URI or a model folder's URI. */
export type RayJobInput = { name: string; manifestUri: string } | { name: string; modelUri: string };

export interface RayJobEnvInput {
  job: TrainingJob;
  jobId: string;
  storeEnv: Record<string, string>;
  outputUri: string;
  dataUri?: string;
  /** The model folder's URI (MLOPS_MODEL_URI), which the runner downloads into MLOPS_MODEL_DIR. */
  modelUri?: string;
  /** The named inputs (MLOPS_INPUTS, JSON), which the runner materializes and passes as MLOPS_INPUT_<NAME>. */
  inputs?: RayJobInput[];
}

/**
 * `runtime_env.env_vars` of a job: the job's own env, then the contract variables, then the
 * runner's store settings (a job's env cannot set those: they are the runner's alone).
 */
export function rayJobEnv({
  job,
  jobId,
  storeEnv,
  outputUri,
  dataUri,
  modelUri,
  inputs = [],
}: RayJobEnvInput): Record<string, string> {
  const own = Object.fromEntries(
    Object.entries(job.env ?? {}).filter(([name]) => !name.startsWith(RUNNER_ONLY_PREFIX)),
  );
  return {
    PYTHONUNBUFFERED: '1',
    ...own,
    MLOPS_JOB_ID: jobId,
    MLOPS_PARAMS: JSON.stringify(job.params),
    MLOPS_COMMAND: JSON.stringify(job.command),
    MLOPS_OUTPUT_URI: outputUri,
    ...(dataUri ? { MLOPS_DATA_URI: dataUri } : {}),
    ...(modelUri ? { MLOPS_MODEL_URI: modelUri } : {}),
    ...(inputs.length > 0 ? { MLOPS_INPUTS: JSON.stringify(inputs) } : {}),
    ...Object.fromEntries(Object.entries(storeEnv).filter(([name]) => name.startsWith(RUNNER_ONLY_PREFIX))),
  };
}
