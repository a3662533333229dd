/**
 * `KServeServingBackend`: for clusters with KServe, each variant is an InferenceService
 * (serving.kserve.io/v1beta1) in one namespace, running the project's ServingRuntime
 * (infra/k8s/kserve/) on the model folder its storage initializer fetches from the store by URI.
 * The project's gateway stays in front: it routes to the InferenceService's URL, splits traffic and
 * counts per-variant metrics, as with the local backend.
 *
 * - deploy: creates the InferenceService named for the endpoint and variant (./kserve-names.ts), or
 *   finds it (same name and model URI → `attached: true`; a retried activity or a second worker).
 * - waitReady: polls its status until KServe's controller reports `Ready=True` with a URL, then
 *   registers the variant with the gateway at that URL (./registration.ts). A terminal failure (a
 *   model that does not load, no runtime for it) is a `VariantFailedError` with KServe's reason.
 * - undeploy: removes the variant from the gateway (refused while it takes traffic), then deletes
 *   the InferenceService; both steps are no-ops when already done.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { validVersion } from '../registry/validate';
import { readJson } from '../storage/json';
import type { BlobStore } from '../storage/types';
import { InvalidModelFolderError, modelKeyPrefix } from '../models/model-files';
import {
  checkLegacyModelSettings,
  checkModelDescriptor,
  LEGACY_MODEL_SETTINGS_FILE,
  MODEL_DESCRIPTOR_FILE,
} from '../../common/schemas/model-descriptor';
import {
  EndpointNotFoundError,
  InvalidServingArgumentError,
  VariantFailedError,
  VariantNotFoundError,
  VariantNotReadyError,
} from '../../common/failures';
import type { GatewayAdmin } from './gateway';
import { InferenceServices, KSERVE_GROUP, KSERVE_VERSION, type InferenceService, type KubeAccess } from './kserve-api';
import {
  ANNOTATIONS,
  LABELS,
  MANAGED_BY,
  endpointSelector,
  inferenceServiceName,
  labelValue,
  terminalFailure,
  upstreamOf,
} from './kserve-names';
import { registerVariant, unregisterVariant } from './registration';
import { readGatewayMetrics, setGatewayTraffic } from './traffic';
import type {
  EndpointDescription,
  ModelRef,
  ServingBackend,
  Variant,
  VariantDescription,
  VariantMetrics,
} from './types';
import { validServingName, validVariantName, variantName } from './variant-files';

/** The ServingRuntime of infra/k8s/kserve/serving-runtime.yaml. */
export const DEFAULT_KSERVE_RUNTIME = 'temporal-mlops-sklearn';

export interface KServeServingDeps {
  gateway: GatewayAdmin;
  /** The Kubernetes API and the namespace of the InferenceServices. */
  kube: KubeAccess;
  /** The ServingRuntime the InferenceServices name. @default DEFAULT_KSERVE_RUNTIME */
  runtime?: string;
  /** The service account the predictor runs as (the one whose secret gives the storage initializer the store). */
  serviceAccount?: string;
  /** The store the models are in, to read a model's input columns for the gateway; absent: none are sent. */
  store?: BlobStore;
  /** Interval of status polls. @default 1000 */
  pollMs?: number;
}

/** Schemes KServe's storage initializer downloads from (a filesystem store's file:// is not one). */
const STORAGE_SCHEMES = ['s3:', 'gs:', 'https:', 'http:', 'pvc:', 'hdfs:', 'webhdfs:', 'oci:'];

export class KServeServingBackend implements ServingBackend {
  private readonly isvcs: InferenceServices;

  constructor(private readonly deps: KServeServingDeps) {
    this.isvcs = new InferenceServices(deps.kube);
  }

  async deployVariant(endpoint: string, model: ModelRef): Promise<Variant> {
    validServingName('endpoint', endpoint);
    validServingName('model.name', model?.name);
    try {
      validVersion('model.version', model.version);
    } catch (error) {
      throw new InvalidServingArgumentError('model.version', (error as Error).message.replace(/^[^:]*: /, ''));
    }
    const storageUri = storageUriOf(model.artifactUri);
    const variant = validVariantName(variantName(model.name, model.version));
    const name = inferenceServiceName(endpoint, variant);
    const found = await this.isvcs.get(name);
    if (found) return this.attach(found, endpoint, variant, model);
    const created = await this.isvcs.create(await this.manifest(name, endpoint, variant, model, storageUri));
    if (created) return this.toVariant(created, endpoint, variant, model, false);
    // created meanwhile by another worker (or an earlier attempt whose answer was lost)
    const raced = await this.isvcs.get(name);
    if (!raced) throw new Error(`InferenceService ${name} was created and deleted meanwhile`);
    return this.attach(raced, endpoint, variant, model);
  }

