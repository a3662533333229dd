/** The inference gateway the CLI talks to, from the configuration. */
import type { GatewayConfig, LoadedConfig } from '../lib/config';
import { UserError } from '../common/errors';

/** The configured gateway; a usage error (exit 2) saying how to get one when there is none. */
export function gatewayOf(config: LoadedConfig): GatewayConfig {
  if (!config.gateway) {
    throw new UserError(
      'no inference gateway configured: run `mlops dev up`, or set MLOPS_GATEWAY_URL, MLOPS_GATEWAY_ADMIN_URL and MLOPS_GATEWAY_TOKEN',
      2,
    );
  }
  return config.gateway;
}
