/**
 * The admin API (`Authorization: Bearer <token>`; loopback only unless the gateway was started
 * with `--admin-host` beyond loopback, over TLS or behind a NetworkPolicy): endpoints with their
 * variants and weights, windowed per-variant metrics of this replica, and fault injection. JSON in,
 * JSON out. Every change is a compare-and-swap of the endpoints in the store (gateway/state.ts).
 *
 *   GET    /admin/endpoints                                   → { endpoints }
 *   GET    /admin/endpoints/<name>                            → EndpointState
 *   PUT    /admin/endpoints/<name>                            → EndpointState (revision + 1)
 *   DELETE /admin/endpoints/<name>                            → 204
 *   PUT    /admin/endpoints/<name>/weights                    → EndpointState (revision + 1)
 *   GET    /admin/endpoints/<name>/metrics?window=<seconds>   → EndpointMetrics (this replica's;
 *                                                              &samples=1: with the latencies)
 *   PUT    /admin/endpoints/<name>/variants/<variant>/fault   → EndpointState
 *   GET    /admin/endpoints/<name>/feedback-token             → { endpoint, token }
 *   POST   /admin/endpoints/<name>/feedback-token             → { endpoint, token } (a new one)
 *
 * The feedback token is what a client needs to post feedback and to pin a variant on the public
 * API; it is created with the endpoint and is never part of `EndpointState`.
 */
import { timingSafeEqual } from 'node:crypto';
import { isIPv4 } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkFault, checkPutEndpoint, checkPutWeights, ENDPOINT_NAME } from '../common/schemas/gateway-api';
import type { GatewayContext } from './context';
import { HttpError, pathSegments, readJson, sendError, sendJson } from './http-util';
import type { ChangeResult, Refusal } from './state';

const ADMIN_BODY_LIMIT = 1024 * 1024;
const MAX_WINDOW_SECONDS = 24 * 3600;

export async function handleAdmin(ctx: GatewayContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!ctx.adminBeyondLoopback && !isLoopback(req.socket.remoteAddress)) {
    req.resume();
    return sendError(res, 403, 'the admin API answers only on loopback');
  }
  if (!authorized(req, ctx.adminToken)) {
    req.resume();
    return sendError(res, 401, 'authorization: a valid `Bearer <token>` is required', {
      'www-authenticate': 'Bearer',
    });
  }
  const segments = pathSegments(req.url ?? '/', '/admin/endpoints');
  if (segments === undefined || !(req.url ?? '').match(/^\/admin\/endpoints(\/|\?|$)/)) {
    req.resume();
    return sendError(res, 404, `no such path: ${req.url ?? ''}`);
  }
  const method = req.method ?? 'GET';
  const [name, sub, variant, leaf, ...extra] = segments;
  try {
    if (name === undefined) return method === 'GET' ? await listEndpoints(ctx, req, res) : notAllowed(req, res, 'GET');
    if (!ENDPOINT_NAME.test(name)) {
      req.resume();
      return sendError(
        res,
        400,
        `endpoint: ${JSON.stringify(name)} must match [a-z0-9][a-z0-9._-]* (at most 63 characters)`,
      );
    }
    if (sub === undefined) {
      if (method === 'GET') return await getEndpoint(ctx, name, req, res);
      if (method === 'PUT') return await putEndpoint(ctx, name, req, res);
      if (method === 'DELETE') return await deleteEndpoint(ctx, name, req, res);
      return notAllowed(req, res, 'GET, PUT, DELETE');
    }
    if (sub === 'weights' && variant === undefined) {
      return method === 'PUT' ? await putWeights(ctx, name, req, res) : notAllowed(req, res, 'PUT');
    }
    if (sub === 'metrics' && variant === undefined) {
      return method === 'GET' ? endpointMetrics(ctx, name, req, res) : notAllowed(req, res, 'GET');
    }
    if (sub === 'feedback-token' && variant === undefined) {
      if (method === 'GET') return await feedbackToken(ctx, name, req, res, false);
      if (method === 'POST') return await feedbackToken(ctx, name, req, res, true);
      return notAllowed(req, res, 'GET, POST');
    }
    if (sub === 'variants' && variant !== undefined && leaf === 'fault' && extra.length === 0) {
      return method === 'PUT' ? await putFault(ctx, name, variant, req, res) : notAllowed(req, res, 'PUT');
    }
    req.resume();
    sendError(res, 404, `no such path: ${req.url ?? ''}`);
  } catch (err) {
    if (err instanceof HttpError) return sendError(res, err.status, err.message);
    throw err;
  }
}

async function listEndpoints(ctx: GatewayContext, req: IncomingMessage, res: ServerResponse) {
  req.resume();
  await ctx.state.refresh();
  sendJson(res, 200, { endpoints: ctx.state.list() });
}

