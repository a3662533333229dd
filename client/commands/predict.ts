/**
 * `mlops predict <endpoint> --data <file> [--outputs names] [--variant name]`: sends one inference
 * request to an endpoint through the gateway and prints the predictions. `--variant` pins the
 * request to one variant (with the configured admin token as its credential); the gateway keeps
 * pinned requests out of the figures rollouts and A/B tests judge by.
 */
import fs from 'node:fs/promises';
import type { Command } from 'commander';
import {
  predictionsByOutput,
  toInferenceRequest,
  type InferenceResponse,
} from '../../activities/serving/inference-request';
import { UserError } from '../../common/errors';
import { EXIT } from '../exit-codes';
import type { CommandContext } from '../context';
import { gatewayOf } from '../gateway-config';
import { table } from '../output';

export function registerPredict(program: Command, ctx: () => CommandContext): void {
  program
    .command('predict')
    .description('send one inference request to an endpoint through the gateway and print the predictions')
    .argument('<endpoint>')
    .requiredOption(
      '--data <file>',
      'JSON: an OIP v2 request body, an array of rows ({column: value}) or an object of columns ({column: [values]})',
    )
    .option('--outputs <names>', 'comma-separated model outputs to ask for, e.g. predict,predict_proba')
    .option('--variant <name>', 'send it to this variant, whatever its weight (not counted in rollouts or A/B tests)')
    .action(async (endpoint: string, opts: { data: string; outputs?: string; variant?: string }) => {
      const { out } = ctx();
      const gateway = gatewayOf(ctx().config());
      const body = await readJsonFile(opts.data);
      const outputs = (opts.outputs ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      const request = toInferenceRequest(body, outputs);
      const pin: Record<string, string> = {};
      if (opts.variant !== undefined) {
        pin['x-mlops-variant'] = opts.variant;
        pin.authorization = `Bearer ${gateway.token}`;
      }
      const response = await infer(gateway.url, endpoint, request, pin);
      out.result(
        {
          endpoint,
          model: response.model_name,
          id: response.id,
          predictions: predictionsByOutput(response),
          outputs: response.outputs,
        },
        renderPredictions,
      );
    });
}

async function readJsonFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    throw new UserError(`--data: cannot read ${file}: ${(error as Error).message}`, EXIT.badInput);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UserError(`--data: ${file} is not JSON: ${(error as Error).message}`, EXIT.badInput);
  }
}

async function infer(
  url: string,
  endpoint: string,
  request: unknown,
  headers: Record<string, string>,
): Promise<InferenceResponse> {
  const target = `${url}/v2/models/${encodeURIComponent(endpoint)}/infer`;
  let res: Response;
  try {
    res = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(request),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw new UserError(
      `the gateway at ${url} is unreachable (${(error as Error).message}): is \`mlops dev up\` running?`,
      EXIT.unreachable,
      { cause: error },
    );
  }
  const text = await res.text();
  if (!res.ok) throw new UserError(`${endpoint}: the gateway answered ${res.status}: ${errorText(text)}`);
  return JSON.parse(text) as InferenceResponse;
}

function errorText(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: unknown; detail?: unknown };
    const message = body.error ?? body.detail;
    if (message !== undefined) return typeof message === 'string' ? message : JSON.stringify(message);
  } catch {
    // not JSON: the text itself
  }
  return text.trim() || '(no body)';
}

function renderPredictions(data: { endpoint: string; model: string; predictions: Record<string, unknown[]> }): string {
  const names = Object.keys(data.predictions);
  const rows = Math.max(0, ...names.map((n) => data.predictions[n]!.length));
  const cell = (value: unknown) =>
    Array.isArray(value)
      ? value.map((x) => (typeof x === 'number' ? Number(x.toFixed(4)) : x)).join(' ')
      : String(value);
  return (
    `${data.endpoint} → ${data.model}\n` +
    table(
      ['ROW', ...names.map((n) => n.toUpperCase())],
      Array.from({ length: rows }, (_, i) => [String(i), ...names.map((n) => cell(data.predictions[n]![i]))]),
    )
  );
}
