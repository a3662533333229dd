/**
 * The Kubernetes API as the kserve backend uses it: the InferenceServices of one namespace
 * (serving.kserve.io/v1beta1), through `@kubernetes/client-node`. Credentials come from a kubeconfig
 * file (MLOPS_KUBECONFIG, else KUBECONFIG) or, in a pod, its service account. Every failure names
 * the API server and where its credentials came from, never a token.
 */
import fs from 'node:fs';
import type * as k8s from '@kubernetes/client-node' with { 'resolution-mode': 'import' };

export const KSERVE_GROUP = 'serving.kserve.io';
export const KSERVE_VERSION = 'v1beta1';
const PLURAL = 'inferenceservices';

/** One condition of an InferenceService's status, as KServe's controller writes it. */
export interface IsvcCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown' | string;
  reason?: string;
  message?: string;
}

/** The fields of an InferenceService the backend writes and reads. */
export interface InferenceService {
  apiVersion: string;
  kind: 'InferenceService';
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    creationTimestamp?: string;
    deletionTimestamp?: string;
  };
  spec: {
    predictor: {
      serviceAccountName?: string;
      model: {
        modelFormat: { name: string; version?: string };
        runtime?: string;
        storageUri?: string;
        protocolVersion?: string;
      };
    };
  };
  status?: {
    url?: string;
    address?: { url?: string };
    conditions?: IsvcCondition[];
    modelStatus?: {
      transitionStatus?: string;
      lastFailureInfo?: { reason?: string; message?: string };
    };
  };
}

/** Where the API and its credentials come from: a kubeconfig file, or the pod's service account. */
export interface KubeAccess {
  /** A kubeconfig file; absent: the in-cluster service account. */
  kubeconfig?: string;
  /** The setting that named it, for messages (`MLOPS_KUBECONFIG`, `KUBECONFIG`). @default 'MLOPS_KUBECONFIG' */
  setting?: string;
  /** Absent: the pod's namespace (in a cluster), else the kubeconfig context's, else `default`. */
  namespace?: string;
}

/** Thrown when the kserve backend's settings cannot give a Kubernetes API (no kubeconfig, no service account). */
export class KubeSettingsError extends Error {
  override readonly name = 'KubeSettingsError';
  constructor(
    readonly setting: string,
    problem: string,
  ) {
    super(`${setting}: ${problem}`);
  }
}

/** Thrown when the Kubernetes API cannot be reached or refuses a call; retryable unless it refused the credentials. */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  constructor(
    message: string,
    /** The HTTP status, when the API answered. */
    readonly status?: number,
  ) {
    super(message);
  }
}

let library: Promise<typeof k8s> | undefined;
/** The client library is an ES module: loaded on first use. */
function kubeLibrary(): Promise<typeof k8s> {
  library ??= import('@kubernetes/client-node');
  return library;
}

/** Checks, without I/O beyond a stat, that `access` can give a kubeconfig; throws `KubeSettingsError` naming the setting. */
export function checkKubeAccess(access: KubeAccess, env: Readonly<Record<string, string | undefined>> = process.env) {
  const setting = access.setting ?? 'MLOPS_KUBECONFIG';
  if (access.kubeconfig !== undefined) {
    let isFile = false;
    try {
      isFile = fs.statSync(access.kubeconfig).isFile();
    } catch {
      // reported below
    }
    if (!isFile) throw new KubeSettingsError(setting, `${access.kubeconfig} is not a readable kubeconfig file`);
    return;
  }
  if (!env.KUBERNETES_SERVICE_HOST) {
    throw new KubeSettingsError(
      setting,
      'the kserve serving backend needs a Kubernetes API: set MLOPS_KUBECONFIG (or KUBECONFIG) to a kubeconfig file, or run the worker in a pod with a service account token',
    );
  }
}

/** The InferenceServices of one namespace. */
export class InferenceServices {
  private api: Promise<Connection> | undefined;

  constructor(private readonly access: KubeAccess) {}

  /** The namespace the InferenceServices live in (read from the kubeconfig when not given). */
  async namespace(): Promise<string> {
    return (await this.connect()).namespace;
  }

