/**
 * Open Inference Protocol v2 request checks and the routing decision: pure functions, so the
 * server stays thin and the rules are testable without sockets.
 */
import type { EndpointState, VariantSpec } from '../common/schemas/gateway-api';

/** An OIP v2 inference request that passed `checkInferRequest`. */
export interface InferRequest {
  id?: string;
  inputs: InferTensor[];
  parameters?: Record<string, unknown>;
  outputs?: unknown[];
}

export interface InferTensor {
  name: string;
  shape: number[];
  datatype: string;
  data: unknown[];
  parameters?: Record<string, unknown>;
}

const INT_RANGES: Record<string, [number, number]> = {
  UINT8: [0, 255],
  UINT16: [0, 65_535],
  UINT32: [0, 4_294_967_295],
  UINT64: [0, Number.MAX_SAFE_INTEGER],
  INT8: [-128, 127],
  INT16: [-32_768, 32_767],
  INT32: [-2_147_483_648, 2_147_483_647],
  INT64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};
const FLOAT_TYPES = new Set(['FP16', 'FP32', 'FP64']);
const DATATYPES = ['BOOL', ...Object.keys(INT_RANGES), ...FLOAT_TYPES, 'BYTES'];
const MAX_ELEMENTS = 10_000_000;

/** Checks a parsed JSON body; returns the request or a message naming the offending field. */
export function checkInferRequest(body: unknown): { ok: true; request: InferRequest } | { ok: false; error: string } {
  const fail = (error: string) => ({ ok: false as const, error });
  if (!isObject(body)) return fail('body: must be a JSON object');
  // the id is echoed in the x-request-id header: printable ASCII only
  if (body.id !== undefined && (typeof body.id !== 'string' || !/^[\x20-\x7e]{1,256}$/.test(body.id))) {
    return fail('id: must be a string of 1 to 256 printable ASCII characters');
  }
  if (body.parameters !== undefined && !isObject(body.parameters)) return fail('parameters: must be an object');
  if (body.outputs !== undefined && !Array.isArray(body.outputs)) return fail('outputs: must be an array');
  if (!Array.isArray(body.inputs)) return fail('inputs: must be an array of tensors');
  if (body.inputs.length === 0) return fail('inputs: must not be empty');
  for (const [i, input] of body.inputs.entries()) {
    const problem = checkTensor(input, `inputs[${i}]`);
    if (problem) return fail(problem);
  }
  return { ok: true, request: body as unknown as InferRequest };
}

function checkTensor(t: unknown, at: string): string | undefined {
  if (!isObject(t)) return `${at}: must be an object with name, shape, datatype and data`;
  if (typeof t.name !== 'string' || t.name.length === 0) return `${at}.name: must be a non-empty string`;
  if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    return `${at}.shape: must be an array of non-negative integers`;
  }
  if (typeof t.datatype !== 'string' || !DATATYPES.includes(t.datatype)) {
    return `${at}.datatype: must be one of ${DATATYPES.join(', ')}`;
  }
  if (!Array.isArray(t.data)) return `${at}.data: must be an array`;
  if (t.parameters !== undefined && !isObject(t.parameters)) return `${at}.parameters: must be an object`;
  const expected = (t.shape as number[]).reduce((a, b) => a * b, 1);
  if (expected > MAX_ELEMENTS) return `${at}.shape: describes ${expected} elements, more than ${MAX_ELEMENTS}`;
  const shape = t.shape as number[];
  const nested = t.data.some(Array.isArray);
  if (nested && !matchesShape(t.data, shape, 0)) {
    return `${at}.data: nested arrays must follow shape [${shape.join(', ')}] exactly (or send data flat)`;
  }
  const flat = flatten(t.data);
  if (flat === undefined) return `${at}.data: nested too deeply`;
  if (flat.length !== expected) {
    return `${at}.data: has ${flat.length} elements but shape [${(t.shape as number[]).join(', ')}] needs ${expected}`;
  }
  const bad = flat.findIndex((v) => !fitsType(v, t.datatype as string));
  if (bad >= 0) return `${at}.data[${bad}]: ${JSON.stringify(flat[bad])} is not a valid ${t.datatype as string} value`;
  return undefined;
}