  async waitReady(endpoint: string, variant: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    validServingName('endpoint', endpoint);
    validVariantName(variant);
    const name = inferenceServiceName(endpoint, variant);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      signal?.throwIfAborted();
      const isvc = await this.isvcs.get(name);
      if (!isvc || isvc.metadata.deletionTimestamp) throw new VariantNotFoundError(endpoint, variant);
      const failure = terminalFailure(isvc);
      if (failure) throw new VariantFailedError(endpoint, variant, `InferenceService ${name}: ${failure}`);
      const ready = isvc.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
      const upstream = upstreamOf(isvc);
      if (ready && upstream) {
        const inputs = await this.modelInputs(isvc);
        const version = isvc.metadata.labels?.[LABELS.version];
        await registerVariant(this.deps.gateway, endpoint, {
          name: variant,
          upstream,
          // the runtime serves the model under the InferenceService's name (`--model_name={{.Name}}`)
          modelName: name,
          ...(version ? { modelVersion: version } : {}),
          ...(inputs ? { inputs } : {}),
        });
        return;
      }
      if (Date.now() >= deadline) throw new VariantNotReadyError(endpoint, variant, timeoutMs);
      await sleep(Math.min(this.deps.pollMs ?? 1000, Math.max(0, deadline - Date.now())), undefined, { signal });
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
    validServingName('endpoint', endpoint);
    validVariantName(variant);
    await unregisterVariant(this.deps.gateway, endpoint, variant);
    await this.isvcs.delete(inferenceServiceName(endpoint, variant));
  }

  async describe(endpoint: string): Promise<EndpointDescription> {
    validServingName('endpoint', endpoint);
    const [current, isvcs] = await Promise.all([this.deps.gateway.getEndpoint(endpoint), this.ofEndpoint(endpoint)]);
    if (!current && isvcs.length === 0) throw new EndpointNotFoundError(endpoint);
    const byVariant = new Map(isvcs.map((i) => [i.metadata.annotations?.[ANNOTATIONS.variant], i]));
    const rows: VariantDescription[] = (current?.variants ?? []).map((v) => {
      const isvc = byVariant.get(v.name);
      return {
        name: v.name,
        model: isvc?.metadata.annotations?.[ANNOTATIONS.model] ?? v.modelName,
        version: Number(isvc?.metadata.labels?.[LABELS.version] ?? v.modelVersion ?? 0) || 0,
        weight: current?.weights[v.name] ?? 0,
        upstream: v.upstream,
        ready: isvc ? isReady(isvc) : false,
      };
    });
    for (const isvc of isvcs) {
      const name = isvc.metadata.annotations?.[ANNOTATIONS.variant];
      if (!name || rows.some((r) => r.name === name)) continue;
      rows.push({
        name,
        model: isvc.metadata.annotations?.[ANNOTATIONS.model] ?? '',
        version: Number(isvc.metadata.labels?.[LABELS.version] ?? 0) || 0,
        weight: 0,
        upstream: upstreamOf(isvc) ?? '',
        ready: isReady(isvc),
      });
    }
    return { endpoint, variants: rows, revision: current?.revision ?? 0 };
  }

  async listEndpoints(): Promise<string[]> {
    const [registered, isvcs] = await Promise.all([
      this.deps.gateway.listEndpoints(),
      this.isvcs.list(`${LABELS.managedBy}=${MANAGED_BY}`),
    ]);
    const deployed = isvcs.map((i) => i.metadata.annotations?.[ANNOTATIONS.endpoint]).filter((e) => e !== undefined);
    return [...new Set([...registered.map((e) => e.name), ...deployed])].sort();
  }

  private async manifest(
    name: string,
    endpoint: string,
    variant: string,
    model: ModelRef,
    storageUri: string,
  ): Promise<InferenceService> {
    const labels: Record<string, string> = { [LABELS.managedBy]: MANAGED_BY, [LABELS.version]: String(model.version) };
    for (const [key, value] of [
      [LABELS.endpoint, endpoint],
      [LABELS.model, model.name],
    ] as const) {
      const safe = labelValue(value);
      if (safe) labels[key] = safe;
    }
    return {
      apiVersion: `${KSERVE_GROUP}/${KSERVE_VERSION}`,
      kind: 'InferenceService',
      metadata: {
        name,
        namespace: await this.isvcs.namespace(),
        labels,
        // the exact names (labels cannot hold every name) and the model's URI, which a redeploy must match
        annotations: {
          [ANNOTATIONS.endpoint]: endpoint,
          [ANNOTATIONS.variant]: variant,
          [ANNOTATIONS.model]: model.name,
          [ANNOTATIONS.artifactUri]: model.artifactUri,
        },
      },
      spec: {
        predictor: {
          ...(this.deps.serviceAccount ? { serviceAccountName: this.deps.serviceAccount } : {}),
          model: {
            modelFormat: { name: 'sklearn' },
            runtime: this.deps.runtime ?? DEFAULT_KSERVE_RUNTIME,
            protocolVersion: 'v2',
            storageUri,
          },
        },
      },
    };
  }

