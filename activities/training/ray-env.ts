/**
 * The environment of a Ray job: the store settings the runner needs to reach the object store,
 * and the variables of the job contract (./ray_runner.py turns them into the local backend's).
 */
import type { StoreConfig } from '../../lib/config';
import type { TrainingJob } from './types';

/**
 * Store settings for a Ray job, from the worker's own: endpoint, path style, region, and the
 * credentials when the worker has explicit ones. They travel in the job's runtime_env (visible to
 * whoever can read the Ray head's job list); on a real cluster, leave the credentials unset here
 * and give the Ray nodes their own (an instance role, a mounted secret) for the AWS chain to find.
 */
export function rayStoreEnv(store: StoreConfig): Record<string, string> {
  if (store.kind !== 's3') return {};
  const env: Record<string, string> = {
    AWS_REGION: store.region,
    MLOPS_S3_FORCE_PATH_STYLE: String(store.forcePathStyle),
  };
  if (store.endpoint) env.MLOPS_S3_ENDPOINT = store.endpoint;
  if (store.credentials) {
    env.AWS_ACCESS_KEY_ID = store.credentials.accessKeyId;
    env.AWS_SECRET_ACCESS_KEY = store.credentials.secretAccessKey;
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

/** `runtime_env.env_vars` of a job: store settings, then the job's own env, then the contract variables. */
export function rayJobEnv({
  job,
  jobId,
  storeEnv,
  outputUri,
  dataUri,
  modelUri,
  inputs = [],
}: RayJobEnvInput): Record<string, string> {
  return {
    ...storeEnv,
    PYTHONUNBUFFERED: '1',
    ...job.env,
    MLOPS_JOB_ID: jobId,
    MLOPS_PARAMS: JSON.stringify(job.params),
    MLOPS_COMMAND: JSON.stringify(job.command),
    MLOPS_OUTPUT_URI: outputUri,
    ...(dataUri ? { MLOPS_DATA_URI: dataUri } : {}),
    ...(modelUri ? { MLOPS_MODEL_URI: modelUri } : {}),
    ...(inputs.length > 0 ? { MLOPS_INPUTS: JSON.stringify(inputs) } : {}),
  };
}