async function getEndpoint(ctx: GatewayContext, name: string, req: IncomingMessage, res: ServerResponse) {
  req.resume();
  await ctx.state.refresh();
  const endpoint = ctx.state.get(name);
  if (!endpoint) return sendError(res, 404, `endpoint ${JSON.stringify(name)} not found`);
  sendJson(res, 200, endpoint);
}

async function putEndpoint(ctx: GatewayContext, name: string, req: IncomingMessage, res: ServerResponse) {
  const checked = checkPutEndpoint(await readJson(req, ADMIN_BODY_LIMIT));
  if (!checked.ok) return sendError(res, 400, checked.error);
  const { expectedRevision, ...change } = checked.value;
  const result = await ctx.state.put(name, change, expectedRevision);
  if (result.ok) {
    ctx.metrics.forget(
      name,
      change.variants.map((v) => v.name),
    );
    ctx.log(
      `endpoint ${name} revision ${result.endpoint.revision}: weights ${JSON.stringify(result.endpoint.weights)}`,
    );
  }
  answerChange(res, result);
}

async function putWeights(ctx: GatewayContext, name: string, req: IncomingMessage, res: ServerResponse) {
  const body = await readJson(req, ADMIN_BODY_LIMIT);
  // judged against the endpoint as the store has it (another replica may have changed its variants)
  const result = await ctx.state.setWeights(name, (endpoint) => checkPutWeights(body, endpoint));
  if (result.ok) {
    ctx.log(
      `endpoint ${name} revision ${result.endpoint.revision}: weights ${JSON.stringify(result.endpoint.weights)}`,
    );
  }
  answerChange(res, result);
}

async function deleteEndpoint(ctx: GatewayContext, name: string, req: IncomingMessage, res: ServerResponse) {
  req.resume();
  if (!(await ctx.state.delete(name))) return sendError(res, 404, `endpoint ${JSON.stringify(name)} not found`);
  ctx.metrics.forget(name);
  ctx.log(`endpoint ${name} deleted`);
  sendJson(res, 204, undefined);
}

function endpointMetrics(ctx: GatewayContext, name: string, req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  const endpoint = ctx.state.get(name);
  if (!endpoint) return sendError(res, 404, `endpoint ${JSON.stringify(name)} not found`);
  const raw = new URL(req.url ?? '/', 'http://admin').searchParams.get('window') ?? '60';
  const window = Number(raw);
  if (!Number.isFinite(window) || window <= 0 || window > MAX_WINDOW_SECONDS) {
    return sendError(
      res,
      400,
      `window: must be a number of seconds in (0, ${MAX_WINDOW_SECONDS}], got ${JSON.stringify(raw)}`,
    );
  }
  const names = endpoint.variants.map((v) => v.name);
  const samples = new URL(req.url ?? '/', 'http://admin').searchParams.get('samples') === '1';
  sendJson(res, 200, ctx.metrics.endpointMetrics(name, names, window, Date.now(), samples));
}

async function putFault(ctx: GatewayContext, name: string, variant: string, req: IncomingMessage, res: ServerResponse) {
  const checked = checkFault(await readJson(req, ADMIN_BODY_LIMIT));
  if (!checked.ok) return sendError(res, 400, checked.error);
  const result = await ctx.state.setFault(name, variant, checked.value);
  if (result.ok) ctx.log(`endpoint ${name} variant ${variant}: fault ${JSON.stringify(checked.value)}`);
  answerChange(res, result);
}

async function feedbackToken(
  ctx: GatewayContext,
  name: string,
  req: IncomingMessage,
  res: ServerResponse,
  rotate: boolean,
): Promise<void> {
  req.resume();
  const token = rotate ? await ctx.state.rotateFeedbackToken(name) : ctx.state.feedbackToken(name);
  if (!token) return sendError(res, 404, `endpoint ${JSON.stringify(name)} not found`);
  if (rotate) ctx.log(`endpoint ${name}: feedback token rotated`);
  sendJson(res, 200, { endpoint: name, token });
}

function answerChange(res: ServerResponse, result: ChangeResult | Refusal): void {
  if (result.ok) sendJson(res, 200, result.endpoint);
  else sendError(res, result.status, result.error);
}

function notAllowed(req: IncomingMessage, res: ServerResponse, allowed: string): void {
  req.resume();
  sendError(res, 405, `method ${req.method ?? ''} not allowed here; use ${allowed}`, { allow: allowed });
}

function authorized(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization ?? '';
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) return false;
  const given = Buffer.from(match[1]);
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Whether a socket's remote address is loopback: 127.0.0.0/8, `::1`, or 127.0.0.0/8 as `::ffff:127.x.y.z`. */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  if (address === '::1') return true;
  const v4 = address.toLowerCase().startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return isIPv4(v4) && v4.startsWith('127.');
}
