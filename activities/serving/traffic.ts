/**
 * What every serving backend does the same way, through the gateway: set an endpoint's traffic split
 * (a read-modify-write on its revision) and read one variant's traffic (summed over the gateway's
 * replicas when the admin client has the store). Only where the model servers run differs.
 */
import { EndpointNotFoundError, InvalidServingArgumentError, VariantNotFoundError } from '../../common/failures';
import { withRevisionRetry, type GatewayAdmin } from './gateway';
import type { VariantMetrics } from './types';
import { validServingName, validVariantName } from './variant-files';
import { validateWeights } from './weights';

/** Sets `weights` (integer percentages summing to 100; deployed variants not named get 0) on `endpoint`. */
export async function setGatewayTraffic(
  gateway: GatewayAdmin,
  endpoint: string,
  weights: Record<string, number>,
): Promise<void> {
  validServingName('endpoint', endpoint);
  await withRevisionRetry(async () => {
    const current = await gateway.getEndpoint(endpoint);
    if (!current) throw new EndpointNotFoundError(endpoint);
    const complete = validateWeights(
      weights,
      current.variants.map((v) => v.name),
    );
    return gateway.setWeights(endpoint, complete, current.revision);
  });
}

/** The variant's requests, error rate, latency and predictions over the last `windowSeconds`, as the gateway counted them. */
export async function readGatewayMetrics(
  gateway: GatewayAdmin,
  endpoint: string,
  variant: string,
  windowSeconds: number,
): Promise<VariantMetrics> {
  validServingName('endpoint', endpoint);
  validVariantName(variant);
  if (typeof windowSeconds !== 'number' || !(windowSeconds > 0)) {
    throw new InvalidServingArgumentError('windowSeconds', `must be a positive number (got ${String(windowSeconds)})`);
  }
  const current = await gateway.getEndpoint(endpoint);
  if (!current) throw new EndpointNotFoundError(endpoint);
  if (!current.variants.some((v) => v.name === variant)) throw new VariantNotFoundError(endpoint, variant);
  const counted = (await gateway.metrics(endpoint, windowSeconds)).variants[variant];
  if (!counted) return { requests: 0, errorRate: 0, latencyMs: { p50: 0, p95: 0 }, predictions: [] };
  return {
    requests: counted.requests,
    errorRate: counted.errorRate,
    latencyMs: { p50: counted.latencyMs.p50, p95: counted.latencyMs.p95 },
    predictions: counted.predictions,
  };
}
