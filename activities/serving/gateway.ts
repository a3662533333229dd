/**
 * What the serving backend needs of the inference gateway's admin API (gateway/): the subset
 * of `GatewayAdminClient` it calls, typed structurally so tests can pass an in-memory stand-in.
 * Every change goes through `putEndpoint` / `setWeights` with the revision it read (`expectedRevision`);
 * a 409 means someone changed the endpoint meanwhile: read again and retry (`withRevisionRetry`).
 */
import type { CaptureSettings, EndpointMetrics, EndpointState, VariantSpec } from '../../common/schemas/gateway-api';

/** One variant as the gateway routes to it. */
export type GatewayVariant = VariantSpec;

/** An endpoint's state in the gateway, as far as serving reads it. */
export type GatewayEndpoint = Pick<EndpointState, 'name' | 'revision' | 'variants' | 'weights'> & {
  /** Which requests are captured and how they are batched (kept as is when variants change). */
  capture?: CaptureSettings;
};

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
  metrics(name: string, windowSeconds: number): Promise<EndpointMetrics>;
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
