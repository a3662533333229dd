/**
 * One model server per variant: KServe's `ModelServer` running the project's model class
 * (./model_server.py) over the variant's model folder, launched detached, probed for readiness.
 * The server is told the variant's name (`--model_name`), so the gateway forwards
 * `/v2/models/<variant>/infer` to it; what it serves is the folder's model descriptor (`model.json`,
 * common/schemas/model-descriptor.ts), or the `model-settings.json` of folders written before it.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  checkLegacyModelSettings,
  checkModelDescriptor,
  LEGACY_MODEL_SETTINGS_FILE,
  MODEL_DESCRIPTOR_FILE,
  type ModelDescriptor,
} from '../../common/schemas/model-descriptor';
import { InvalidServingArgumentError } from '../../common/failures';
import { jobEnvironment } from '../../lib/job-env';
import { PACKAGE_ROOT } from '../../lib/package-root';
import { spawnDetached } from '../../lib/processes/process-group';
import { readUserFile, UserFileError } from '../../lib/user-files';
import type { VariantPaths } from './variant-files';

/** The model server's script: the same file a KServe `ServingRuntime` runs in a cluster. */
export const MODEL_SERVER_SCRIPT = path.join(PACKAGE_ROOT, 'activities', 'serving', 'model_server.py');

/** Where a host's model servers listen and where the gateway reaches them. */
export interface ModelServerHosts {
  /** The address servers bind. @default '127.0.0.1' */
  bindHost?: string;
  /** The host in a variant's upstream URL. @default bindHost */
  advertiseHost?: string;
}

/**
 * The model folder's descriptor: `model.json`, else a legacy `model-settings.json` (its
 * `parameters.uri` and `inputs`), else a bare `model.joblib` as older versions served it. An
 * invalid descriptor, or a model file the folder lacks, is refused naming `model.artifactUri`,
 * the file and the field.
 */
export function readModelDescriptor(modelDir: string): ModelDescriptor {
  const descriptor = readDescriptorFile(modelDir);
  if (!fs.existsSync(path.join(modelDir, descriptor.file))) {
    throw new InvalidServingArgumentError(
      'model.artifactUri',
      `the model folder has no ${descriptor.file} (the model file its ${MODEL_DESCRIPTOR_FILE} names) and no ${MODEL_DESCRIPTOR_FILE}`,
    );
  }
  return descriptor;
}

function readDescriptorFile(modelDir: string): ModelDescriptor {
  for (const [file, check] of [
    [MODEL_DESCRIPTOR_FILE, checkModelDescriptor],
    [LEGACY_MODEL_SETTINGS_FILE, checkLegacyModelSettings],
  ] as const) {
    let text: string;
    try {
      text = readUserFile(path.join(modelDir, file), { linkRoots: [modelDir] });
    } catch (error) {
      if (error instanceof UserFileError && error.problem === 'cannot read the file') continue;
      throw new InvalidServingArgumentError('model.artifactUri', `${file}: ${(error as UserFileError).problem}`);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw new InvalidServingArgumentError('model.artifactUri', `${file}: not valid JSON`);
    }
    const checked = check(raw);
    if (!checked.ok) throw new InvalidServingArgumentError('model.artifactUri', `${file}: ${checked.error}`);
    return checked.value;
  }
  const bare = checkLegacyModelSettings({});
  if (!bare.ok) throw new Error(bare.error);
  return bare.value;
}

/** The model's input columns in the order it takes them (the descriptor's `inputs`), or `undefined` when it lists none. */
export function modelInputs(descriptor: ModelDescriptor): string[] | undefined {
  const names = descriptor.inputs.map((i) => i.name);
  return names.length > 0 ? names : undefined;
}

/**
 * Starts `python model_server.py` for the variant detached in its own process group, output
 * appended to the log; returns its pid. The server runs the model's code, so it gets a job's
 * environment (lib/job-env.ts: the allow-listed part of the worker's, none of its secrets), not
 * the worker's.
 */
export async function launchModelServer(
  python: string,
  paths: VariantPaths,
  server: { variant: string; port: number; bindHost: string },
  workerEnv: Readonly<Record<string, string | undefined>> = process.env,
): Promise<number> {
  // one OpenMP thread: several variants share the host, and requests are small
  const env = jobEnvironment({ from: workerEnv, own: { OMP_NUM_THREADS: workerEnv.OMP_NUM_THREADS ?? '1' } });
  const args = [
    MODEL_SERVER_SCRIPT,
    `--model_dir=${paths.model}`,
    `--model_name=${server.variant}`,
    `--http_port=${server.port}`,
    `--http_host=${server.bindHost}`,
  ];
  return spawnDetached(python, args, {
    cwd: paths.dir,
    env,
    logFile: paths.log,
    header: `--- ${new Date().toISOString()} ${python} ${args.join(' ')}\n`,
  });
}

/** Whether the model server at `upstream` reports `model` ready (200 on `/v2/models/<model>/ready`). */
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
