/**
 * `LocalServingBackend`: one model server process per variant on this host (KServe's `ModelServer`
 * with the project's model class), behind the project's inference gateway. Files per variant:
 * ./variant-files.ts; the server's launch and the model descriptor: ./model-server.ts.
 *
 * - deploy: the model folder is downloaded into `model/`, its descriptor checked (`model.json`, or a
 *   legacy `model-settings.json`), and `python model_server.py` launched detached in its own process
 *   group on a free port of the bind host (`MLOPS_MODEL_SERVER_HOST`, default loopback);
 *   the pid and its start time are recorded, so a restarted worker (a new instance over the same
 *   `servingRoot`) re-attaches instead of starting a second server. A recorded server that is gone
 *   is started again (on fresh ports). The server gets a job's environment (lib/job-env.ts), none
 *   of the worker's secrets; a server that dies is reported with its last log lines, redacted of
 *   the worker's secrets (lib/redact.ts).
 * - waitReady: polls the server's readiness, then registers the variant with the gateway at
 *   `http://<advertise host>:<port>`: weight 0 next to the existing variants, or 100 as the
 *   endpoint's first (compare-and-swap on the revision), with the model's input columns in its order
 *   (its descriptor's `inputs`).
 * - undeploy: removes the variant from the gateway (refused while it still takes traffic), stops
 *   its process group and deletes its folder.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../lib/ports';
import { redact, secretValues } from '../../lib/redact';
import { validVersion } from '../registry/validate';
import type { BlobStore } from '../storage/types';
import { readJson, tailLines, writeJsonAtomic, writeJsonExclusive } from '../../lib/files';
import { recordLaunchedPid, type PidRecord } from '../../lib/processes/pid-file';
import { downloadModel, InvalidModelFolderError, modelKeyPrefix } from '../models/model-files';
import { groupExists, isSameProcess, killGroup, processStartTime } from '../../lib/processes/process-group';
import {
  EndpointNotFoundError,
  InvalidServingArgumentError,
  VariantFailedError,
  VariantNotFoundError,
  VariantNotReadyError,
} from '../../common/failures';
import type { GatewayAdmin } from './gateway';
import { registerVariant, unregisterVariant } from './registration';
import { readGatewayMetrics, setGatewayTraffic } from './traffic';
import {
  isModelReady,
  launchModelServer,
  modelInputs,
  readModelDescriptor,
  type ModelServerHosts,
} from './model-server';
import type {
  EndpointDescription,
  ModelRef,
  ServingBackend,
  Variant,
  VariantDescription,
  VariantMetrics,
} from './types';
import {
  validServingName,
  validVariantName,
  variantName,
  variantPaths,
  type VariantPaths,
  type VariantRecord,
} from './variant-files';

export interface LocalServingDeps extends ModelServerHosts {
  store: BlobStore;
  gateway: GatewayAdmin;
  /** Folder holding `<endpoint>/<variant>/`, e.g. `<MLOPS_HOME>/serving`. */
  servingRoot: string;
  /** The Python that runs the model server (./model_server.py), e.g. `<repo>/.venv/bin/python`. */
  python: string;
  /** Time between SIGTERM and SIGKILL when stopping a server. @default 10_000 */
  killGraceMs?: number;
  /** Interval of readiness polls. @default 250 */
  pollMs?: number;
  /** The worker's environment, of which a server gets only the allow-listed part (lib/job-env.ts). @default process.env */
  workerEnv?: Readonly<Record<string, string | undefined>>;
  /** Secret values hidden in quoted server logs. @default secretValues(workerEnv) */
  secrets?: readonly string[];
}

