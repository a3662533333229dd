/**
 * `mlops endpoints list|show|capture|feedback-token`: serving endpoints (their variants, weights,
 * versions, readiness and last-minute traffic), the share of their requests the gateway captures,
 * and the token a client needs to post feedback or pin a variant.
 */
import type { Command } from 'commander';
import { createBlobStore } from '../../activities/storage';
import type { EndpointDescription, ServingBackend, VariantMetrics } from '../../activities/serving/types';
import type { LoadedConfig } from '../../lib/config';
import { UserError } from '../../common/errors';
import { EXIT } from '../exit-codes';
import type { GatewayAdminClient } from '../../activities/serving/gateway-client';
import { gatewayAdminFromConfig, GatewayAdminError } from '../../activities/serving/gateway-client';
import type { CaptureSettings } from '../../common/schemas/gateway-api';
import { createServing } from '../../worker/dependencies';
import type { CommandContext } from '../context';
import { gatewayOf } from '../gateway-config';
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
      const admin = gatewayAdminFromConfig(gatewayOf(ctx().config()));
      const result = await gatewayErrorsAsUserErrors(() => setCaptureSampleRate(admin, endpoint, opts.sampleRate));
      out.result(result, renderCapture);
    });

  endpoints
    .command('feedback-token')
    .description(
      "print the endpoint's feedback token: clients send it as `authorization: Bearer <token>` to post feedback or pin a variant (x-mlops-variant)",
    )
    .argument('<endpoint>')
    .option('--rotate', 'replace it with a new token first (the old one stops working at once)')
    .action(async (endpoint: string, opts: { rotate?: boolean }) => {
      const { out } = ctx();
      const admin = gatewayAdminFromConfig(gatewayOf(ctx().config()));
      const feedbackToken = await gatewayErrorsAsUserErrors(async () => {
        try {
          return await admin.feedbackToken(endpoint, opts.rotate === true);
        } catch (error) {
          if (error instanceof GatewayAdminError && error.status === 404) {
            throw new UserError(`no endpoint ${endpoint} on the gateway`, EXIT.badInput);
          }
          throw error;
        }
      });
      out.result({ endpoint, token: feedbackToken, rotated: opts.rotate === true }, (r: { token: string }) => r.token);
    });
}

/** Runs `work`, turning the gateway admin API's errors (unreachable, bad token…) into user errors. */
async function gatewayErrorsAsUserErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof GatewayAdminError)) throw error;
    const hint =
      error.status === 0 ? ': is `mlops dev up` running?' : error.status === 401 ? ': check MLOPS_GATEWAY_TOKEN' : '';
    throw new UserError(`${error.message}${hint}`, error.status === 0 ? EXIT.unreachable : EXIT.failed, {
      cause: error,
    });
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
