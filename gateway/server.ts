/**
 * `startGateway`: the public server (OIP v2 inference, feedback, health, /metrics) and the admin
 * server (127.0.0.1 unless `adminHost` says otherwise, then over TLS or behind a NetworkPolicy)
 * around one shared context. The endpoints live in the store and every replica follows them
 * (./state.ts); each replica records itself in the store (./replica.ts) so its metrics can be read
 * and summed. `close()` stops taking requests, lets the ones in flight finish, flushes the capture
 * buffers and removes the replica's record.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { isIP, type AddressInfo } from 'node:net';
import { UserError } from '../common/errors';
import { redact, secretValues } from '../lib/redact';
import type { BlobStore } from '../activities/storage/types';
import { handleAdmin } from './admin-api';
import { CaptureWriter, DEFAULT_CAPTURE_BUFFER_BYTES } from './capture';
import { RequestIds } from './credentials';
import type { GatewayContext } from './context';
import { sendError } from './http-util';
import { GatewayMetrics } from './metrics';
import { handlePublic } from './public-api';
import { RateLimiter } from './rate-limit';
import { ReplicaHeartbeat } from './replica';
import { GatewayState } from './state';
import { UpstreamClient } from './upstream';

export interface GatewayOptions {
  /**
   * An older gateway's state file (`<home>/gateway/state.json`): imported once when the store has
   * no endpoints yet, then renamed to `state.json.imported`.
   */
  stateFile?: string;
  /** Where the endpoints, the replicas' records, captures and feedback live. */
  store: BlobStore;
  adminToken: string;
  /** @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. @default 8180 */
  port?: number;
  /** 0 picks a free port. @default 8181 */
  adminPort?: number;
  /**
   * Address of the admin API. @default '127.0.0.1'. Beyond loopback only with `adminTls` (HTTPS)
   * or `adminBehindNetworkPolicy` (plain HTTP, the network keeps others out); otherwise refused.
   */
  adminHost?: string;
  /** PEM certificate chain and key: the admin API answers HTTPS. */
  adminTls?: { cert: string | Buffer; key: string | Buffer };
  /** The admin API may answer plain HTTP beyond loopback: a NetworkPolicy lets only workers reach it. */
  adminBehindNetworkPolicy?: boolean;
  /** The admin URL other processes reach this replica at. @default `http(s)://127.0.0.1:<adminPort>` */
  advertiseUrl?: string;
  /** This replica's id in the store. @default a random one */
  replicaId?: string;
  /** How often the endpoints' etag is read from the store. @default 250 */
  followIntervalMs?: number;
  /** @default 1 MiB */
  maxBodyBytes?: number;
  /** @default 10_000 */
  upstreamTimeoutMs?: number;
  /** Records buffered for the store at most before new ones are dropped. @default 100_000 */
  maxCaptureRecords?: number;
  /** Serialized capture and feedback bytes buffered for the store at most before new ones are dropped. @default 64 MiB */
  captureBufferBytes?: number;
  /** Connections the public server holds at once; more are closed on arrival. @default 1024 */
  maxConnections?: number;
  /** Time a client has to send the request headers. @default 10_000 */
  headersTimeoutMs?: number;
  /** Time a client has to send the whole request. @default 30_000 */
  requestTimeoutMs?: number;
  /** Idle time after which a keep-alive connection is closed. @default 5_000 */
  keepAliveTimeoutMs?: number;
  /** Per-client (remote address) requests per second on the public server; 0: no limit. @default 200 */
  rateLimitPerSecond?: number;
  /** Requests a client may send at once after idling. @default 400 */
  rateLimitBurst?: number;
  /** Clients the rate limiter remembers at most (least recently seen forgotten first). @default 10_000 */
  rateLimitClients?: number;
  /** How long `close()` waits for requests in flight. @default 10_000 */
  drainMs?: number;
  log?: (line: string) => void;
  random?: () => number;
}

