/**
 * The public API: Open Inference Protocol v2 health and inference, feedback labels, and
 * Prometheus `/metrics`. Every failure is an HTTP answer with `{ error }`; nothing a client
 * sends can throw out of `handlePublic`.
 *
 * What an anonymous client cannot do (./credentials.ts): pin a request to a variant
 * (`x-mlops-variant` needs the endpoint's feedback token or the admin token, and pinned requests
 * stay out of the figures rollouts and A/B tests judge by), post feedback (needs the token, and
 * only for request ids the gateway issued), or learn an upstream's address or error text (those
 * go to the operator's log only). Each client address is rate limited (429 with Retry-After).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ENDPOINT_NAME } from '../common/schemas/gateway-api';
import type { GatewayContext } from './context';
import { bearerToken, tokenMatches } from './credentials';
import { HttpError, pathSegments, readJson, sendError, sendJson } from './http-util';
import { checkInferRequest, chooseVariant, firstNumericOutput, isObject, requestForModel } from './inference';
import { esc } from './metrics';
import type { EndpointState, VariantSpec } from '../common/schemas/gateway-api';

/** At most this many labels in one feedback request. */
const MAX_FEEDBACK = 10_000;

export async function handlePublic(ctx: GatewayContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? '/';
  const pathname = url.split('?')[0];
  const limited = ctx.rateLimit.take(req.socket.remoteAddress ?? '');
  if (!limited.ok) {
    req.resume();
    ctx.metrics.count('mlops_gateway_rate_limited_total', {});
    return sendError(res, 429, `too many requests from this client; retry in ${limited.retryAfterSeconds} s`, {
      'retry-after': String(limited.retryAfterSeconds),
    });
  }
  if (pathname === '/v2/health/live') return onlyGet(req, res, () => sendJson(res, 200, { live: true }));
  if (pathname === '/v2/health/ready') {
    // a replica cut off from the store still serves what it read last: ready, and saying so
    return onlyGet(req, res, () => {
      const sync = ctx.state.sync();
      sendJson(res, ctx.ready ? 200 : 503, {
        ready: ctx.ready,
        endpoints: sync.ok ? 'current' : 'stale',
        ...(sync.ok ? {} : { endpointsReadAt: new Date(sync.lastSyncAt).toISOString() }),
      });
    });
  }
  if (pathname === '/metrics') {
    return onlyGet(req, res, () => {
      const text = ctx.metrics.prometheus([...weightGauges(ctx.state.list()), ...syncGauges(ctx)]);
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
  if (
    forced !== undefined &&
    !tokenMatches(bearerToken(req), [ctx.state.feedbackToken(endpoint.name), ctx.adminToken])
  ) {
    return reject(
      403,
      "x-mlops-variant: pinning a variant needs the endpoint's feedback token (or the admin token) as `authorization: Bearer <token>`",
    );
  }
  const pinned = forced !== undefined;
  const choice = chooseVariant(endpoint, forced, ctx.random());
  if (!choice.ok) return reject(choice.status, choice.error);
  const variant = choice.variant;
  // the columns in the order the variant's model takes them; captured as sent to it
  const request = requestForModel(checked.request, variant);
  // the id the gateway answers with, captures under and accepts feedback for: signed, so feedback
  // can name only requests that went through the gateway; the model sees the client's own id
  const requestId = ctx.requestIds.issue(endpoint.name, request.id ?? randomUUID());
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
    const result = await ctx.upstream.infer(variant, JSON.stringify({ ...request, id: request.id ?? requestId }));
    // the public answer names the variant and what went wrong, never the upstream's address or
    // text (they may tell an attacker about the network or echo internals); the operator's log has both
    if (result.kind === 'timeout') {
      status = 504;
      logUpstream(ctx, endpoint, variant, requestId, 'did not answer in time');
      sendError(res, status, `variant ${variant.name}: the model server did not answer in time`, headers);
    } else if (result.kind === 'unreachable') {
      status = 502;
      logUpstream(ctx, endpoint, variant, requestId, `unreachable (${result.error})`);
      sendError(res, status, `variant ${variant.name}: the model server is unreachable`, headers);
    } else if (result.status >= 500) {
      status = 502;
      const detail = result.body.toString('utf8').slice(0, 300);
      logUpstream(ctx, endpoint, variant, requestId, `answered ${result.status}: ${detail}`);
      sendError(
        res,
        status,
        `variant ${variant.name}: the model server failed (it answered ${result.status})`,
        headers,
      );
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
    pinned,
  });
  // pinned requests (tests, shadow checks) are not the endpoint's traffic: not captured, so they
  // count in no A/B test, drift window or live accuracy
  if (pinned) return;
  captureRequest(ctx, endpoint, variant, {
    requestId,
    inputs: request.inputs,
    outputs,
    latencyMs: Math.round(elapsed * 100_000) / 100,
    status,
  });
}

function logUpstream(
  ctx: GatewayContext,
  endpoint: EndpointState,
  variant: VariantSpec,
  requestId: string,
  what: string,
): void {
  ctx.metrics.count('mlops_gateway_upstream_errors_total', { endpoint: endpoint.name, variant: variant.name });
  ctx.log(
    `endpoint ${endpoint.name} variant ${variant.name} request ${requestId}: upstream ${withoutUserInfo(variant.upstream)} ${what.replace(/\s+/g, ' ')}`,
  );
}

/** A URL without any `user:password@` part. */
function withoutUserInfo(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '(not a URL)';
  }
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
  const endpoint = ENDPOINT_NAME.test(endpointName) ? ctx.state.get(endpointName) : undefined;
  // the credential before the body: an anonymous client gets nothing read, parsed or stored
  const token = bearerToken(req);
  if (!endpoint || !tokenMatches(token, [ctx.state.feedbackToken(endpoint.name), ctx.adminToken])) {
    req.resume();
    if (endpoint) ctx.metrics.count('mlops_gateway_feedback_refused_total', { endpoint: endpoint.name });
    // the same answer whether or not the endpoint exists: no way to probe endpoint names
    const status = token ? 403 : 401;
    return sendError(
      res,
      status,
      `authorization: feedback needs the endpoint's feedback token as \`Bearer <token>\` (${token ? 'the token given is not valid here' : 'none given'})`,
      status === 401 ? { 'www-authenticate': 'Bearer' } : {},
    );
  }
  let body: unknown;
  try {
    body = await readJson(req, ctx.maxBodyBytes);
  } catch (err) {
    if (err instanceof HttpError) return sendError(res, err.status, err.message);
    throw err;
  }
  const items = Array.isArray(body) ? body : [body];
  if (items.length === 0) return sendError(res, 400, 'body: must hold at least one { requestId, label }');
  if (items.length > MAX_FEEDBACK) return sendError(res, 400, `body: at most ${MAX_FEEDBACK} labels per request`);
  const time = new Date().toISOString();
  const records: { requestId: string; label: unknown; time: string; endpoint: string }[] = [];
  for (const [i, item] of items.entries()) {
    const at = Array.isArray(body) ? `[${i}]` : 'body';
    if (!isObject(item)) return sendError(res, 400, `${at}: must be an object { requestId, label }`);
    const { requestId, label } = item;
    if (typeof requestId !== 'string' || requestId.length === 0 || requestId.length > 512) {
      return sendError(res, 400, `${at}.requestId: must be a non-empty string of at most 512 characters`);
    }
    const labelOk =
      (typeof label === 'number' && Number.isFinite(label)) || (typeof label === 'string' && label.length <= 1024);
    if (!labelOk) return sendError(res, 400, `${at}.label: must be a finite number or a string`);
    records.push({ requestId, label, time, endpoint: endpoint.name });
  }
  // all or nothing: one id the gateway did not issue refuses the whole request
  const forged = records.findIndex((r) => !ctx.requestIds.verify(endpoint.name, r.requestId));
  if (forged >= 0) {
    const at = Array.isArray(body) ? `[${forged}]` : 'body';
    ctx.metrics.count('mlops_gateway_feedback_refused_total', { endpoint: endpoint.name }, records.length);
    return sendError(
      res,
      422,
      `${at}.requestId: ${JSON.stringify(records[forged]!.requestId.slice(0, 80))} is not a request id this gateway issued for endpoint ${endpoint.name} (send the x-request-id of the inference answer); nothing stored`,
    );
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

/** Whether this replica's endpoints are current: the store's last answer and its age. */
function syncGauges(ctx: GatewayContext): string[] {
  const sync = ctx.state.sync();
  return [
    '# HELP mlops_gateway_state_store_up 1 when the last read of the endpoints from the store succeeded, 0 while serving the last read.',
    '# TYPE mlops_gateway_state_store_up gauge',
    `mlops_gateway_state_store_up ${sync.ok ? 1 : 0}`,
    '# HELP mlops_gateway_state_age_seconds Time since the endpoints were last read from the store.',
    '# TYPE mlops_gateway_state_age_seconds gauge',
    `mlops_gateway_state_age_seconds ${Math.max(0, (Date.now() - sync.lastSyncAt) / 1000).toFixed(3)}`,
  ];
}
