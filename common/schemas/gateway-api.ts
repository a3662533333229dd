/**
 * Validation of admin API bodies: each problem is reported as `path: message` so the caller
 * knows which field to fix. Pure: no state, no I/O.
 */
import { z } from 'zod';
import type { CaptureSettings, EndpointState, Fault, PutEndpointBody, VariantSpec } from '../gateway-api';
import { CAPTURE_DEFAULTS } from '../gateway-api';

export const ENDPOINT_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
export const VARIANT_NAME = /^[a-z0-9][a-z0-9.-]{0,62}$/;

const variantSchema = z.object({
  name: z.string().regex(VARIANT_NAME, 'must match [a-z0-9][a-z0-9.-]* (at most 63 characters)'),
  upstream: z
    .string()
    .refine(isHttpUrl, 'must be an http(s) URL such as http://127.0.0.1:8080')
    .transform((u) => u.replace(/\/+$/, '')),
  modelName: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'must be a model name ([A-Za-z0-9._-])'),
  modelVersion: z.string().min(1).max(128).optional(),
  inputs: z
    .array(z.string().min(1).max(256))
    .min(1)
    .max(4096)
    .refine((names) => new Set(names).size === names.length, 'must not name a column twice')
    .optional(),
});

const weightsSchema = z.record(z.string(), z.number().int('must be an integer').min(0, 'must be ≥ 0'));
const revisionSchema = z.number().int().min(0).optional();

const captureSchema = z.object({
  sampleRate: z.number().min(0).max(1).optional(),
  maxBatch: z.number().int().min(1).max(10_000).optional(),
  flushSeconds: z.number().gt(0).max(3600).optional(),
});

const putEndpointSchema = z.object({
  variants: z.array(variantSchema).min(1, 'must list at least one variant').max(32),
  weights: weightsSchema,
  capture: captureSchema.optional(),
  expectedRevision: revisionSchema,
});

const putWeightsSchema = z.object({ weights: weightsSchema, expectedRevision: revisionSchema });

const faultSchema = z.object({
  errorRate: z.number().min(0).max(1).optional(),
  latencyMs: z.number().min(0).max(600_000).optional(),
});

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

/** Checks a `PUT /admin/endpoints/<name>` body. */
export function checkPutEndpoint(body: unknown): Checked<PutEndpointBody & { capture: CaptureSettings }> {
  const parsed = putEndpointSchema.safeParse(body);
  if (!parsed.success) return fail(parsed.error);
  const { variants, weights, expectedRevision } = parsed.data;
  const names = variants.map((v) => v.name);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate !== undefined) return { ok: false, error: `variants: ${JSON.stringify(duplicate)} is listed twice` };
  const weightProblem = checkWeights(weights, names);
  if (weightProblem) return { ok: false, error: weightProblem };
  const capture = { ...CAPTURE_DEFAULTS, ...definedOnly(parsed.data.capture ?? {}) };
  return {
    ok: true,
    value: {
      variants: variants.map(compactVariant),
      weights: fullWeights(weights, names),
      capture,
      ...(expectedRevision === undefined ? {} : { expectedRevision }),
    },
  };
}

/** Checks a `PUT /admin/endpoints/<name>/weights` body against the endpoint's variants. */
export function checkPutWeights(
  body: unknown,
  endpoint: EndpointState,
): Checked<{ weights: Record<string, number>; expectedRevision?: number }> {
  const parsed = putWeightsSchema.safeParse(body);
  if (!parsed.success) return fail(parsed.error);
  const names = endpoint.variants.map((v) => v.name);
  const problem = checkWeights(parsed.data.weights, names);
  if (problem) return { ok: false, error: problem };
  const { expectedRevision } = parsed.data;
  return {
    ok: true,
    value: {
      weights: fullWeights(parsed.data.weights, names),
      ...(expectedRevision === undefined ? {} : { expectedRevision }),
    },
  };
}

/** Checks a fault body; `{}` means "no fault". */
export function checkFault(body: unknown): Checked<Fault> {
  const parsed = faultSchema.safeParse(body);
  if (!parsed.success) return fail(parsed.error);
  return { ok: true, value: definedOnly(parsed.data) };
}

function checkWeights(weights: Record<string, number>, variantNames: string[]): string | undefined {
  const unknown = Object.keys(weights).filter((k) => !variantNames.includes(k));
  if (unknown.length > 0) {
    return `weights: ${unknown.map((k) => JSON.stringify(k)).join(', ')} ${unknown.length === 1 ? 'is not a variant' : 'are not variants'} of the endpoint (variants: ${variantNames.join(', ')})`;
  }
  const sum = Object.values(weights).reduce((a, b) => a + b, 0);
  if (sum !== 100) return `weights: must sum to 100, got ${sum}`;
  return undefined;
}

/** Every variant gets an entry; unnamed ones weigh 0. */
function fullWeights(weights: Record<string, number>, variantNames: string[]): Record<string, number> {
  return Object.fromEntries(variantNames.map((n) => [n, weights[n] ?? 0]));
}

function compactVariant(v: VariantSpec): VariantSpec {
  return {
    name: v.name,
    upstream: v.upstream,
    modelName: v.modelName,
    ...(v.modelVersion === undefined ? {} : { modelVersion: v.modelVersion }),
    ...(v.inputs === undefined ? {} : { inputs: v.inputs }),
  };
}

function fail(error: z.ZodError): { ok: false; error: string } {
  const issues = error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : 'body'}: ${i.message}`);
  return { ok: false, error: issues.join('; ') };
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.search === '' && url.hash === '';
  } catch {
    return false;
  }
}

function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
