/** Input checks of the tracker; every error names the field. */
import { InvalidArgumentError, InvalidNameError } from '../../common/failures';
import type { RunStatus } from './types';

const PIPELINE_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const METRIC_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_./:-]{0,127}$/;
const ARTIFACT_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
export const RUN_STATUSES: readonly RunStatus[] = ['running', 'succeeded', 'failed', 'cancelled', 'stopped-early'];

/** Returns a valid pipeline name, else throws naming `field`. */
export function validPipeline(value: unknown, field = 'pipeline'): string {
  if (typeof value !== 'string' || !PIPELINE_PATTERN.test(value))
    throw new InvalidNameError(field, value, `lower-case letters, digits, '.', '_' or '-', at most 63 characters`);
  return value;
}

/** Returns a valid run id: any non-blank text of at most 1000 characters without control characters. */
export function validRun(value: unknown, field = 'run'): string {
  // eslint-disable-next-line no-control-regex
  if (typeof value !== 'string' || value.trim() === '' || value.length > 1000 || /[\u0000-\u001f\u007f]/.test(value))
    throw new InvalidArgumentError(field, 'must be non-blank text (at most 1000 characters, no control characters)');
  return value;
}

/** Returns a valid trial number: a non-negative integer. */
export function validTrial(value: unknown, field = 'trial'): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw new InvalidArgumentError(field, `must be a non-negative integer, got ${JSON.stringify(value)}`);
  return value;
}

/** Returns a valid metric name (letters, digits, `_ . / : -`, at most 128 characters). */
export function validMetricName(value: unknown, field: string): string {
  if (typeof value !== 'string' || !METRIC_PATTERN.test(value))
    throw new InvalidNameError(field, value, `letters, digits, '_', '.', '/', ':' or '-', at most 128 characters`);
  return value;
}

/** Returns a valid artifact name: `/`-separated segments of letters, digits, `. _ -`. */
export function validArtifactName(value: unknown, field = 'name'): string {
  if (typeof value !== 'string' || value.length > 512 || !value.split('/').every((s) => ARTIFACT_SEGMENT.test(s)))
    throw new InvalidNameError(field, value, `'/'-separated segments of letters, digits, '.', '_' or '-'`);
  return value;
}

/** Returns a valid status; `final` refuses `running`. */
export function validStatus(value: unknown, field = 'status', final = false): RunStatus {
  const allowed = final ? RUN_STATUSES.filter((s) => s !== 'running') : RUN_STATUSES;
  if (!allowed.includes(value as RunStatus))
    throw new InvalidArgumentError(field, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  return value as RunStatus;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Returns an object (params), `{}` when undefined. */
export function validParams(value: unknown, field = 'params'): Record<string, unknown> {
  if (value === undefined) return {};
  if (!isRecord(value)) throw new InvalidArgumentError(field, 'must be an object');
  return value;
}

/** Returns tags (name → text), `{}` when undefined. */
export function validTags(value: unknown, field = 'tags'): Record<string, string> {
  if (value === undefined) return {};
  if (!isRecord(value)) throw new InvalidArgumentError(field, 'must be an object of name → text');
  for (const [name, tag] of Object.entries(value))
    if (typeof tag !== 'string') throw new InvalidArgumentError(`${field}.${name}`, 'must be text');
  return value as Record<string, string>;
}

/** Returns final metrics (name → finite number), `{}` when undefined. */
export function validMetrics(value: unknown, field = 'metrics'): Record<string, number> {
  if (value === undefined) return {};
  if (!isRecord(value)) throw new InvalidArgumentError(field, 'must be an object of metric name → number');
  for (const [name, metric] of Object.entries(value)) {
    validMetricName(name, `${field}.${name}`);
    if (typeof metric !== 'number' || !Number.isFinite(metric))
      throw new InvalidArgumentError(`${field}.${name}`, `must be a finite number, got ${JSON.stringify(metric)}`);
  }
  return value as Record<string, number>;
}
