/**
 * `startGateway`: the public server (OIP v2 inference, feedback, health, /metrics) and the admin
 * server (always 127.0.0.1) around one shared context; `close()` stops taking requests, lets
 * the ones in flight finish, and flushes the capture buffers.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BlobStore } from '../activities/storage/types';
import { handleAdmin } from './admin-api';
import { CaptureWriter } from './capture';
import type { GatewayContext } from './context';
import { sendError } from './http-util';
import { GatewayMetrics } from './metrics';
import { handlePublic } from './public-api';
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
  /** Records buffered for the store at most before new ones are dropped. @default 10_000 */
  maxCaptureRecords?: number;
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
  const log = opts.log ?? ((line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`));
  const metrics = new GatewayMetrics();
  const ctx: GatewayContext = {
    state: GatewayState.load(opts.stateFile),
    metrics,
    capture: new CaptureWriter({ store: opts.store, metrics, maxBufferedRecords: opts.maxCaptureRecords, log }),
    upstream: new UpstreamClient(opts.upstreamTimeoutMs ?? GATEWAY_DEFAULTS.upstreamTimeoutMs),
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
      handler(ctx, req, res).catch((err: unknown) => {
        log(`unexpected error on ${req.method ?? ''} ${req.url ?? ''}: ${(err as Error)?.stack ?? String(err)}`);
        sendError(res, 500, 'internal error in the gateway');
      });
    };
  const publicServer = http.createServer({ keepAliveTimeout: 65_000 }, serve(handlePublic));
  const adminServer = http.createServer(serve(handleAdmin));
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
