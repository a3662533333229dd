/** What the public and the admin request handlers share: one instance per running gateway. */
import type { CaptureWriter } from './capture';
import type { RequestIds } from './credentials';
import type { GatewayMetrics } from './metrics';
import type { RateLimiter } from './rate-limit';
import type { GatewayState } from './state';
import type { UpstreamClient } from './upstream';

export interface GatewayContext {
  state: GatewayState;
  metrics: GatewayMetrics;
  capture: CaptureWriter;
  upstream: UpstreamClient;
  /** Signs and checks the request ids the gateway answers with (feedback must name one). */
  requestIds: RequestIds;
  /** Per-client rate limit of the public API. */
  rateLimit: RateLimiter;
  /** Largest request body accepted on the public API, in bytes. */
  maxBodyBytes: number;
  /** The bearer token the admin API requires. */
  adminToken: string;
  /** The admin API listens beyond loopback (over TLS or behind a NetworkPolicy): any address may call it. */
  adminBeyondLoopback: boolean;
  /** False while starting and once shutdown has begun (`/v2/health/ready` answers 503). */
  ready: boolean;
  /** Injectable randomness (variant choice, sampling, faults). */
  random: () => number;
  /** The operator's log (stderr of `mlops gateway`): details public answers leave out go here, redacted. */
  log: (line: string) => void;
}
