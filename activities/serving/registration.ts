/**
 * A variant's entry in the gateway, changed by read-modify-write on the endpoint's revision (a lost
 * race is read again and retried): added at weight 0 next to the existing variants, or at 100 as
 * the endpoint's first; removed only once it takes no traffic, the endpoint going with its last one.
 */
import { InvalidServingArgumentError } from '../../common/failures';
import { withRevisionRetry, type GatewayAdmin, type GatewayVariant } from './gateway';

/** Adds `spec` to the endpoint (creating it), or updates the known variant to `spec` (upstream, inputs); its weight is kept. */
export async function registerVariant(gateway: GatewayAdmin, endpoint: string, spec: GatewayVariant): Promise<void> {
  await withRevisionRetry(async () => {
    const current = await gateway.getEndpoint(endpoint);
    if (!current) {
      // expectedRevision 0: only if it still does not exist
      await gateway.putEndpoint(endpoint, { variants: [spec], weights: { [spec.name]: 100 }, expectedRevision: 0 });
      return;
    }
    const known = current.variants.find((v) => v.name === spec.name);
    if (known?.upstream === spec.upstream && known.modelName === spec.modelName && sameInputs(known, spec)) return;
    const variants = known
      ? current.variants.map((v) => (v.name === spec.name ? spec : v))
      : [...current.variants, spec];
    const first = current.variants.length === 0;
    const weights = { ...current.weights, [spec.name]: current.weights[spec.name] ?? (first ? 100 : 0) };
    // the capture settings stay as the operator set them
    await gateway.putEndpoint(endpoint, {
      variants,
      weights,
      capture: current.capture,
      expectedRevision: current.revision,
    });
  });
}

/** Removes `variant` from the endpoint (deleting the endpoint with its last variant); refused while it takes traffic. */
export async function unregisterVariant(gateway: GatewayAdmin, endpoint: string, variant: string): Promise<void> {
  await withRevisionRetry(async () => {
    const current = await gateway.getEndpoint(endpoint);
    if (!current?.variants.some((v) => v.name === variant)) return;
    const remaining = current.variants.filter((v) => v.name !== variant);
    if (remaining.length === 0) {
      await gateway.deleteEndpoint(endpoint);
      return;
    }
    const weight = current.weights[variant] ?? 0;
    if (weight > 0) {
      throw new InvalidServingArgumentError(
        'variant',
        `${variant} still takes ${weight}% of ${endpoint}'s traffic: move it to other variants first (setTraffic)`,
      );
    }
    const weights = Object.fromEntries(Object.entries(current.weights).filter(([name]) => name !== variant));
    await gateway.putEndpoint(endpoint, {
      variants: remaining,
      weights,
      capture: current.capture,
      expectedRevision: current.revision,
    });
  });
}

function sameInputs(a: GatewayVariant, b: GatewayVariant): boolean {
  return (a.inputs ?? []).join('\0') === (b.inputs ?? []).join('\0');
}