function fitsType(value: unknown, datatype: string): boolean {
  if (datatype === 'BOOL') return typeof value === 'boolean';
  if (datatype === 'BYTES') return typeof value === 'string';
  if (typeof value !== 'number' || !Number.isFinite(value)) return false;
  if (FLOAT_TYPES.has(datatype)) return true;
  const range = INT_RANGES[datatype];
  return !!range && Number.isInteger(value) && value >= range[0] && value <= range[1];
}

/** Whether nested `data` has exactly the dimensions of `shape` from `depth` on. */
function matchesShape(data: unknown[], shape: number[], depth: number): boolean {
  if (depth >= shape.length || data.length !== shape[depth]) return false;
  if (depth === shape.length - 1) return !data.some(Array.isArray);
  return data.every((item) => Array.isArray(item) && matchesShape(item, shape, depth + 1));
}

/** Flattens row-major nested arrays (OIP allows both forms); `undefined` past a sane depth. */
function flatten(data: unknown[], depth = 0): unknown[] | undefined {
  if (depth > 32) return undefined;
  if (!data.some(Array.isArray)) return data;
  const out: unknown[] = [];
  for (const item of data) {
    if (Array.isArray(item)) {
      const inner = flatten(item, depth + 1);
      if (inner === undefined) return undefined;
      for (const v of inner) out.push(v);
    } else out.push(item);
  }
  return out;
}

/**
 * The request as `variant`'s model takes it: a pandas request (`parameters.content_type: "pd"`, its
 * inputs named columns) that has every input column the model recorded is sent with those columns
 * in the model's order and its other columns (an id, the label) left out. Any other request, or one
 * to a variant that recorded no inputs, is sent as it came (the model says what it lacks).
 */
export function requestForModel(request: InferRequest, variant: VariantSpec): InferRequest {
  const order = variant.inputs;
  if (!order || order.length === 0 || request.parameters?.content_type !== 'pd') return request;
  const byName = new Map(request.inputs.map((input) => [input.name, input]));
  if (!order.every((name) => byName.has(name))) return request;
  const inputs = order.map((name) => byName.get(name)!);
  const unchanged = inputs.length === request.inputs.length && inputs.every((input, i) => input === request.inputs[i]);
  return unchanged ? request : { ...request, inputs };
}

export type VariantChoice = { ok: true; variant: VariantSpec } | { ok: false; status: 404 | 503; error: string };

/**
 * Picks the variant for one request: the forced one when `forced` is given (any weight, for
 * tests and shadow checks), else weighted at random. `random` is in [0, 1).
 */
export function chooseVariant(endpoint: EndpointState, forced: string | undefined, random: number): VariantChoice {
  if (forced !== undefined) {
    const variant = endpoint.variants.find((v) => v.name === forced);
    if (variant) return { ok: true, variant };
    return {
      ok: false,
      status: 404,
      error: `x-mlops-variant: endpoint ${endpoint.name} has no variant ${JSON.stringify(forced)}`,
    };
  }
  const total = endpoint.variants.reduce((sum, v) => sum + (endpoint.weights[v.name] ?? 0), 0);
  if (total <= 0)
    return { ok: false, status: 503, error: `endpoint ${endpoint.name} has no variant with traffic weight` };
  let point = random * total;
  for (const variant of endpoint.variants) {
    const weight = endpoint.weights[variant.name] ?? 0;
    if (weight <= 0) continue;
    if (point < weight) return { ok: true, variant };
    point -= weight;
  }
  // rounding at the very top of the range: the last variant with weight
  const last = [...endpoint.variants].reverse().find((v) => (endpoint.weights[v.name] ?? 0) > 0);
  return last
    ? { ok: true, variant: last }
    : { ok: false, status: 503, error: `endpoint ${endpoint.name} has no variant with traffic weight` };
}

/** The values of the first numeric output of an OIP v2 response (for drift checks), capped at `max`. */
export function firstNumericOutput(response: unknown, max = 2000): number[] {
  if (!isObject(response) || !Array.isArray(response.outputs)) return [];
  for (const output of response.outputs) {
    if (!isObject(output) || !Array.isArray(output.data)) continue;
    if (typeof output.datatype === 'string' && (output.datatype === 'BYTES' || output.datatype === 'BOOL')) continue;
    const flat = flatten(output.data) ?? [];
    const values = flat.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    if (values.length > 0) return values.slice(0, max);
  }
  return [];
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
