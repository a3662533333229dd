/**
 * What the serving backend needs of the inference gateway's admin API (gateway/): the subset
 * of `GatewayAdminClient` it calls, typed structurally so tests can pass an in-memory stand-in.
 * Every change goes through `putEndpoint` / `setWeights` with the revision it read (`expectedRevision`);
 * a 409 means someone changed the endpoint meanwhile: read again and retry (`withRevisionRetry`).
 */

/** One variant as the gateway routes to it. */
export interface GatewayVariant {
  name: string;
  /** `http://127.0.0.1:<port>` */
  upstream: string;
  modelName: string;
  modelVersion?: string;
  /** The model's input columns in its order (its `model-settings.json` `inputs`), which the gateway sends it. */
  inputs?: string[];
}

/** An endpoint's state in the gateway. */
export interface GatewayEndpoint {
  name: string;
  revision: number;
  variants: GatewayVariant[];
  weights: Record<string, number>;
  /** Which requests are captured and how they are batched (kept as is when variants change). */
  capture?: { sampleRate: number; maxBatch: number; flushSeconds: number };
}

/** Per-variant counters over a window, as the gateway's metrics call returns them. */
export interface GatewayVariantMetrics {
  requests: number;
  errors: number;
  errorRate: number;
  latencyMs: { p50: number; p95: number; p99: number };
  predictions: number[];
}

export interface GatewayAdmin {
  listEndpoints(): Promise<GatewayEndpoint[]>;
  /** `undefined` when the endpoint does not exist. */
  getEndpoint(name: string): Promise<GatewayEndpoint | undefined>;
  /** Throws an error with `status` 409 when `expectedRevision` is stale. */
  putEndpoint(
    name: string,
    body: {
      variants: GatewayVariant[];
      weights: Record<string, number>;
      capture?: GatewayEndpoint['capture'];
      expectedRevision?: number;
    },
  ): Promise<GatewayEndpoint>;
  setWeights(name: string, weights: Record<string, number>, expectedRevision?: number): Promise<GatewayEndpoint>;
  /** Resolves `false` when there was no such endpoint. */
  deleteEndpoint(name: string): Promise<unknown>;
  metrics(
    name: string,
    windowSeconds: number,
  ): Promise<{ window: number; variants: Record<string, GatewayVariantMetrics> }>;
}

/** Attempts of a read-modify-write before giving up (each lost race is someone else's change). */
const REVISION_ATTEMPTS = 10;

/** Whether `error` is the gateway's answer to a stale `expectedRevision` (HTTP 409). */
export function isRevisionConflict(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { status?: unknown; statusCode?: unknown; code?: unknown };
  return e.status === 409 || e.statusCode === 409 || e.code === 409 || e.code === 'Conflict';
}

/** Runs `attempt` (which reads, then writes with the revision it read) again while it loses a revision race. */
export async function withRevisionRetry<T>(attempt: () => Promise<T>): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isRevisionConflict(error) || i >= REVISION_ATTEMPTS) throw error;
      await new Promise((r) => setTimeout(r, 20 * i));
    }
  }
}
