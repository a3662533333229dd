/**
 * The public API: Open Inference Protocol v2 health and inference, feedback labels, and
 * Prometheus `/metrics`. Every failure is an HTTP answer with `{ error }`; nothing a client
 * sends can throw out of `handlePublic`.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ENDPOINT_NAME } from '../common/schemas/gateway-api';
import type { GatewayContext } from './context';
import { HttpError, pathSegments, readJson, sendError, sendJson } from './http-util';
import { checkInferRequest, chooseVariant, firstNumericOutput, isObject, requestForModel } from './inference';
import { esc } from './metrics';
import type { EndpointState, VariantSpec } from '../common/schemas/gateway-api';

/** At most this many labels in one feedback request. */
const MAX_FEEDBACK = 10_000;

export async function handlePublic(ctx: GatewayContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? '/';
  const pathname = url.split('?')[0];
  if (pathname === '/v2/health/live') return onlyGet(req, res, () => sendJson(res, 200, { live: true }));
  if (pathname === '/v2/health/ready') {
    return onlyGet(req, res, () => sendJson(res, ctx.ready ? 200 : 503, { ready: ctx.ready }));
  }
  if (pathname === '/metrics') {
    return onlyGet(req, res, () => {
      const text = ctx.metrics.prometheus(weightGauges(ctx.state.list()));
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
  }
  const segments = pathSegments(url, '/v2/models/');
  const [endpointName, action, ...rest] = segments ?? [];
  if (endpointName !== undefined && rest.length === 0 && (action === 'infer' || action === 'feedback')) {
    if (req.method !== 'POST') return methodNotAllowed(req, res, 'POST');
    return action === 'infer' ? infer(ctx, endpointName, req, res) : feedback(ctx, endpointName, req, res);
  }
  req.resume();
  sendError(res, 404, `no such path: ${req.method ?? ''} ${pathname ?? ''}`);
}

async function infer(ctx: GatewayContext, endpointName: string, req: IncomingMessage, res: ServerResponse) {
  const started = process.hrtime.bigint();
  const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
  const known = ctx.state.get(endpointName);
  // unknown endpoint names are attacker-chosen: keep them out of metric labels
  const label = known ? endpointName : '(unknown)';
  const reject = (status: number, error: string, variant = '') => {
    ctx.metrics.observe({ endpoint: label, variant, code: status, seconds: seconds(), error: status >= 500 });
    sendError(res, status, error, variant ? { 'x-mlops-variant': variant } : {});
  };

  let body: unknown;
  try {
    body = await readJson(req, ctx.maxBodyBytes);
  } catch (err) {
    if (err instanceof HttpError) return reject(err.status, err.message);
    throw err;
  }
  const checked = checkInferRequest(body);
  if (!checked.ok) return reject(400, checked.error);
  const endpoint = ctx.state.get(endpointName);
  if (!endpoint) return reject(404, `endpoint ${JSON.stringify(endpointName)} not found`);
  const forced = headerValue(req, 'x-mlops-variant');
  const choice = chooseVariant(endpoint, forced, ctx.random());
  if (!choice.ok) return reject(choice.status, choice.error);
  const variant = choice.variant;
  // the columns in the order the variant's model takes them; captured as sent to it
  const request = requestForModel(checked.request, variant);
  const requestId = request.id ?? randomUUID();
  const headers = { 'x-mlops-variant': variant.name, 'x-request-id': requestId };

  const fault = endpoint.faults[variant.name];
  if (fault?.latencyMs) await new Promise((r) => setTimeout(r, fault.latencyMs));
  let status: number;
  let outputs: unknown;
  let predictions: number[] = [];
  if (fault?.errorRate && ctx.random() < fault.errorRate) {
    status = 500;
    sendError(res, status, `injected fault on variant ${variant.name}`, headers);
  } else {
    const result = await ctx.upstream.infer(variant, JSON.stringify({ ...request, id: requestId }));
    if (result.kind === 'timeout') {
      status = 504;
      sendError(res, status, `variant ${variant.name}: upstream ${variant.upstream} did not answer in time`, headers);
    } else if (result.kind === 'unreachable') {
      status = 502;
      sendError(
        res,
        status,
        `variant ${variant.name}: upstream ${variant.upstream} unreachable (${result.error})`,
        headers,
      );
    } else if (result.status >= 500) {
      status = 502;
      const detail = result.body.toString('utf8').slice(0, 500);
      sendError(res, status, `variant ${variant.name}: upstream answered ${result.status}: ${detail}`, headers);
    } else {
      // 2xx and the upstream's own 4xx (e.g. an input the model rejects) are relayed as they are
      status = result.status;
      if (status < 300) {
        try {
          const parsed = JSON.parse(result.body.toString('utf8')) as unknown;
          outputs = isObject(parsed) ? parsed.outputs : undefined;
          predictions = firstNumericOutput(parsed);
        } catch {
          // not JSON: relayed as is, nothing to capture
        }
      }
      res.writeHead(status, {
        'content-type': result.contentType ?? 'application/json',
        'content-length': result.body.length,
        ...headers,
      });
      res.end(result.body);
    }
  }
  const elapsed = seconds();
  ctx.metrics.observe({
    endpoint: endpoint.name,
    variant: variant.name,
    code: status,
    seconds: elapsed,
    error: status >= 500,
    predictions,
  });
  captureRequest(ctx, endpoint, variant, {
    requestId,
    inputs: request.inputs,
    outputs,
    latencyMs: Math.round(elapsed * 100_000) / 100,
    status,
  });
}

function captureRequest(
  ctx: GatewayContext,
  endpoint: EndpointState,
  variant: VariantSpec,
  r: { requestId: string; inputs: unknown; outputs: unknown; latencyMs: number; status: number },
): void {
  if (endpoint.capture.sampleRate <= 0 || ctx.random() >= endpoint.capture.sampleRate) return;
  const record = {
    requestId: r.requestId,
    time: new Date().toISOString(),
    endpoint: endpoint.name,
    variant: variant.name,
    modelVersion: variant.modelVersion ?? null,
    inputs: r.inputs,
    outputs: r.outputs ?? null,
    latencyMs: r.latencyMs,
    status: r.status,
  };
  ctx.capture.add(endpoint.name, 'capture', [record], endpoint.capture);
}

async function feedback(ctx: GatewayContext, endpointName: string, req: IncomingMessage, res: ServerResponse) {
  let body: unknown;
  try {
    body = await readJson(req, ctx.maxBodyBytes);
  } catch (err) {
    if (err instanceof HttpError) return sendError(res, err.status, err.message);
    throw err;
  }
  const endpoint = ctx.state.get(endpointName);
  if (!endpoint || !ENDPOINT_NAME.test(endpointName)) {
    return sendError(res, 404, `endpoint ${JSON.stringify(endpointName)} not found`);
  }
  const items = Array.isArray(body) ? body : [body];
  if (items.length === 0) return sendError(res, 400, 'body: must hold at least one { requestId, label }');
  if (items.length > MAX_FEEDBACK) return sendError(res, 400, `body: at most ${MAX_FEEDBACK} labels per request`);
  const time = new Date().toISOString();
  const records: object[] = [];
  for (const [i, item] of items.entries()) {
    const at = Array.isArray(body) ? `[${i}]` : 'body';
    if (!isObject(item)) return sendError(res, 400, `${at}: must be an object { requestId, label }`);
    const { requestId, label } = item;
    if (typeof requestId !== 'string' || requestId.length === 0 || requestId.length > 256) {
      return sendError(res, 400, `${at}.requestId: must be a non-empty string of at most 256 characters`);
    }
    const labelOk =
      (typeof label === 'number' && Number.isFinite(label)) || (typeof label === 'string' && label.length <= 1024);
    if (!labelOk) return sendError(res, 400, `${at}.label: must be a finite number or a string`);
    records.push({ requestId, label, time, endpoint: endpoint.name });
  }
  const accepted = ctx.capture.add(endpoint.name, 'feedback', records, endpoint.capture);
  ctx.metrics.count('mlops_gateway_feedback_total', { endpoint: endpoint.name }, accepted);
  if (accepted < records.length) {
    return sendError(
      res,
      503,
      `feedback: the store is behind; accepted ${accepted} of ${records.length}, retry the rest`,
    );
  }
  sendJson(res, 202, { accepted });
}

function weightGauges(endpoints: EndpointState[]): string[] {
  const lines = ['# HELP mlops_gateway_variant_weight Traffic weight (percent) of each variant.'];
  lines.push('# TYPE mlops_gateway_variant_weight gauge');
  for (const e of endpoints) {
    for (const v of e.variants) {
      lines.push(
        `mlops_gateway_variant_weight{endpoint="${esc(e.name)}",variant="${esc(v.name)}"} ${e.weights[v.name] ?? 0}`,
      );
    }
  }
  return lines;
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === '' ? undefined : first;
}

function onlyGet(req: IncomingMessage, res: ServerResponse, answer: () => void): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(req, res, 'GET');
  req.resume();
  answer();
}

function methodNotAllowed(req: IncomingMessage, res: ServerResponse, allowed: string): void {
  req.resume();
  sendError(res, 405, `method ${req.method ?? ''} not allowed here; use ${allowed}`, { allow: allowed });
}