export class LocalServingBackend implements ServingBackend {
  /** Deploys and undeploys of one variant in this process run one at a time. */
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: LocalServingDeps) {}

  async deployVariant(endpoint: string, model: ModelRef): Promise<Variant> {
    validServingName('endpoint', endpoint);
    validServingName('model.name', model?.name);
    try {
      validVersion('model.version', model.version);
    } catch (error) {
      throw new InvalidServingArgumentError('model.version', (error as Error).message.replace(/^[^:]*: /, ''));
    }
    const prefix = this.keyPrefix(model.artifactUri);
    const variant = validVariantName(variantName(model.name, model.version));
    return this.serialized(`${endpoint}/${variant}`, () => this.deploy(endpoint, variant, model, prefix));
  }

  async waitReady(endpoint: string, variant: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const paths = this.paths(endpoint, variant);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      signal?.throwIfAborted();
      const record = await readJson<VariantRecord>(paths.record);
      if (!record) throw new VariantNotFoundError(endpoint, variant);
      if (await isModelReady(upstreamOf(record), variant)) {
        // the gateway sends the model its columns in the order its training job recorded
        const inputs = modelInputs(readModelDescriptor(paths.model));
        await registerVariant(this.deps.gateway, record.endpoint, {
          name: variant,
          upstream: upstreamOf(record),
          modelName: variant,
          modelVersion: String(record.version),
          ...(inputs ? { inputs } : {}),
        });
        return;
      }
      if (!(await this.running(paths))) {
        const tail = await tailLines(paths.log, 20).catch(() => '');
        throw new VariantFailedError(endpoint, variant, redact(tail, this.secrets));
      }
      if (Date.now() >= deadline) throw new VariantNotReadyError(endpoint, variant, timeoutMs);
      await sleep(Math.min(this.deps.pollMs ?? 250, Math.max(0, deadline - Date.now())));
    }
  }

  async setTraffic(endpoint: string, weights: Record<string, number>): Promise<EndpointDescription> {
    await setGatewayTraffic(this.deps.gateway, endpoint, weights);
    return this.describe(endpoint);
  }

  readMetrics(endpoint: string, variant: string, windowSeconds: number): Promise<VariantMetrics> {
    return readGatewayMetrics(this.deps.gateway, endpoint, variant, windowSeconds);
  }

  async undeployVariant(endpoint: string, variant: string): Promise<void> {
    const paths = this.paths(endpoint, variant);
    await this.serialized(`${endpoint}/${variant}`, async () => {
      await unregisterVariant(this.deps.gateway, endpoint, variant);
      await this.stop(paths);
      await fs.rm(paths.dir, { recursive: true, force: true });
      // the endpoint's folder goes with its last variant
      await fs.rmdir(path.dirname(paths.dir)).catch(() => undefined);
    });
  }

  async describe(endpoint: string): Promise<EndpointDescription> {
    validServingName('endpoint', endpoint);
    const [current, records] = await Promise.all([this.deps.gateway.getEndpoint(endpoint), this.records(endpoint)]);
    if (!current && records.length === 0) throw new EndpointNotFoundError(endpoint);
    const byName = new Map(records.map((r) => [r.variant, r]));
    const rows: Omit<VariantDescription, 'ready'>[] = (current?.variants ?? []).map((v) => {
      const record = byName.get(v.name);
      const parsed = parseVariantName(v.name);
      return {
        name: v.name,
        model: record?.model ?? parsed?.model ?? v.modelName,
        version: record?.version ?? parsed?.version ?? 0,
        weight: current?.weights[v.name] ?? 0,
        upstream: v.upstream,
      };
    });
    for (const record of records) {
      if (rows.some((r) => r.name === record.variant)) continue;
      const { model, version } = record;
      rows.push({ name: record.variant, model, version, weight: 0, upstream: upstreamOf(record) });
    }
    const variants = await Promise.all(
      rows.map(async (r) => ({ ...r, ready: await isModelReady(r.upstream, r.name) })),
    );
    return { endpoint, variants, revision: current?.revision ?? 0 };
  }

  async listEndpoints(): Promise<string[]> {
    const registered = (await this.deps.gateway.listEndpoints()).map((e) => e.name);
    const local = await fs.readdir(this.deps.servingRoot).catch(() => [] as string[]);
    return [...new Set([...registered, ...local])].sort();
  }

  /** Starts the variant's server, or returns the running one (see the module comment). */
  private async deploy(
    endpoint: string,
    variant: string,
    model: ModelRef,
    prefix: string,
    attempt = 1,
  ): Promise<Variant> {
    const paths = this.paths(endpoint, variant);
    await fs.mkdir(path.dirname(paths.dir), { recursive: true });
    await fs.mkdir(paths.dir, { recursive: true });
    const existing = await readJson<VariantRecord>(paths.record);
    if (existing) {
      if (existing.artifactUri !== model.artifactUri) {
        throw new InvalidServingArgumentError(
          'model.artifactUri',
          `variant ${variant} of ${endpoint} is deployed from ${existing.artifactUri}, not ${model.artifactUri}`,
        );
      }
      if (await this.running(paths)) return toVariant(existing, true);
      const launcher = existing.launcher;
      const launching =
        launcher.pid !== process.pid &&
        !(await readJson<PidRecord>(paths.pid)) &&
        (await isSameProcess(launcher.pid, launcher.startTime));
      // another live worker is between writing variant.json and recording the pid: let the retry find it
      if (launching) throw new Error(`variant ${variant} of ${endpoint} is being started by process ${launcher.pid}`);
      await this.stop(paths);
    }
    const httpPort = await freePort(this.bindHost);
    const record: VariantRecord = {
      endpoint,
      variant,
      model: model.name,
      version: model.version,
      artifactUri: model.artifactUri,
      httpPort,
      upstreamHost: this.deps.advertiseHost ?? this.bindHost,
      createdAt: existing?.createdAt ?? new Date().toISOString(),
      launcher: { pid: process.pid, startTime: (await processStartTime(process.pid)) ?? null },
    };
    // a fresh variant is claimed by creating variant.json exclusively: of two workers deploying it, one launches
    if (!existing && !(await writeJsonExclusive(paths.record, record))) {
      // unreadable for 5 s: not a write in progress but a torn file; retrying the activity shows it again
      if (attempt >= 50) throw new Error(`${paths.record} is unreadable`);
      await sleep(100);
      return this.deploy(endpoint, variant, model, prefix, attempt + 1);
    }
    let pid: number;
    try {
      await fs.rm(paths.pid, { force: true });
      await writeJsonAtomic(paths.record, record);
      await this.prepareModel(paths, prefix);
      pid = await launchModelServer(
        this.deps.python,
        paths,
        { variant, port: httpPort, bindHost: this.bindHost },
        this.deps.workerEnv,
      );
    } catch (error) {
      // nothing runs: leave no half-made variant behind (describe would list it)
      await fs.rm(paths.dir, { recursive: true, force: true });
      await fs.rmdir(path.dirname(paths.dir)).catch(() => undefined);
      throw error;
    }
    await recordLaunchedPid(paths.pid, pid);
    return toVariant(record, false);
  }

  /** Downloads the model folder once (`.complete` marks a whole one) and checks its descriptor. */
  private async prepareModel(paths: VariantPaths, prefix: string): Promise<void> {
    const complete = await fs.access(paths.modelComplete).then(
      () => true,
      () => false,
    );
    if (!complete) {
      await fs.rm(paths.model, { recursive: true, force: true });
      try {
        await downloadModel(this.deps.store, prefix, paths.model);
      } catch (error) {
        if (error instanceof InvalidModelFolderError)
          throw new InvalidServingArgumentError('model.artifactUri', error.problem);
        throw error;
      }
      await fs.writeFile(paths.modelComplete, '');
    }
    readModelDescriptor(paths.model);
  }

  /** Stops the recorded server's process group, if it (or anything of its group) is still alive. */
  private async stop(paths: VariantPaths): Promise<void> {
    const rec = await readJson<PidRecord>(paths.pid);
    if (!rec) return;
    if ((await isSameProcess(rec.pid, rec.startTime)) || (await groupExists(rec.pgid))) {
      await killGroup(rec.pgid, this.deps.killGraceMs ?? 10_000);
    }
  }

  /** Whether the recorded server is still the process that was launched. */
  private async running(paths: VariantPaths): Promise<boolean> {
    const rec = await readJson<PidRecord>(paths.pid);
    return rec !== undefined && (await isSameProcess(rec.pid, rec.startTime));
  }

  private async records(endpoint: string): Promise<VariantRecord[]> {
    const dir = path.join(this.deps.servingRoot, endpoint);
    const names = await fs.readdir(dir).catch(() => [] as string[]);
    const records = await Promise.all(
      names.map((name) => readJson<VariantRecord>(variantPaths(this.deps.servingRoot, endpoint, name).record)),
    );
    return records.filter((r): r is VariantRecord => r !== undefined);
  }

  private paths(endpoint: string, variant: string): VariantPaths {
    return variantPaths(this.deps.servingRoot, validServingName('endpoint', endpoint), validVariantName(variant));
  }

  private keyPrefix(artifactUri: unknown): string {
    try {
      return modelKeyPrefix(artifactUri as string, this.deps.store.uri);
    } catch (error) {
      if (error instanceof InvalidModelFolderError)
        throw new InvalidServingArgumentError('model.artifactUri', error.problem);
      throw error;
    }
  }

  private get bindHost(): string {
    return this.deps.bindHost ?? '127.0.0.1';
  }

  private get secrets(): readonly string[] {
    return this.deps.secrets ?? secretValues(this.deps.workerEnv ?? process.env);
  }

  private async serialized<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(work);
    this.locks.set(key, next);
    try {
      return await next;
    } finally {
      if (this.locks.get(key) === next) this.locks.delete(key);
    }
  }
}

function upstreamOf(record: VariantRecord): string {
  const host = record.upstreamHost ?? '127.0.0.1';
  return `http://${host.includes(':') ? `[${host}]` : host}:${record.httpPort}`;
}

function toVariant(record: VariantRecord, attached: boolean): Variant {
  const { endpoint, variant: name, model, version, artifactUri } = record;
  return { endpoint, name, model, version, artifactUri, upstream: upstreamOf(record), attached };
}

/** `<model>-v<n>` → its parts. */
function parseVariantName(name: string): { model: string; version: number } | undefined {
  const match = /^(.+)-v(\d+)$/.exec(name);
  return match ? { model: match[1]!, version: Number(match[2]) } : undefined;
}