  /** The InferenceService `name`, or `undefined` when there is none. */
  async get(name: string): Promise<InferenceService | undefined> {
    try {
      return (await this.call('read', name, (o, ref) =>
        o.getNamespacedCustomObject({ ...ref, name }),
      )) as InferenceService;
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  /** Creates `body`; `undefined` when one of that name exists already (the caller reads it). */
  async create(body: InferenceService): Promise<InferenceService | undefined> {
    try {
      return (await this.call('create', body.metadata.name, (o, ref) =>
        o.createNamespacedCustomObject({
          ...ref,
          body: { ...body, metadata: { ...body.metadata, namespace: ref.namespace } },
        }),
      )) as InferenceService;
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 409) return undefined;
      throw error;
    }
  }

  /** Deletes `name`; false when there was none. */
  async delete(name: string): Promise<boolean> {
    try {
      await this.call('delete', name, (o, ref) =>
        o.deleteNamespacedCustomObject({ ...ref, name, propagationPolicy: 'Background' }),
      );
      return true;
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) return false;
      throw error;
    }
  }

  /** The InferenceServices matching `labelSelector`. */
  async list(labelSelector: string): Promise<InferenceService[]> {
    const list = (await this.call('list', undefined, (o, ref) =>
      o.listNamespacedCustomObject({ ...ref, labelSelector }),
    )) as { items?: InferenceService[] };
    return list.items ?? [];
  }

  /** Runs one API call, turning what fails into a `KubeApiError` that names the server and the setting. */
  private async call(
    verb: string,
    name: string | undefined,
    run: (objects: k8s.CustomObjectsApi, ref: ResourceRef) => Promise<unknown>,
  ): Promise<unknown> {
    const { objects, server, namespace } = await this.connect();
    const what = `${verb} InferenceService ${name ? `${namespace}/${name}` : `in ${namespace}`}`;
    try {
      return await run(objects, { group: KSERVE_GROUP, version: KSERVE_VERSION, namespace, plural: PLURAL });
    } catch (error) {
      const status = statusOf(error);
      if (status === undefined) {
        throw new KubeApiError(
          `${what}: the Kubernetes API at ${server} (${this.source}) is unreachable: ${reasonOf(error)}`,
        );
      }
      if (status === 401 || status === 403) {
        throw new KubeApiError(
          `${what}: the Kubernetes API at ${server} refused the credentials of ${this.source} (HTTP ${status}${apiMessage(error)})`,
          status,
        );
      }
      throw new KubeApiError(`${what}: HTTP ${status}${apiMessage(error)}`, status);
    }
  }

  private get source(): string {
    const { kubeconfig, setting = 'MLOPS_KUBECONFIG' } = this.access;
    return kubeconfig === undefined ? "the pod's service account" : `${setting}=${kubeconfig}`;
  }

  private connect(): Promise<Connection> {
    this.api ??= (async () => {
      checkKubeAccess(this.access);
      const lib = await kubeLibrary();
      const config = new lib.KubeConfig();
      const setting = this.access.setting ?? 'MLOPS_KUBECONFIG';
      try {
        if (this.access.kubeconfig === undefined) config.loadFromCluster();
        else config.loadFromFile(this.access.kubeconfig);
      } catch (error) {
        throw new KubeSettingsError(setting, `not a usable kubeconfig: ${reasonOf(error)}`);
      }
      const server = config.getCurrentCluster()?.server;
      if (!server) throw new KubeSettingsError(setting, 'its current context names no cluster server');
      const namespace =
        this.access.namespace ?? config.getContextObject(config.getCurrentContext())?.namespace ?? 'default';
      return { objects: config.makeApiClient(lib.CustomObjectsApi), server, namespace };
    })();
    // a failed start is not kept: a fixed kubeconfig is read on the next call
    this.api.catch(() => (this.api = undefined));
    return this.api;
  }
}

interface Connection {
  objects: k8s.CustomObjectsApi;
  server: string;
  namespace: string;
}

interface ResourceRef {
  group: string;
  version: string;
  namespace: string;
  plural: string;
}

function statusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' && code >= 100 && code < 600 ? code : undefined;
}

/** The API's own `message` from a Status body, if any (never headers, which could hold a token). */
function apiMessage(error: unknown): string {
  const body = (error as { body?: unknown }).body;
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return '';
    }
  }
  const message = (parsed as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' && message ? `: ${message}` : '';
}

/** A connection failure's code or first line, e.g. `ECONNREFUSED`. */
function reasonOf(error: unknown): string {
  const e = error as { code?: unknown; cause?: { code?: unknown }; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : typeof e.cause?.code === 'string' ? e.cause.code : undefined;
  const message = typeof e.message === 'string' ? e.message.split('\n')[0] : String(error);
  return code && !message?.includes(code) ? `${code} (${message})` : (message ?? String(error));
}
