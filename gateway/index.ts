/**
 * The inference gateway: Open Inference Protocol v2 in front of model servers, with weighted
 * traffic between variants, request and prediction capture, feedback labels, per-variant
 * metrics, and an admin API (loopback, or beyond it over TLS or behind a NetworkPolicy). Replicas
 * share one store. Run it with `mlops gateway` (or `mlops dev up`).
 *
 * - server.ts          `startGateway`: both HTTP servers, graceful close
 * - public-api.ts      /v2/health/*, /v2/models/<endpoint>/infer|feedback, /metrics
 * - admin-api.ts       /admin/endpoints…: variants, weights, metrics, faults (bearer token)
 * - inference.ts       OIP v2 request checks and the weighted variant choice (pure)
 * - state.ts           endpoints in the store (compare-and-swap), followed by every replica
 * - replica.ts         this replica's record in the store (where its admin API is reached)
 * - metrics.ts         Prometheus counters/histogram and per-variant ring buffers
 * - capture.ts         NDJSON batches of captures and feedback into the store (bounded by bytes)
 * - upstream.ts        forwarding to a variant over keep-alive connections
 * - credentials.ts     signed request ids, feedback tokens, bearer checks of the public API
 * - rate-limit.ts      the per-client token bucket of the public API
 * - token.ts           the admin token (file checks, minimum length) and the gateway's file paths
 *
 * The API's shapes and the checks of admin bodies are in common/schemas/gateway-api.ts; its typed client, `GatewayAdminClient`, is in
 * activities/serving/gateway-client.ts.
 */
export * from '../common/schemas/gateway-api';
export { adminHostProblem, GATEWAY_DEFAULTS, startGateway, type GatewayOptions, type RunningGateway } from './server';
export { ensureAdminToken, gatewayPaths, MIN_ADMIN_TOKEN_LENGTH, readAdminToken } from './token';
export { captureKey, type CaptureKind } from './capture';