  private attach(isvc: InferenceService, endpoint: string, variant: string, model: ModelRef): Variant {
    const name = `${isvc.metadata.namespace ?? ''}/${isvc.metadata.name}`;
    const deployedFrom = isvc.metadata.annotations?.[ANNOTATIONS.artifactUri];
    if (isvc.metadata.annotations?.[ANNOTATIONS.variant] !== variant) {
      throw new InvalidServingArgumentError(
        'endpoint',
        `InferenceService ${name} exists and is not variant ${variant} of ${endpoint}`,
      );
    }
    if (deployedFrom !== model.artifactUri) {
      throw new InvalidServingArgumentError(
        'model.artifactUri',
        `variant ${variant} of ${endpoint} is deployed from ${deployedFrom ?? 'another model'}, not ${model.artifactUri}`,
      );
    }
    // being deleted (an undeploy a moment ago): a retry creates it again
    if (isvc.metadata.deletionTimestamp) {
      throw new Error(`InferenceService ${name} is being deleted; deploy again once it is gone`);
    }
    return this.toVariant(isvc, endpoint, variant, model, true);
  }

  private toVariant(isvc: InferenceService, endpoint: string, variant: string, model: ModelRef, attached: boolean) {
    // before KServe reports its URL, the cluster address its controller gives an InferenceService
    const upstream =
      upstreamOf(isvc) ?? `http://${isvc.metadata.name}.${isvc.metadata.namespace ?? 'default'}.svc.cluster.local`;
    return {
      endpoint,
      name: variant,
      model: model.name,
      version: model.version,
      artifactUri: model.artifactUri,
      upstream,
      attached,
    } satisfies Variant;
  }

  private async ofEndpoint(endpoint: string): Promise<InferenceService[]> {
    const all = await this.isvcs.list(endpointSelector(endpoint));
    return all.filter((i) => i.metadata.annotations?.[ANNOTATIONS.endpoint] === endpoint);
  }

  /** The model's input columns in order, from its folder in the store (the descriptor the training job wrote). */
  private async modelInputs(isvc: InferenceService): Promise<string[] | undefined> {
    const { store } = this.deps;
    const uri = isvc.metadata.annotations?.[ANNOTATIONS.artifactUri];
    if (!store || !uri) return undefined;
    let prefix: string;
    try {
      prefix = modelKeyPrefix(uri, store.uri);
    } catch (error) {
      if (error instanceof InvalidModelFolderError) return undefined;
      throw error;
    }
    // the descriptor the training job wrote, else a legacy model-settings.json (common/schemas/model-descriptor.ts)
    for (const [file, check] of [
      [MODEL_DESCRIPTOR_FILE, checkModelDescriptor],
      [LEGACY_MODEL_SETTINGS_FILE, checkLegacyModelSettings],
    ] as const) {
      const raw = await readJson<unknown>(store, `${prefix}/${file}`);
      if (raw === undefined) continue;
      const checked = check(raw);
      if (!checked.ok) throw new InvalidServingArgumentError('model.artifactUri', `${file}: ${checked.error}`);
      const names = checked.value.inputs.map((i) => i.name);
      return names.length > 0 ? names : undefined;
    }
    return undefined;
  }
}

function isReady(isvc: InferenceService): boolean {
  return isvc.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' && !!upstreamOf(isvc);
}

/** The model's URI as the InferenceService's `storageUri`: one KServe's storage initializer can fetch. */
function storageUriOf(artifactUri: unknown): string {
  if (typeof artifactUri !== 'string' || artifactUri === '') {
    throw new InvalidServingArgumentError('model.artifactUri', 'must be the store URI of the model folder');
  }
  const scheme = /^([a-z][a-z0-9+.-]*:)\/\//i.exec(artifactUri)?.[1]?.toLowerCase();
  if (!scheme || !STORAGE_SCHEMES.includes(scheme)) {
    throw new InvalidServingArgumentError(
      'model.artifactUri',
      `KServe cannot fetch ${JSON.stringify(artifactUri)}: the kserve backend needs models in an object store it reads (s3://, gs://, https://), so set MLOPS_STORE to s3://<bucket>/<prefix>`,
    );
  }
  return artifactUri;
}
