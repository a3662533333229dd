/**
 * Serving backends: one interface (`ServingBackend`) for putting model versions behind an endpoint
 * that speaks the Open Inference Protocol v2, splitting its traffic by weight and reading
 * per-variant metrics. A variant is one model version deployed under an endpoint, named
 * `<model>-v<version>`.
 */

/**
 * Where endpoints are served: `local` (one model server per variant behind the project's gateway), or
 * `kserve` (one KServe InferenceService per variant, behind the same gateway).
 */
export type ServingBackendName = 'local' | 'kserve';

/** The model version to deploy; `artifactUri` is the store URI of its model folder (registry `artifactUri`). */
export interface ModelRef {
  name: string;
  version: number;
  artifactUri: string;
}

/** One deployed variant: what `deployVariant` returns (serializable: activities pass it on). */
export interface Variant {
  endpoint: string;
  /** `<model>-v<version>`. */
  name: string;
  model: string;
  version: number;
  artifactUri: string;
  /** Base URL of the variant's server, e.g. `http://127.0.0.1:41234`. */
  upstream: string;
  /** False when this call started the server; true when it found it running (a retry, a restarted worker). */
  attached: boolean;
}

/** A variant's traffic over the last `windowSeconds`, as the gateway counted it. */
export interface VariantMetrics {
  requests: number;
  /** Errors / requests, 0 when there were no requests. */
  errorRate: number;
  latencyMs: { p50: number; p95: number };
  /** Sampled predictions (e.g. churn scores), for distribution-shift analysis. */
  predictions: number[];
}

/** One variant as `describe` reports it. */
export interface VariantDescription {
  name: string;
  model: string;
  version: number;
  /** Percent of the endpoint's traffic (0 when deployed but not registered with the gateway yet). */
  weight: number;
  upstream: string;
  ready: boolean;
}

/** An endpoint's variants, their weights and readiness; `revision` is the gateway's (0 if unregistered). */
export interface EndpointDescription {
  endpoint: string;
  variants: VariantDescription[];
  revision: number;
}

export interface ServingBackend {
  /**
   * Deploys `model` under `endpoint`, or finds it deployed (same endpoint and version → same variant,
   * `attached: true`). The variant takes no traffic until `waitReady` has registered it.
   */
  deployVariant(endpoint: string, model: ModelRef): Promise<Variant>;
  /**
   * Resolves when the variant serves, then registers it with the gateway (weight 0, or 100 for the
   * endpoint's first variant). Throws `VariantNotReadyError` after `timeoutMs`, `VariantFailedError`
   * if its server exited.
   */
  waitReady(endpoint: string, variant: string, timeoutMs: number, signal?: AbortSignal): Promise<void>;
  /** Sets the traffic split: integer percentages summing to 100 over deployed variants (others get 0). */
  setTraffic(endpoint: string, weights: Record<string, number>): Promise<EndpointDescription>;
  /** The variant's requests, error rate, latency and predictions over the last `windowSeconds`. */
  readMetrics(endpoint: string, variant: string, windowSeconds: number): Promise<VariantMetrics>;
  /** Removes the variant from the gateway and stops its server (idempotent: an unknown variant is a no-op). */
  undeployVariant(endpoint: string, variant: string): Promise<void>;
  /** The endpoint's variants with weights, versions and readiness; throws `EndpointNotFoundError` if unknown. */
  describe(endpoint: string): Promise<EndpointDescription>;
  /** Every endpoint the backend knows (registered with the gateway, or with a deployed variant). */
  listEndpoints(): Promise<string[]>;
}
