/** Input checks of the registry: names, actors and reasons, and the registration input. */
import { InvalidArgumentError, InvalidNameError } from '../../common/failures';
import type { ModelStatus, RegisterModelInput } from './types';

export const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const NAME_RULE = `lower-case letters, digits, '.', '_' or '-', starting with a letter or digit, at most 63 characters`;

export const MODEL_STATUSES: readonly ModelStatus[] = [
  'candidate',
  'approved',
  'rejected',
  'production',
  'rolled-back',
  'archived',
];

/** Returns `value` when it is a valid model or alias name, else throws `InvalidNameError` naming `field`. */
export function validName(field: string, value: unknown): string {
  if (typeof value !== 'string' || !NAME_PATTERN.test(value)) throw new InvalidNameError(field, value, NAME_RULE);
  return value;
}

/** Returns `value` when it is a non-blank string, else throws `InvalidArgumentError` naming `field`. */
export function requiredText(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw new InvalidArgumentError(field, 'required (non-empty text)');
  return value;
}

/** Returns `value` when it is a version number (a positive integer). */
export function validVersion(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
    throw new InvalidArgumentError(field, `must be a positive integer version, got ${JSON.stringify(value)}`);
  return value;
}

/** Returns `value` when it is one of the model statuses. */
export function validStatus(field: string, value: unknown): ModelStatus {
  if (!MODEL_STATUSES.includes(value as ModelStatus))
    throw new InvalidArgumentError(field, `must be one of ${MODEL_STATUSES.join(', ')}, got ${JSON.stringify(value)}`);
  return value as ModelStatus;
}

/** Checks who and why of a change (alias or status): both required. */
export function validChange(opts: { actor?: unknown; reason?: unknown } | undefined): {
  actor: string;
  reason: string;
} {
  return { actor: requiredText('actor', opts?.actor), reason: requiredText('reason', opts?.reason) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function validSnapshot(field: string, value: unknown): { dataset: string; id: string } {
  if (!isRecord(value)) throw new InvalidArgumentError(field, 'must be an object { dataset, id }');
  return { dataset: requiredText(`${field}.dataset`, value.dataset), id: requiredText(`${field}.id`, value.id) };
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Checks `steps`: each a step name, the dataset its output was snapshotted into, and the snapshot's id (sha256 hex). */
function validSteps(value: unknown): void {
  if (!Array.isArray(value)) throw new InvalidArgumentError('steps', 'must be a list of { step, dataset, id }');
  value.forEach((entry: unknown, i) => {
    const at = `steps[${i}]`;
    if (!isRecord(entry)) throw new InvalidArgumentError(at, 'must be an object { step, dataset, id }');
    validName(`${at}.step`, entry.step);
    validName(`${at}.dataset`, entry.dataset);
    if (typeof entry.id !== 'string' || !SHA256_HEX.test(entry.id))
      throw new InvalidArgumentError(
        `${at}.id`,
        `must be a snapshot id (64 hex digits), got ${JSON.stringify(entry.id)}`,
      );
  });
}

/** Validates a registration (every field named on failure) and returns it with its defaults applied. */
export function validRegistration(
  input: RegisterModelInput,
): RegisterModelInput & { status: ModelStatus; actor: string } {
  if (!isRecord(input)) throw new InvalidArgumentError('input', 'must be an object');
  validName('model', input.model);
  requiredText('artifactUri', input.artifactUri);
  if (!isRecord(input.metrics)) throw new InvalidArgumentError('metrics', 'must be an object of metric name → number');
  for (const [name, value] of Object.entries(input.metrics))
    if (typeof value !== 'number' || !Number.isFinite(value))
      throw new InvalidArgumentError(`metrics.${name}`, `must be a finite number, got ${JSON.stringify(value)}`);
  if (!isRecord(input.params)) throw new InvalidArgumentError('params', 'must be an object');
  validSnapshot('trainingSnapshot', input.trainingSnapshot);
  if (input.evaluationSnapshot !== undefined) validSnapshot('evaluationSnapshot', input.evaluationSnapshot);
  if (input.steps !== undefined) validSteps(input.steps);
  requiredText('codeVersion', input.codeVersion);
  requiredText('pipelineRun', input.pipelineRun);
  requiredText('trigger', input.trigger);
  if (input.tags !== undefined) {
    if (!isRecord(input.tags)) throw new InvalidArgumentError('tags', 'must be an object of name → text');
    for (const [name, value] of Object.entries(input.tags))
      if (typeof value !== 'string') throw new InvalidArgumentError(`tags.${name}`, 'must be text');
  }
  if (input.idempotencyKey !== undefined) requiredText('idempotencyKey', input.idempotencyKey);
  const status = input.status === undefined ? 'candidate' : validStatus('status', input.status);
  const actor = input.actor === undefined ? `pipeline:${input.pipelineRun}` : requiredText('actor', input.actor);
  return { ...input, status, actor };
}
