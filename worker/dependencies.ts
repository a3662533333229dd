/** Builds the real dependencies of activities from config: the one place backends are picked. */
import fs from 'node:fs';
import path from 'node:path';
import type { ActivityDeps } from '../activities';
import { createBlobStore } from '../activities/storage';
import { InvalidSourceError } from '../common/failures';
import type { BlobStore } from '../activities/storage/types';
import type { Config, LoadedConfig } from '../lib/config';
import { parseStoreUri } from '../lib/config';
import { codecKeysFromEnv } from '../lib/codec/aes-gcm';
import { secretValues } from '../lib/redact';
import { checkKubeAccess, createServingBackend } from '../activities/serving';
import type { ServingBackend } from '../activities/serving/types';
import { createRoutingBackend, rayStoreEnv } from '../activities/training';
import { REPO_ROOT } from '../lib/tools';
import { gatewayAdminFromConfig } from '../activities/serving/gateway-client';

/** The project's pinned Python (`npm run setup`): training jobs that start with `python` run it. */
const VENV_PYTHON = path.join(REPO_ROOT, '.venv', 'bin', 'python');

export function buildActivityDeps(config: Config & Partial<Pick<LoadedConfig, 'temporal'>>): ActivityDeps {
  const store = createBlobStore(config.store);
  const secrets = workerSecrets(config);
  return {
    store,
    secrets,
    webhookEnvPrefix: config.webhookEnvPrefix,
    trainingBackend: createRoutingBackend({
      local: {
        store,
        workRoot: path.join(config.home, 'jobs'),
        python: fs.existsSync(VENV_PYTHON) ? VENV_PYTHON : undefined,
        codeRoots: config.sourceRoots,
        secrets,
      },
      ray: config.ray
        ? {
            address: config.ray.address,
            store,
            storeEnv: rayStoreEnv(config.store),
            codeRoots: config.sourceRoots,
            secrets,
          }
        : undefined,
    }),
    servingBackend: createServing(config, store, secrets),
    cacheDir: config.cacheDir,
    sourceRoots: config.sourceRoots,
    maxSnapshotFiles: config.maxSnapshotFiles,
    openStore: (uri) => {
      const parsed = parseStoreUri(uri, process.cwd(), config.s3);
      if (typeof parsed === 'string') throw new InvalidSourceError(uri, parsed);
      return createBlobStore(parsed);
    },
  };
}

/**
 * The serving backend when a gateway is configured (MLOPS_GATEWAY_* or `mlops dev up`), registering
 * variants with it: MLOPS_SERVING_BACKEND `local`, a model server per variant (the venv's Python
 * running activities/serving/model_server.py) under `<home>/serving`, or `kserve`, an
 * InferenceService per variant in the configured cluster; `undefined` without a gateway.
 */
export function createServing(
  config: Pick<Config, 'gateway' | 'home'> & Partial<Pick<Config, 'servingBackend' | 'kserve' | 'modelServer'>>,
  store: BlobStore,
  secrets?: readonly string[],
): ServingBackend | undefined {
  if (!config.gateway) return undefined;
  // the rollout analysis reads every live replica's metrics through the store's replica records
  const gateway = gatewayAdminFromConfig(config.gateway, store);
  if (config.servingBackend === 'kserve' && config.kserve) {
    const { kubeconfig, kubeconfigSetting, namespace, runtime, serviceAccount } = config.kserve;
    const kube = {
      ...(kubeconfig ? { kubeconfig } : {}),
      setting: kubeconfigSetting,
      ...(namespace ? { namespace } : {}),
    };
    // a kubeconfig that is not there stops the worker at start, naming the setting
    checkKubeAccess(kube);
    return createServingBackend('kserve', {
      store,
      gateway,
      kube,
      runtime,
      ...(serviceAccount ? { serviceAccount } : {}),
    });
  }
  return createServingBackend('local', {
    store,
    ...(secrets && { secrets }),
    gateway,
    servingRoot: path.join(config.home, 'serving'),
    python: VENV_PYTHON,
    ...(config.modelServer && {
      bindHost: config.modelServer.host,
      advertiseHost: config.modelServer.advertiseHost,
    }),
  });
}

/**
 * The worker's secret values, hidden wherever a job's or a server's words leave the worker
 * (lib/redact.ts): those of its environment, and those it holds from elsewhere (the dev stack's
 * store key, the gateway token file, the codec key file, a Temporal profile's API key).
 */
export function workerSecrets(config: Config & Partial<Pick<LoadedConfig, 'temporal'>>): string[] {
  const extra: string[] = [];
  if (config.store.kind === 's3' && config.store.credentials) extra.push(config.store.credentials.secretAccessKey);
  if (config.s3.secretAccessKey) extra.push(config.s3.secretAccessKey);
  if (config.gateway) extra.push(config.gateway.token);
  const apiKey = config.temporal?.connectionOptions.apiKey;
  if (typeof apiKey === 'string') extra.push(apiKey);
  try {
    const codec = codecKeysFromEnv();
    for (const key of Object.values(codec?.keys ?? {})) extra.push(key.toString('base64'));
  } catch {
    // a bad codec setting stops the worker before any job runs
  }
  return secretValues(process.env, extra, { webhookEnvPrefix: config.webhookEnvPrefix });
}
