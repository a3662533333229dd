/**
 * `mlops endpoints list|show|capture` and `mlops predict`: serving endpoints (their variants, weights,
 * versions, readiness and last-minute traffic), the share of their requests the gateway captures,
 * and one inference request through the gateway.
 */
import fs from 'node:fs/promises';
import type { Command } from 'commander';
import { createBlobStore } from '../../activities/storage';
import {
  predictionsByOutput,
  toInferenceRequest,
  type InferenceResponse,
} from '../../activities/serving/inference-request';
import type { EndpointDescription, ServingBackend, VariantMetrics } from '../../activities/serving/types';
import type { GatewayConfig, LoadedConfig } from '../../lib/config';
import { UserError } from '../../common/errors';
import { GatewayAdminClient, GatewayAdminError } from '../../activities/serving/gateway-client';
import type { CaptureSettings } from '../../common/schemas/gateway-api';
import { createServing } from '../../worker/dependencies';
import type { CommandContext } from '../context';
import { unitInterval } from '../options';
import { table } from '../output';

/** The window `endpoints show` reports traffic over. */
const METRICS_WINDOW_SECONDS = 60;
/** Attempts of `endpoints capture` when a rollout changes the endpoint between its read and its write. */
const CAPTURE_ATTEMPTS = 5;

export function registerEndpoints(program: Command, ctx: () => CommandContext): void {
  const endpoints = program.command('endpoints').description('serving endpoints: variants, traffic weights, readiness');

  endpoints
    .command('list')
    .description('every endpoint with its variants and weights')
    .action(async () => {
      const { out } = ctx();
      const serving = servingOf(ctx().config());
      await gatewayErrorsAsUserErrors(async () => {
        const names = await serving.listEndpoints();
        const described = await Promise.all(names.map((name) => serving.describe(name).catch(() => undefined)));
        out.result({ endpoints: described.filter((d): d is EndpointDescription => d !== undefined) }, renderList);
      });
    });

  endpoints
    .command('show')
    .description(
      `one endpoint: variants, versions, weights, readiness and the last ${METRICS_WINDOW_SECONDS} s of traffic`,
    )
    .argument('<endpoint>')
    .action(async (endpoint: string) => {
      const { out } = ctx();
      const serving = servingOf(ctx().config());
      const description = await gatewayErrorsAsUserErrors(() => serving.describe(endpoint));
      const variants = await Promise.all(
        description.variants.map(async (v) => ({
          ...v,
          metrics: await serving.readMetrics(endpoint, v.name, METRICS_WINDOW_SECONDS).catch(() => undefined),
        })),
      );
      out.result({ ...description, windowSeconds: METRICS_WINDOW_SECONDS, variants }, renderShow);
    });

  endpoints
    .command('capture')
    .description("set the share of an endpoint's requests the gateway captures for monitoring")
    .argument('<endpoint>')
    .requiredOption(
      '--sample-rate <rate>',
      'share of requests captured, 0 to 1 (0 stops capture)',
      unitInterval('--sample-rate'),
    )
    .action(async (endpoint: string, opts: { sampleRate: number }) => {
      const { out } = ctx();
      const { adminUrl, token } = gatewayOf(ctx().config());
      const admin = new GatewayAdminClient({ adminUrl, token });
      const result = await gatewayErrorsAsUserErrors(() => setCaptureSampleRate(admin, endpoint, opts.sampleRate));
      out.result(result, renderCapture);
    });

  program
    .command('predict')
    .description('send one inference request to an endpoint through the gateway and print the predictions')
    .argument('<endpoint>')
    .requiredOption(
      '--data <file>',
      'JSON: an OIP v2 request body, an array of rows ({column: value}) or an object of columns ({column: [values]})',
    )
    .option('--outputs <names>', 'comma-separated model outputs to ask for, e.g. predict,predict_proba')
    .action(async (endpoint: string, opts: { data: string; outputs?: string }) => {
      const { out } = ctx();
      const gateway = gatewayOf(ctx().config());
      const body = await readJsonFile(opts.data);
      const outputs = (opts.outputs ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      const request = toInferenceRequest(body, outputs);
      const response = await infer(gateway.url, endpoint, request);
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

function gatewayOf(config: LoadedConfig): GatewayConfig {
  if (!config.gateway) {
    throw new UserError(
      'no inference gateway configured: run `mlops dev up`, or set MLOPS_GATEWAY_URL, MLOPS_GATEWAY_ADMIN_URL and MLOPS_GATEWAY_TOKEN',
      2,
    );
  }
  return config.gateway;
}

/** Runs `work`, turning the gateway admin API's errors (unreachable, bad token…) into user errors. */
async function gatewayErrorsAsUserErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof GatewayAdminError)) throw error;
    const hint =
      error.status === 0 ? ': is `mlops dev up` running?' : error.status === 401 ? ': check MLOPS_GATEWAY_TOKEN' : '';
    throw new UserError(`${error.message}${hint}`);
  }
}