/** Defaults of the gateway's ports and limits. */
export const GATEWAY_DEFAULTS = {
  host: '127.0.0.1',
  port: 8180,
  adminPort: 8181,
  maxBodyBytes: 1024 * 1024,
  upstreamTimeoutMs: 10_000,
  captureBufferBytes: DEFAULT_CAPTURE_BUFFER_BYTES,
  maxConnections: 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  rateLimitPerSecond: 200,
  rateLimitBurst: 400,
  rateLimitClients: 10_000,
} as const;

export interface RunningGateway {
  /** e.g. `http://127.0.0.1:8180` */
  url: string;
  /** e.g. `http://127.0.0.1:8181` */
  adminUrl: string;
  /** The admin URL recorded for other processes (`advertiseUrl`). */
  advertiseUrl: string;
  replicaId: string;
  port: number;
  adminPort: number;
  context: GatewayContext;
  /** Stops both servers, waits for requests in flight, flushes captures. Idempotent. */
  close(): Promise<void>;
}

/** Loads the state and starts both servers; resolves once both listen. */
export async function startGateway(opts: GatewayOptions): Promise<RunningGateway> {
  const write = opts.log ?? ((line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`));
  const adminHost = opts.adminHost ?? GATEWAY_DEFAULTS.host;
  const beyondLoopback = !isLoopbackHost(adminHost);
  const refused = adminHostProblem(adminHost, opts.adminTls !== undefined, opts.adminBehindNetworkPolicy === true);
  if (refused) throw new UserError(refused, 2);
  // the log may quote upstream answers: no token or secret of the environment gets through
  const secrets = secretValues(process.env, [opts.adminToken]);
  // the feedback tokens too, once the state is read
  const feedbackTokens = { all: (): string[] => [] };
  const log = (line: string) => write(redact(redact(line, secrets), feedbackTokens.all()));
  const metrics = new GatewayMetrics();
  const state = await GatewayState.open({
    store: opts.store,
    legacyFile: opts.stateFile,
    log,
    // another replica's change: forget the windows of variants and endpoints that are gone
    onReplaced: (before, after) => {
      for (const old of before) {
        const now = after.find((e) => e.name === old.name);
        metrics.forget(old.name, now ? now.variants.map((v) => v.name) : []);
      }
    },
  });
  feedbackTokens.all = () => state.allFeedbackTokens();
  const d = GATEWAY_DEFAULTS;
  const ctx: GatewayContext = {
    state,
    metrics,
    capture: new CaptureWriter({
      store: opts.store,
      metrics,
      maxBufferedRecords: opts.maxCaptureRecords,
      maxBufferedBytes: opts.captureBufferBytes ?? d.captureBufferBytes,
      log,
    }),
    upstream: new UpstreamClient(opts.upstreamTimeoutMs ?? GATEWAY_DEFAULTS.upstreamTimeoutMs),
    requestIds: new RequestIds(opts.adminToken),
    rateLimit: new RateLimiter({
      perSecond: opts.rateLimitPerSecond ?? d.rateLimitPerSecond,
      burst: opts.rateLimitBurst ?? d.rateLimitBurst,
      maxClients: opts.rateLimitClients ?? d.rateLimitClients,
    }),
    maxBodyBytes: opts.maxBodyBytes ?? GATEWAY_DEFAULTS.maxBodyBytes,
    adminToken: opts.adminToken,
    adminBeyondLoopback: beyondLoopback,
    ready: false,
    random: opts.random ?? Math.random,
    log,
  };
  let inFlight = 0;
  let drained: (() => void) | undefined;
  const serve =
    (handler: typeof handlePublic) =>
    (req: http.IncomingMessage, res: http.ServerResponse): void => {
      inFlight++;
      res.on('close', () => {
        inFlight--;
        if (inFlight === 0) drained?.();
      });
      let pending: Promise<void>;
      try {
        pending = handler(ctx, req, res);
      } catch (err) {
        pending = Promise.reject(err);
      }
      pending.catch((err: unknown) => {
        try {
          log(
            `unexpected error on ${req.method ?? ''} ${(req.url ?? '').slice(0, 200)}: ${(err as Error)?.stack ?? String(err)}`,
          );
          sendError(res, 500, 'internal error in the gateway');
        } catch {
          res.destroy();
        }
      });
    };
  const requestTimeout = opts.requestTimeoutMs ?? d.requestTimeoutMs;
  const timeouts = {
    // Node requires headersTimeout ≤ requestTimeout: the headers are part of the request
    headersTimeout: Math.min(opts.headersTimeoutMs ?? d.headersTimeoutMs, requestTimeout),
    requestTimeout,
    keepAliveTimeout: opts.keepAliveTimeoutMs ?? d.keepAliveTimeoutMs,
    // how often Node checks the header and request timeouts (its default, 30 s, would let a
    // slow client hold a connection three times longer than headersTimeout)
    connectionsCheckingInterval: Math.max(100, Math.min(1000, (opts.headersTimeoutMs ?? d.headersTimeoutMs) / 4)),
  };
  const publicServer = http.createServer(timeouts, serve(handlePublic));
  publicServer.maxConnections = opts.maxConnections ?? d.maxConnections;
  publicServer.on('drop', () => metrics.count('mlops_gateway_connections_refused_total', {}));
  const adminServer = opts.adminTls
    ? https.createServer({ ...timeouts, cert: opts.adminTls.cert, key: opts.adminTls.key }, serve(handleAdmin))
    : http.createServer(timeouts, serve(handleAdmin));
  adminServer.maxConnections = 256;
  for (const server of [publicServer, adminServer]) {
    server.on('clientError', (_err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      else socket.destroy();
    });
  }
  const host = opts.host ?? GATEWAY_DEFAULTS.host;
  let port: number;
  try {
    port = await listen(publicServer, opts.port ?? GATEWAY_DEFAULTS.port, host);
  } catch (err) {
    await ctx.capture.close();
    throw err;
  }
  let adminPort: number;
  try {
    adminPort = await listen(adminServer, opts.adminPort ?? GATEWAY_DEFAULTS.adminPort, adminHost);
  } catch (err) {
    publicServer.close();
    await ctx.capture.close();
    throw err;
  }
  const scheme = opts.adminTls ? 'https' : 'http';
  const adminUrl = `${scheme}://127.0.0.1:${adminPort}`;
  const advertiseUrl = (opts.advertiseUrl ?? adminUrl).replace(/\/+$/, '');
  const replicaId = opts.replicaId ?? randomUUID();
  const heartbeat = new ReplicaHeartbeat(opts.store, replicaId, advertiseUrl, log);
  await heartbeat.start();
  state.follow(opts.followIntervalMs);
  ctx.ready = true;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      ctx.ready = false;
      const stopped = Promise.all([publicServer, adminServer].map((s) => new Promise((r) => s.close(r))));
      for (const s of [publicServer, adminServer]) s.closeIdleConnections();
      if (inFlight > 0) {
        await Promise.race([
          new Promise<void>((r) => (drained = r)),
          new Promise((r) => setTimeout(r, opts.drainMs ?? 10_000).unref()),
        ]);
      }
      for (const s of [publicServer, adminServer]) s.closeAllConnections();
      await stopped;
      state.stop();
      await ctx.capture.close();
      await heartbeat.stop();
      ctx.upstream.close();
    })());

  return {
    url: `http://${urlHost}:${port}`,
    adminUrl,
    advertiseUrl,
    replicaId,
    port,
    adminPort,
    context: ctx,
    close,
  };
}

/**
 * Why the admin API may not listen on `host`, or `undefined` when it may: beyond loopback it
 * needs TLS, or the operator's word that a NetworkPolicy keeps everyone but the workers out.
 */
export function adminHostProblem(host: string, tls: boolean, behindNetworkPolicy: boolean): string | undefined {
  if (isLoopbackHost(host) || tls || behindNetworkPolicy) return undefined;
  return (
    `--admin-host ${host}: the admin API listens beyond loopback only over TLS (--admin-tls-cert and ` +
    `--admin-tls-key) or with --admin-behind-network-policy (a NetworkPolicy lets only workers reach the admin port)`
  );
}

/** Whether a listening address stays on this host: `localhost`, 127.0.0.0/8 or `::1`. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
