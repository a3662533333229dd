/** What the public and the admin request handlers share: one instance per running gateway. */
import type { CaptureWriter } from './capture';
import type { GatewayMetrics } from './metrics';
import type { GatewayState } from './state';
import type { UpstreamClient } from './upstream';

export interface GatewayContext {
  state: GatewayState;
  metrics: GatewayMetrics;
  capture: CaptureWriter;
  upstream: UpstreamClient;
  /** Largest request body accepted on the public API, in bytes. */
  maxBodyBytes: number;
  /** The bearer token the admin API requires. */
  adminToken: string;
  /** False while starting and once shutdown has begun (`/v2/health/ready` answers 503). */
  ready: boolean;
  /** Injectable randomness (variant choice, sampling, faults). */
  random: () => number;
  log: (line: string) => void;
}
