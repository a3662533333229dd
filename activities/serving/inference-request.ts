/**
 * Turning what a user has at hand into an Open Inference Protocol v2 request: a v2 request body as
 * is, or rows (`[{column: value}, …]`) or columns (`{column: [values]}`) of features. Rows and columns
 * become one input per column, in the order given, and `parameters.content_type: "pd"`, which
 * the project's model server (./model_server.py) decodes into a pandas DataFrame with those columns. Which of them the
 * model takes, and in which order, is the model's: the gateway sends each variant's model the
 * columns its training job recorded (`VariantSpec.inputs`), leaving others (an id, the label) out.
 */
import { InvalidServingArgumentError } from '../../common/failures';

export interface InferenceInput {
  name: string;
  shape: number[];
  datatype: 'BOOL' | 'INT64' | 'FP64' | 'BYTES';
  data: (number | string | boolean)[];
}

export interface InferenceRequest {
  id?: string;
  parameters?: Record<string, unknown>;
  inputs: InferenceInput[] | unknown[];
  outputs?: { name: string }[];
}

export interface InferenceOutput {
  name: string;
  shape: number[];
  datatype: string;
  data: unknown[];
}

export interface InferenceResponse {
  model_name: string;
  id?: string;
  outputs: InferenceOutput[];
}

type Value = number | string | boolean;

/** A v2 request from `body` (a v2 request, rows or columns); throws naming `data` (and the column) when it is none. */
export function toInferenceRequest(body: unknown, outputs: string[] = []): InferenceRequest {
  const withOutputs = (request: InferenceRequest): InferenceRequest =>
    outputs.length > 0 ? { ...request, outputs: outputs.map((name) => ({ name })) } : request;
  if (isObject(body) && 'inputs' in body) {
    if (!Array.isArray(body.inputs) || body.inputs.length === 0) {
      throw new InvalidServingArgumentError('data.inputs', 'must be a non-empty array of v2 input tensors');
    }
    return withOutputs(body as unknown as InferenceRequest);
  }
  const columns = Array.isArray(body) ? rowsToColumns(body) : isObject(body) ? columnsOf(body) : undefined;
  if (!columns) {
    throw new InvalidServingArgumentError(
      'data',
      'expected a v2 request ({"inputs": [...]}), an array of rows or an object of columns',
    );
  }
  const names = Object.keys(columns);
  if (names.length === 0) throw new InvalidServingArgumentError('data', 'has no columns');
  const length = columns[names[0]!]!.length;
  if (length === 0) throw new InvalidServingArgumentError('data', 'has no rows');
  const inputs = names.map((name) => {
    const values = columns[name]!;
    if (values.length !== length) {
      throw new InvalidServingArgumentError(`data.${name}`, `has ${values.length} values, other columns ${length}`);
    }
    return { name, shape: [length], datatype: datatypeOf(name, values), data: values } satisfies InferenceInput;
  });
  return withOutputs({ parameters: { content_type: 'pd' }, inputs });
}

/** Each output's data cut into one entry per row (by its shape's first dimension). */
export function predictionsByOutput(response: InferenceResponse): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const output of response.outputs ?? []) {
    const rows = output.shape[0] ?? output.data.length;
    const width = rows > 0 ? output.data.length / rows : 0;
    out[output.name] =
      width === 1 || !Number.isInteger(width)
        ? output.data
        : Array.from({ length: rows }, (_, i) => output.data.slice(i * width, (i + 1) * width));
  }
  return out;
}

function rowsToColumns(rows: unknown[]): Record<string, Value[]> {
  const columns: Record<string, Value[]> = {};
  rows.forEach((row, i) => {
    if (!isObject(row))
      throw new InvalidServingArgumentError(`data[${i}]`, 'each row must be an object of column → value');
    if (i === 0) for (const name of Object.keys(row)) columns[name] = [];
    for (const name of Object.keys(columns)) {
      if (!(name in row)) throw new InvalidServingArgumentError(`data[${i}].${name}`, 'missing (the first row has it)');
      columns[name]!.push(scalar(`data[${i}].${name}`, row[name]));
    }
  });
  return columns;
}

function columnsOf(body: Record<string, unknown>): Record<string, Value[]> {
  const columns: Record<string, Value[]> = {};
  for (const [name, values] of Object.entries(body)) {
    if (!Array.isArray(values)) throw new InvalidServingArgumentError(`data.${name}`, 'must be an array of values');
    columns[name] = values.map((v, i) => scalar(`data.${name}[${i}]`, v));
  }
  return columns;
}

function scalar(field: string, value: unknown): Value {
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  throw new InvalidServingArgumentError(field, `must be a number, string or boolean (got ${JSON.stringify(value)})`);
}

function datatypeOf(name: string, values: Value[]): InferenceInput['datatype'] {
  if (values.every((v) => typeof v === 'boolean')) return 'BOOL';
  if (values.every((v) => typeof v === 'number')) return values.every(Number.isInteger) ? 'INT64' : 'FP64';
  if (values.every((v) => typeof v === 'string')) return 'BYTES';
  throw new InvalidServingArgumentError(`data.${name}`, 'mixes numbers, strings and booleans');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
