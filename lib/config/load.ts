/**
 * The one place that reads `process.env`: validates it against ./schema.ts, falls back to the
 * running dev stack, and loads the Temporal connection through `@temporalio/envconfig`
 * (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { ConfigError } from '../../common/errors';
import type { Config, Host, RawEnv, StackDefaults } from './schema';
import { validateConfig } from './schema';
import { fileSettings, findProjectDir, type ProjectDir } from './project';
import { readStackFile, type StackFile } from './stack-file';

/** Dev-stack MinIO credentials used when AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are unset. */
export const DEV_S3_CREDENTIALS = { accessKeyId: 'mlops', secretAccessKey: 'mlops-dev-secret' } as const;
export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';

export interface TemporalConnectConfig {
  address: string;
  namespace: string;
  connectionOptions: NativeConnectionOptions & { address: string };
}

export interface LoadedConfig extends Config {
  temporal: TemporalConnectConfig;
  /** The project folder relative settings resolve against, and how it was found (./project.ts). */
  project: ProjectDir;
  /** The settings files applied under the environment (mlops.toml, the envconfig profile's file). */
  settingsFiles: string[];
}

/**
 * Loads and validates configuration; throws `ConfigError` (exit 2) listing every bad variable.
 * The environment wins over the settings files (./project.ts), which win over the dev stack's defaults.
 */
export function loadConfig(given: RawEnv = process.env, cwd: string = process.cwd()): LoadedConfig {
  const project = findProjectDir(given, cwd);
  const files = fileSettings(given, project.dir);
  const env: RawEnv = { ...files.settings, ...definedOnly(given) };
  cwd = project.dir;
  const home = path.resolve(cwd, env.MLOPS_HOME || '.mlops');
  const stack = readStackFile(home);
  const defaults: StackDefaults = {};
  if (stack.minio) {
    defaults.store = {
      uri: `s3://${stack.minio.bucket}`,
      endpoint: stack.minio.endpoint,
      accessKeyId: DEV_S3_CREDENTIALS.accessKeyId,
      secretAccessKey: DEV_S3_CREDENTIALS.secretAccessKey,
    };
  }
  const gateway = stackGateway(stack);
  if (gateway) defaults.gateway = gateway;
  const result = validateConfig(env, cwd, defaults, currentHost());
  if (!result.ok) throw new ConfigError(result.issues);
  return {
    ...result.config,
    temporal: loadTemporal(env, stack.temporal?.address, stack.temporal?.namespace),
    project,
    settingsFiles: files.files,
  };
}

/** The gateway `mlops dev up` recorded in the stack file, its admin token read from the token file. */
function stackGateway(stack: StackFile): StackDefaults['gateway'] {
  if (!stack.gateway) return undefined;
  const { url, adminUrl, tokenFile } = stack.gateway;
  let token: string | undefined;
  try {
    token = fs.readFileSync(tokenFile, 'utf8').trim() || undefined;
  } catch {
    // no token file: MLOPS_GATEWAY_TOKEN may still supply it
  }
  return { url, adminUrl, token };
}

function loadTemporal(env: RawEnv, stackAddress?: string, stackNamespace?: string): TemporalConnectConfig {
  let loaded;
  try {
    loaded = loadClientConnectConfig({ overrideEnvVars: definedOnly(env) });
  } catch (err) {
    throw new ConfigError([`TEMPORAL_CONFIG: ${(err as Error).message}`]);
  }
  const address = loaded.connectionOptions.address ?? stackAddress ?? DEFAULT_TEMPORAL_ADDRESS;
  if (!/^[^\s:/]+:\d{1,5}$/.test(address) && !/^\[[0-9a-f:]+\]:\d{1,5}$/i.test(address)) {
    throw new ConfigError([`TEMPORAL_ADDRESS: ${JSON.stringify(address)} is not host:port`]);
  }
  const namespace = loaded.namespace ?? stackNamespace ?? 'default';
  return { address, namespace, connectionOptions: { ...loaded.connectionOptions, address } };
}

function currentHost(): Host {
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    // no passwd entry (some containers): keep 'unknown'
  }
  return { user, hostname: os.hostname() };
}

function definedOnly(env: RawEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

/** MinIO credentials for `mlops dev up`: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY when both are set, else the dev defaults. */
export function devS3Credentials(env: RawEnv = process.env): {
  accessKeyId: string;
  secretAccessKey: string;
  fromEnv: boolean;
} {
  const accessKeyId = env.AWS_ACCESS_KEY_ID?.trim();
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY?.trim();
  if (accessKeyId && secretAccessKey) return { accessKeyId, secretAccessKey, fromEnv: true };
  return { ...DEV_S3_CREDENTIALS, fromEnv: false };
}
