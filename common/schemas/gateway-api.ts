/**
 * The inference gateway's API, shared by the gateway (gateway/), its admin client
 * (activities/serving/gateway-client.ts) and the CLI: an endpoint is a named set of variants (each
 * an upstream speaking Open Inference Protocol v2) with weights. The admin bodies' shapes are
 * inferred from their schemas; checking a body reports each problem as `path: message`, so the
 * caller knows which field to fix. Pure: no state, no I/O.
 */
import { z } from 'zod';

export const ENDPOINT_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
export const VARIANT_NAME = /^[a-z0-9][a-z0-9.-]{0,62}$/;

/** One deployed model behind an endpoint: where to forward and which upstream model to call. */
const variantSchema = z.object({
  /** Unique within the endpoint. */
  name: z.string().regex(VARIANT_NAME, 'must match [a-z0-9][a-z0-9.-]* (at most 63 characters)'),
  /** Base URL of the upstream; the gateway calls `<upstream>/v2/models/<modelName>/infer`. */
  upstream: z
    .string()
    .refine(isHttpUrl, 'must be an http(s) URL such as http://127.0.0.1:8080')
    .transform((u) => u.replace(/\/+$/, '')),
  modelName: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'must be a model name ([A-Za-z0-9._-])'),
  /** Recorded in captures (e.g. the registry version). */
  modelVersion: z.string().min(1).max(128).optional(),
  /**
   * The model's input columns in the order it takes them (what its training job recorded): a
   * pandas request (`parameters.content_type: "pd"`) that has them all is forwarded with these
   * columns in this order, its other columns left out. Absent: requests are forwarded as sent.
   */
  inputs: z
    .array(z.string().min(1).max(256))
    .min(1)
    .max(4096)
    .refine((names) => new Set(names).size === names.length, 'must not name a column twice')
    .optional(),
});
export type VariantSpec = z.infer<typeof variantSchema>;

const weightsSchema = z.record(z.string(), z.number().int('must be an integer').min(0, 'must be ≥ 0'));
const revisionSchema = z.number().int().min(0).optional();

/** Which share of requests is captured and how captures are batched into the store. */
const captureSchema = z.object({
  /** 0..1 @default 1 */
  sampleRate: z.number().min(0).max(1).optional(),
  /** Records per NDJSON object before a flush. @default 100 */
  maxBatch: z.number().int().min(1).max(10_000).optional(),
  /** Longest a record waits before its batch is flushed, in seconds. @default 10 */
  flushSeconds: z.number().gt(0).max(3600).optional(),
});
/** Capture settings with every default applied. */
export type CaptureSettings = Required<z.infer<typeof captureSchema>>;

/** The capture defaults applied when an endpoint is set without them. */
export const CAPTURE_DEFAULTS: CaptureSettings = { sampleRate: 1, maxBatch: 100, flushSeconds: 10 };

/** Body of `PUT /admin/endpoints/<name>`. */
const putEndpointSchema = z.object({
  variants: z.array(variantSchema).min(1, 'must list at least one variant').max(32),
  /** Variant name → integer share in percent; the shares sum to 100. */
  weights: weightsSchema,
  capture: captureSchema.optional(),
  /** Refuse (409) unless the endpoint's revision is still this (0: the endpoint must not exist). */
  expectedRevision: revisionSchema,
});
export type PutEndpointBody = z.infer<typeof putEndpointSchema>;

const putWeightsSchema = z.object({ weights: weightsSchema, expectedRevision: revisionSchema });

/** Injected failure of one variant (tests and drills); an empty fault is none. */
const faultSchema = z.object({
  /** Share of requests answered 500 instead of being forwarded, 0..1. */
  errorRate: z.number().min(0).max(1).optional(),
  /** Delay added before forwarding, in milliseconds. */
  latencyMs: z.number().min(0).max(600_000).optional(),
});
export type Fault = z.infer<typeof faultSchema>;

/** An endpoint as the gateway keeps it. */
export interface EndpointState {
  name: string;
  /** Increases by one with every change of variants or weights; used for compare-and-set. */
  revision: number;
  variants: VariantSpec[];
  /** Variant name → integer share in percent; the shares sum to 100. */
  weights: Record<string, number>;
  capture: CaptureSettings;
  faults: Record<string, Fault>;
  updatedAt: string;
}

/** Live figures of one variant over a window, from the gateway's in-memory ring buffers. */
export interface VariantMetrics {
  requests: number;
  errors: number;
  /** errors / requests; 0 without requests. */
  errorRate: number;
  latencyMs: { p50: number; p95: number; p99: number };
  /** The last (at most 2000) values of each request's first numeric output, oldest first. */
  predictions: number[];
}

/** Answer of `GET /admin/endpoints/<name>/metrics?window=<seconds>`. */
export interface EndpointMetrics {
  window: number;
  variants: Record<string, VariantMetrics>;
}

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