interface CaptureChange {
  endpoint: string;
  previousSampleRate: number;
  sampleRate: number;
  changed: boolean;
  /** The endpoint's revision after the change. */
  revision: number;
  capture: CaptureSettings;
}

/**
 * Sets the endpoint's capture sample rate, keeping its variants, weights and other capture settings;
 * compare-and-set on the revision, re-read when a rollout changed the endpoint in between.
 */
async function setCaptureSampleRate(
  admin: GatewayAdminClient,
  endpoint: string,
  sampleRate: number,
): Promise<CaptureChange> {
  for (let attempt = 1; ; attempt++) {
    const current = await admin.getEndpoint(endpoint);
    if (!current) {
      const known = (await admin.listEndpoints()).map((e) => e.name);
      throw new UserError(
        `no endpoint ${endpoint} on the gateway; ${known.length > 0 ? `endpoints: ${known.join(', ')}` : 'there are none'}`,
      );
    }
    const previousSampleRate = current.capture.sampleRate;
    if (previousSampleRate === sampleRate) {
      return {
        endpoint,
        previousSampleRate,
        sampleRate,
        changed: false,
        revision: current.revision,
        capture: current.capture,
      };
    }
    try {
      const next = await admin.putEndpoint(endpoint, {
        variants: current.variants,
        weights: current.weights,
        capture: { ...current.capture, sampleRate },
        expectedRevision: current.revision,
      });
      return {
        endpoint,
        previousSampleRate,
        sampleRate,
        changed: true,
        revision: next.revision,
        capture: next.capture,
      };
    } catch (error) {
      if (!(error instanceof GatewayAdminError && error.status === 409) || attempt >= CAPTURE_ATTEMPTS) throw error;
    }
  }
}

function renderCapture(c: CaptureChange): string {
  return c.changed
    ? `${c.endpoint}: capture sample rate ${c.previousSampleRate} → ${c.sampleRate} (revision ${c.revision})`
    : `${c.endpoint}: capture sample rate already ${c.sampleRate}; nothing changed`;
}

function servingOf(config: LoadedConfig): ServingBackend {
  gatewayOf(config);
  return createServing(config, createBlobStore(config.store))!;
}

async function readJsonFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    throw new UserError(`--data: cannot read ${file}: ${(error as Error).message}`, 2);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UserError(`--data: ${file} is not JSON: ${(error as Error).message}`, 2);
  }
}

async function infer(url: string, endpoint: string, request: unknown): Promise<InferenceResponse> {
  const target = `${url}/v2/models/${encodeURIComponent(endpoint)}/infer`;
  let res: Response;
  try {
    res = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(request),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw new UserError(
      `the gateway at ${url} is unreachable (${(error as Error).message}): is \`mlops dev up\` running?`,
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

function renderList(data: { endpoints: EndpointDescription[] }): string {
  if (data.endpoints.length === 0) return 'no endpoints (deploy a model version with a rollout first)';
  return table(
    ['ENDPOINT', 'VARIANTS (weight)', 'REVISION'],
    data.endpoints.map((e) => [
      e.endpoint,
      e.variants.map((v) => `${v.name} ${v.weight}%${v.ready ? '' : ' (not ready)'}`).join(', ') || '-',
      String(e.revision),
    ]),
  );
}

type ShownVariant = EndpointDescription['variants'][number] & { metrics?: VariantMetrics };

function renderShow(
  data: Omit<EndpointDescription, 'variants'> & { windowSeconds: number; variants: ShownVariant[] },
): string {
  const fixed = (n: number, digits: number) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
  const rows = data.variants.map((v) => [
    v.name,
    v.model,
    String(v.version),
    `${v.weight}%`,
    v.ready ? 'yes' : 'no',
    v.metrics ? String(v.metrics.requests) : '-',
    v.metrics ? `${fixed(v.metrics.errorRate * 100, 1)}%` : '-',
    v.metrics ? fixed(v.metrics.latencyMs.p50, 1) : '-',
    v.metrics ? fixed(v.metrics.latencyMs.p95, 1) : '-',
    v.upstream,
  ]);
  return (
    `endpoint ${data.endpoint} (revision ${data.revision}); traffic over the last ${data.windowSeconds} s\n` +
    table(
      ['VARIANT', 'MODEL', 'VERSION', 'WEIGHT', 'READY', 'REQUESTS', 'ERRORS', 'P50 MS', 'P95 MS', 'UPSTREAM'],
      rows,
    )
  );
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
