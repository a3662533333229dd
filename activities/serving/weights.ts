/** Validating a traffic split: whole percentages, summing to 100, over the endpoint's deployed variants. */
import { InvalidServingArgumentError } from '../../common/failures';

/**
 * The complete weight map for `deployed` (variants not named get 0); throws
 * `InvalidServingArgumentError` naming `weights` unless every weight is an integer in [0, 100], they
 * sum to 100 and every name is deployed.
 */
export function validateWeights(weights: unknown, deployed: readonly string[]): Record<string, number> {
  if (typeof weights !== 'object' || weights === null || Array.isArray(weights)) {
    throw new InvalidServingArgumentError('weights', 'must be an object of variant name → percent');
  }
  const entries = Object.entries(weights as Record<string, unknown>);
  for (const [name, weight] of entries) {
    if (!deployed.includes(name)) {
      const known = deployed.length > 0 ? deployed.join(', ') : 'none';
      throw new InvalidServingArgumentError(`weights.${name}`, `no such deployed variant (deployed: ${known})`);
    }
    if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 0 || weight > 100) {
      throw new InvalidServingArgumentError(
        `weights.${name}`,
        `must be an integer from 0 to 100 (got ${String(weight)})`,
      );
    }
  }
  const sum = entries.reduce((total, [, w]) => total + (w as number), 0);
  if (sum !== 100) throw new InvalidServingArgumentError('weights', `must sum to 100 (they sum to ${sum})`);
  const complete: Record<string, number> = {};
  for (const name of deployed) complete[name] = (weights as Record<string, number>)[name] ?? 0;
  return complete;
}
