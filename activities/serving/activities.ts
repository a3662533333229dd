/**
 * Serving activities: thin wrappers over the worker's `ServingBackend`, one object argument each.
 * Bad arguments, unknown endpoints or variants, a server that will not start and a worker without
 * a gateway are non-retryable failures (`ServingFailureType`); gateway and store hiccups are retried.
 */
import { cancellationSignal, heartbeat } from '@temporalio/activity';
import { asActivity as asCatalogued } from '../failures';
import { GatewayRejectedError, ServingUnavailableError } from '../../common/failures';
import type { EndpointDescription, ModelRef, ServingBackend, Variant, VariantMetrics } from './types';

export interface DeployVariantInput {
  endpoint: string;
  model: ModelRef;
}

export interface VariantInput {
  endpoint: string;
  variant: string;
}

export interface WaitVariantReadyInput extends VariantInput {
  /** @default 300_000 (5 minutes) */
  timeoutMs?: number;
}

export interface SetTrafficInput {
  endpoint: string;
  /** Integer percentages summing to 100; deployed variants not named get 0. */
  weights: Record<string, number>;
}

export interface ReadVariantMetricsInput extends VariantInput {
  windowSeconds: number;
}

/**
 * Runs the work as an activity: serving failures leave as their type (../failures.ts), and a
 * gateway answer in 4xx (a refused token or body: retrying sends the same) as `GatewayRejected`,
 * except 409 and 429, which a retry may get past.
 */
async function asActivity<T>(work: () => Promise<T>): Promise<T> {
  return asCatalogued(async () => {
    try {
      return await work();
    } catch (error) {
      const status = (error as { status?: unknown }).status;
      if (typeof status === 'number' && status >= 400 && status < 500 && status !== 409 && status !== 429) {
        throw new GatewayRejectedError(error as Error & { status: number });
      }
      throw error;
    }
  });
}

/** Heartbeat interval of `waitVariantReady` (keep well under its heartbeat timeout). */
const HEARTBEAT_MS = 2_000;

/** Builds the serving activities on `deps.servingBackend` (absent: each fails with `ServingUnavailable`). */
export function createServingActivities(deps: { servingBackend?: ServingBackend }) {
  const backend = (): ServingBackend => {
    if (!deps.servingBackend) throw new ServingUnavailableError();
    return deps.servingBackend;
  };
  return {
    /** Deploys a model version as variant `<model>-v<version>` of the endpoint (idempotent: re-attaches). */
    async deployVariant(input: DeployVariantInput): Promise<Variant> {
      return asActivity(() => backend().deployVariant(input.endpoint, input.model));
    },
    /** Waits until the variant serves, then registers it with the gateway; heartbeats meanwhile. */
    async waitVariantReady(input: WaitVariantReadyInput): Promise<void> {
      return asActivity(async () => {
        const serving = backend();
        const started = Date.now();
        const beat = () => heartbeat({ waitedMs: Date.now() - started });
        beat();
        const timer = setInterval(beat, HEARTBEAT_MS);
        try {
          await serving.waitReady(input.endpoint, input.variant, input.timeoutMs ?? 300_000, cancellationSignal());
        } finally {
          clearInterval(timer);
        }
      });
    },
    /** Sets the endpoint's traffic split; returns the endpoint as it then is. */
    async setTraffic(input: SetTrafficInput): Promise<EndpointDescription> {
      return asActivity(() => backend().setTraffic(input.endpoint, input.weights));
    },
    /** The variant's requests, error rate, p50/p95 latency and sampled predictions over the window. */
    async readVariantMetrics(input: ReadVariantMetricsInput): Promise<VariantMetrics> {
      return asActivity(() => backend().readMetrics(input.endpoint, input.variant, input.windowSeconds));
    },
    /** Removes the variant from the gateway and stops its server (idempotent). */
    async undeployVariant(input: VariantInput): Promise<void> {
      return asActivity(() => backend().undeployVariant(input.endpoint, input.variant));
    },
    /** The endpoint's variants, weights, versions and readiness. */
    async describeEndpoint(input: { endpoint: string }): Promise<EndpointDescription> {
      return asActivity(() => backend().describe(input.endpoint));
    },
  };
}

export type ServingActivities = ReturnType<typeof createServingActivities>;
