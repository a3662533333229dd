/**
 * `startGateway`: the public server (OIP v2 inference, feedback, health, /metrics) and the admin
 * server (always 127.0.0.1) around one shared context; `close()` stops taking requests, lets
 * the ones in flight finish, and flushes the capture buffers.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
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
import { GatewayState } from './state';
import { UpstreamClient } from './upstream';

export interface GatewayOptions {
  /** Where endpoints are persisted (`<home>/gateway/state.json`). */
  stateFile: string;
  /** Where captures and feedback go. */
  store: BlobStore;
  adminToken: string;
  /** @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. @default 8180 */
  port?: number;
  /** Always on 127.0.0.1; 0 picks a free port. @default 8181 */
  adminPort?: number;
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
  port: number;
  adminPort: number;
  context: GatewayContext;
  /** Stops both servers, waits for requests in flight, flushes captures. Idempotent. */
  close(): Promise<void>;
}

/** Loads the state and starts both servers; resolves once both listen. */
export async function startGateway(opts: GatewayOptions): Promise<RunningGateway> {
  const write = opts.log ?? ((line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`));
  const state = GatewayState.load(opts.stateFile);
  // the log may quote upstream answers: no token or secret of the environment gets through
  const secrets = secretValues(process.env, [opts.adminToken]);
  const log = (line: string) => write(redact(redact(line, secrets), state.allFeedbackTokens()));
  const metrics = new GatewayMetrics();
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
  const adminServer = http.createServer(timeouts, serve(handleAdmin));
  adminServer.maxConnections = 256;
  for (const server of [publicServer, adminServer]) {
    server.on('clientError', (_err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      else socket.destroy();
    });
  }
  const host = opts.host ?? GATEWAY_DEFAULTS.host;
  const port = await listen(publicServer, opts.port ?? GATEWAY_DEFAULTS.port, host);
  let adminPort: number;
  try {
    adminPort = await listen(adminServer, opts.adminPort ?? GATEWAY_DEFAULTS.adminPort, '127.0.0.1');
  } catch (err) {
    publicServer.close();
    await ctx.capture.close();
    throw err;
  }
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
      await ctx.capture.close();
      ctx.upstream.close();
    })());

  return {
    url: `http://${urlHost}:${port}`,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    port,
    adminPort,
    context: ctx,
    close,
  };
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
