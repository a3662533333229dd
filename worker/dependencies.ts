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
import { createServingBackend } from '../activities/serving';
import type { ServingBackend } from '../activities/serving/types';
import { createRoutingBackend, rayStoreEnv } from '../activities/training';
import { REPO_ROOT } from '../lib/tools';
import { gatewayAdminFromConfig } from '../activities/serving/gateway-client';

/** The project's pinned Python (`npm run setup`): training jobs that start with `python` run it. */
const VENV_PYTHON = path.join(REPO_ROOT, '.venv', 'bin', 'python');
/** MLServer from the same venv: one per deployed variant. */
const VENV_MLSERVER = path.join(REPO_ROOT, '.venv', 'bin', 'mlserver');

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
    openStore: (uri) => {
      const parsed = parseStoreUri(uri, process.cwd(), config.s3);
      if (typeof parsed === 'string') throw new InvalidSourceError(uri, parsed);
      return createBlobStore(parsed);
    },
  };
}

/**
 * The serving backend when a gateway is configured (MLOPS_GATEWAY_* or `mlops dev up`): MLServer
 * per variant under `<home>/serving`, registered with the gateway; `undefined` without a gateway.
 */
export function createServing(
  config: Pick<Config, 'gateway' | 'home'>,
  store: BlobStore,
  secrets?: readonly string[],
): ServingBackend | undefined {
  if (!config.gateway) return undefined;
  return createServingBackend('local', {
    store,
    ...(secrets && { secrets }),
    gateway: gatewayAdminFromConfig(config.gateway, store),
    servingRoot: path.join(config.home, 'serving'),
    mlserver: VENV_MLSERVER,
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
