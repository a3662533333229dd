/**
 * One MLServer per variant: its settings files, its detached launch and its readiness probe.
 * MLServer serves every `model-settings.json` below the folder it is started in; the model's name
 * there is the variant's, so the gateway forwards `/v2/models/<variant>/infer` to it.
 */
import { jobEnvironment } from '../../lib/job-env';
import { spawnDetached } from '../../lib/processes/process-group';
import { readJson, writeJsonAtomic } from '../../lib/files';
import type { VariantPaths } from './variant-files';

/** MLServer's server settings: loopback only, no parallel workers (one process), no metrics server. */
export async function writeServerSettings(paths: VariantPaths, ports: { http: number; grpc: number }): Promise<void> {
  await writeJsonAtomic(paths.settings, {
    debug: false,
    host: '127.0.0.1',
    http_port: ports.http,
    grpc_port: ports.grpc,
    // null turns MLServer's separate Prometheus server off; the gateway counts per-variant traffic
    metrics_endpoint: null,
    parallel_workers: 0,
    load_models_at_startup: true,
    model_repository_root: paths.dir,
  });
}

/**
 * Rewrites the model folder's `model-settings.json` for serving as `variant`: its name, the sklearn
 * runtime and the model file; a `parameters.version` is dropped so the unversioned paths serve it.
 * Everything else the training job wrote (its `inputs`, say) is kept.
 */
export async function writeModelSettings(paths: VariantPaths, variant: string): Promise<void> {
  const given = (await readJson<Record<string, unknown>>(paths.modelSettings)) ?? {};
  const parameters = { ...((given.parameters as Record<string, unknown> | undefined) ?? {}) };
  delete parameters.version;
  parameters.uri ??= './model.joblib';
  await writeJsonAtomic(paths.modelSettings, {
    ...given,
    name: variant,
    implementation: given.implementation ?? 'mlserver_sklearn.SKLearnModel',
    parameters,
  });
}

/**
 * The model's input columns in the order it takes them: the names of the model folder's
 * `model-settings.json` `inputs` (MLServer's model metadata, which the training job writes), or
 * `undefined` when it lists none.
 */
export async function readModelInputs(paths: VariantPaths): Promise<string[] | undefined> {
  const settings = await readJson<{ inputs?: unknown }>(paths.modelSettings);
  if (!Array.isArray(settings?.inputs)) return undefined;
  const names = settings.inputs.map((i: unknown) =>
    typeof i === 'object' && i !== null ? (i as { name?: unknown }).name : undefined,
  );
  return names.length > 0 && names.every((n): n is string => typeof n === 'string' && n.length > 0) ? names : undefined;
}

/**
 * Starts `mlserver start <variant dir>` detached in its own process group, output appended to the
 * log; returns its pid. The server runs the model's code, so it gets a job's environment
 * (lib/job-env.ts: the allow-listed part of the worker's, none of its secrets), not the worker's.
 */
export async function launchMlserver(
  mlserver: string,
  paths: VariantPaths,
  workerEnv: Readonly<Record<string, string | undefined>> = process.env,
): Promise<number> {
  // one OpenMP thread: several variants share the host, and requests are small
  const env = jobEnvironment({ from: workerEnv, own: { OMP_NUM_THREADS: workerEnv.OMP_NUM_THREADS ?? '1' } });
  return spawnDetached(mlserver, ['start', paths.dir], {
    cwd: paths.dir,
    env,
    logFile: paths.log,
    header: `--- ${new Date().toISOString()} ${mlserver} start ${paths.dir}\n`,
  });
}

/** Whether MLServer at `upstream` reports `model` ready (200 on `/v2/models/<model>/ready`). */
export async function isModelReady(upstream: string, model: string, timeoutMs = 1000): Promise<boolean> {
  try {
    const res = await fetch(`${upstream}/v2/models/${encodeURIComponent(model)}/ready`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}
