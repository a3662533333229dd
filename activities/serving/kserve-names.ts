/**
 * How the kserve backend names and reads InferenceServices: a DNS-1035 name per endpoint and
 * variant, the labels and annotations it sets, the URL the gateway routes to, and which statuses
 * KServe's controller writes for a variant that will not become ready.
 */
import { createHash } from 'node:crypto';
import type { InferenceService } from './kserve-api';

const PREFIX = 'mlops.temporal.io';

/** Labels for selecting (values trimmed to what a label may hold). */
export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  endpoint: `${PREFIX}/endpoint`,
  model: `${PREFIX}/model`,
  version: `${PREFIX}/version`,
} as const;

/** Annotations holding the exact names and the model's URI. */
export const ANNOTATIONS = {
  endpoint: `${PREFIX}/endpoint`,
  variant: `${PREFIX}/variant`,
  model: `${PREFIX}/model`,
  artifactUri: `${PREFIX}/artifact-uri`,
} as const;

export const MANAGED_BY = 'temporal-mlops';

/**
 * The most characters of a name: KServe derives its predictor's Service and Deployment names from
 * it (`<name>-predictor-…`), which must stay within 63.
 */
const MAX_NAME = 45;

/**
 * The InferenceService of `variant` under `endpoint`: `<endpoint>-<variant>` made DNS-1035 safe
 * (lower-case letters, digits and '-', starting with a letter); one that had to change or be
 * shortened ends in a hash of the exact pair, so two pairs never share a name.
 */
export function inferenceServiceName(endpoint: string, variant: string): string {
  const exact = `${endpoint}-${variant}`;
  let name = exact.replace(/[^a-z0-9-]+/g, '-').replace(/-{2,}/g, '-');
  if (!/^[a-z]/.test(name)) name = `m-${name}`;
  name = name.replace(/-+$/, '');
  if (name === exact && name.length <= MAX_NAME) return name;
  const hash = createHash('sha256').update(`${endpoint}\0${variant}`).digest('hex').slice(0, 8);
  return `${name.slice(0, MAX_NAME - hash.length - 1).replace(/-+$/, '')}-${hash}`;
}

/** `value` when a label may hold it (63 characters, alphanumeric at both ends), else `undefined`. */
export function labelValue(value: string): string | undefined {
  return /^(?:[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)$/.test(value) ? value : undefined;
}

/** The label selector of an endpoint's InferenceServices (by its label when it has one, else all of ours). */
export function endpointSelector(endpoint: string): string {
  const label = labelValue(endpoint);
  return `${LABELS.managedBy}=${MANAGED_BY}${label ? `,${LABELS.endpoint}=${label}` : ''}`;
}

/** The URL the gateway routes to: the cluster-internal address, else the public URL; `undefined` before KServe reports one. */
export function upstreamOf(isvc: InferenceService): string | undefined {
  const url = isvc.status?.address?.url ?? isvc.status?.url;
  return url ? url.replace(/\/+$/, '') : undefined;
}

/**
 * Reasons KServe (and Knative below it) give for an InferenceService that will not become ready
 * without a change: the model does not load, no runtime serves it, the spec is refused.
 */
const TERMINAL_REASONS = new Set([
  'ModelLoadFailed',
  'RuntimeUnhealthy',
  'RuntimeNotRecognized',
  'RuntimeDisabled',
  'NoSupportingRuntime',
  'InvalidPredictorSpec',
  'InvalidSpec',
  'RevisionFailed',
  'ContainerMissing',
]);

/** Transition states of `status.modelStatus` that mean the model will not load. */
const TERMINAL_TRANSITIONS = new Set(['BlockedByFailedLoad', 'InvalidSpec']);

/** Why the InferenceService has failed for good (its condition's reason and message), or `undefined`. */
export function terminalFailure(isvc: InferenceService): string | undefined {
  const status = isvc.status;
  if (!status) return undefined;
  const failed = status.conditions?.find(
    (c) => c.status === 'False' && c.reason !== undefined && TERMINAL_REASONS.has(c.reason),
  );
  if (failed) return `${failed.type} is False (${failed.reason}${failed.message ? `: ${failed.message}` : ''})`;
  const model = status.modelStatus;
  if (model?.transitionStatus && TERMINAL_TRANSITIONS.has(model.transitionStatus)) {
    const info = model.lastFailureInfo;
    const detail = info?.reason ? `: ${info.reason}${info.message ? `: ${info.message}` : ''}` : '';
    return `model ${model.transitionStatus}${detail}`;
  }
  return undefined;
}
