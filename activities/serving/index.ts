/**
 * Serving: model versions deployed as variants of an endpoint that speaks the Open Inference
 * Protocol v2, with weighted traffic and per-variant metrics. Every backend implements `ServingBackend`.
 *
 * - ./types.ts          `ServingBackend`, `Variant`, `ModelRef`, `VariantMetrics`, `EndpointDescription`
 * - ./local.ts          `LocalServingBackend`: one model server per variant (./model-server.ts launch,
 *                       readiness and the model descriptor; ./model_server.py the server itself, KServe's
 *                       `ModelServer` with the project's model class; ./variant-files.ts layout) behind
 *                       the project's inference gateway (./gateway.ts)
 * - ./kserve.ts         `KServeServingBackend`: one KServe InferenceService per variant (./kserve-api.ts the
 *                       Kubernetes API, ./kserve-names.ts names, labels and statuses), behind the same gateway
 * - ./registration.ts   the variant's entry in the gateway (add at 0 or 100, remove once without traffic)
 * - ./weights.ts        traffic split validation; ./traffic.ts setting the split and reading a variant's
 *                       metrics through the gateway, the same for every backend
 * - ./inference-request.ts  rows or columns of features → an OIP v2 request (`mlops predict`)
 * - ./activities.ts     `deployVariant`, `waitVariantReady`, `setTraffic`, `readVariantMetrics`,
 *                       `undeployVariant`, `describeEndpoint`
 *
 * `createServingBackend(kind, deps)` builds one backend (the worker's wiring: worker/dependencies.ts).
 */
import { KServeServingBackend, type KServeServingDeps } from './kserve';
import { LocalServingBackend, type LocalServingDeps } from './local';
import type { ServingBackend } from './types';

export { LocalServingBackend, type LocalServingDeps } from './local';
export { DEFAULT_KSERVE_RUNTIME, KServeServingBackend, type KServeServingDeps } from './kserve';
export { checkKubeAccess, KubeApiError, KubeSettingsError, type KubeAccess } from './kserve-api';
export {
  createServingActivities,
  type DeployVariantInput,
  type ReadVariantMetricsInput,
  type ServingActivities,
  type SetTrafficInput,
  type VariantInput,
  type WaitVariantReadyInput,
} from './activities';
export { isRevisionConflict, type GatewayAdmin, type GatewayEndpoint, type GatewayVariant } from './gateway';
export { validateWeights } from './weights';
export { variantName } from './variant-files';
export type * from './types';

/** The backends by kind, with the dependencies each needs. */
export interface ServingBackendDeps {
  local: LocalServingDeps;
  kserve: KServeServingDeps;
}

export type ServingBackendKind = keyof ServingBackendDeps;

/** Builds the serving backend of `kind`. */
export function createServingBackend<K extends ServingBackendKind>(
  kind: K,
  deps: ServingBackendDeps[K],
): ServingBackend {
  switch (kind) {
    case 'local':
      return new LocalServingBackend(deps as LocalServingDeps) satisfies ServingBackend;
    case 'kserve':
      return new KServeServingBackend(deps as KServeServingDeps) satisfies ServingBackend;
    default:
      throw new Error(`unknown serving backend ${String(kind)}`);
  }
}
