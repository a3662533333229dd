/**
 * The codec server the Temporal UI (and `temporal --codec-endpoint`) calls to read encrypted
 * payloads: `POST /decode` and `POST /encode` with `{ "payloads": [{ "metadata": { k: base64 },
 * "data": base64 }] }`, answered in the same shape. Whoever it answers reads every payload, so
 * it answers only a request that passes, in this order:
 *
 * - Host: an IP literal, `localhost`, or a name in `allowedHosts` (421 otherwise): a page that
 *   rebinds its own domain name to this address still sends its own name.
 * - Origin: absent (not a browser) or in `corsOrigins` (403, no CORS headers otherwise); CORS
 *   preflights are answered for those origins only.
 * - The token: `Authorization: Bearer <token>`, or the path segment before the route
 *   (`…/<token>/decode`) for clients that cannot send a header (the dev server's UI); compared in
 *   constant time (401).
 * - `Content-Type: application/json` (415 otherwise): a cross-site "simple" request (text/plain,
 *   no preflight) never reaches the codec.
 *
 * A payload the codec refuses gets a bare 400 "cannot decode" (or "cannot encode"); why is
 * written to `log` only, with the token masked.
 *
 * With a `reports` store it also serves the store's HTML reports read-only, `GET /reports/<key>`
 * (./reports.ts), for the browser that cannot open `s3://`: after the Host and Origin checks, and
 * without the token (a link in a terminal cannot carry a header, and a token in a printed URL would
 * leak it); reports hold metrics and feature names, not payloads. Without a `codec` it serves the
 * reports only.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { BlobStore } from '../activities/storage/types';
import { isReportPath, serveReport } from './reports';

export interface CodecServerOptions {
  /** Absent: no `/encode` or `/decode` (a server of reports only). */
  codec?: PayloadCodec;
  /** The store whose reports `GET /reports/<key>` serves; absent: no report route. */
  reports?: BlobStore;
  /** The bearer token every `/encode` and `/decode` must present (lib/codec/token.ts). */
  token: string;
  /** @default '127.0.0.1' */
  host?: string;
  /** 0: a free port. @default 8888 */
  port?: number;
  /** Origins allowed to call from a browser, e.g. the UI's `http://127.0.0.1:8233`. */
  corsOrigins: readonly string[];
  /** Host names (besides IP literals and `localhost`) clients may address it by, e.g. behind a proxy. @default [] */
  allowedHosts?: readonly string[];
  /** Largest request body. @default 4 MiB */
  maxBodyBytes?: number;
  /** Where refusals and codec errors are told (never the token). @default nowhere */
  log?: (line: string) => void;
}

export interface RunningCodecServer {
  url: string;
  /** `url` with the token as its path: the endpoint for a UI that cannot send an Authorization header. */
  uiEndpoint: string;
  close(): Promise<void>;
}

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

const ALLOWED_HEADERS = 'content-type, x-namespace, authorization, authorization-extras';

export async function startCodecServer(opts: CodecServerOptions): Promise<RunningCodecServer> {
  const maxBody = opts.maxBodyBytes ?? 4 * 1024 * 1024;
  const log = opts.log ?? (() => undefined);
  const tokenDigest = digest(opts.token);
  const allowedHosts = new Set(['localhost', ...(opts.allowedHosts ?? []).map((h) => h.toLowerCase())]);
  const redact = (text: string) => text.split(opts.token).join('***');

  const server = http.createServer((req, res) => {
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
      res.end(JSON.stringify(body));
    };
    const refuse = (status: number, error: string, why: string, headers?: Record<string, string>) => {
      log(`refused ${req.method ?? '?'} with ${status}: ${why}`);
      req.resume();
      send(status, { error }, headers);
    };

    if (!hostAllowed(req.headers.host, allowedHosts))
      return refuse(421, 'misdirected request', `Host ${JSON.stringify(req.headers.host ?? '')} is not this server`);
    const origin = req.headers.origin;
    if (origin !== undefined && !opts.corsOrigins.includes(origin))
      return refuse(403, 'origin not allowed', `Origin ${JSON.stringify(origin)} is not in the allowed origins`);
    if (origin !== undefined) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-allow-credentials', 'true');
      res.setHeader('vary', 'origin');
    }
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'access-control-allow-methods': 'POST, OPTIONS',
        'access-control-allow-headers': ALLOWED_HEADERS,
        'access-control-max-age': '600',
      });
      res.end();
      return;
    }

    const pathname = (req.url ?? '').split('?')[0]!;
    if (opts.reports && isReportPath(pathname)) return void serveReport(opts.reports, req, res, pathname, log);
    const segments = pathname.split('/').filter(Boolean);
    const route = segments.at(-1);
    const codec = opts.codec;
    if ((route !== 'encode' && route !== 'decode') || !codec) {
      req.resume();
      return send(404, { error: codec ? 'POST /encode or /decode' : 'no codec keys: this server serves reports only' });
    }
    if (req.method !== 'POST') {
      req.resume();
      return send(405, { error: 'use POST' }, { allow: 'POST, OPTIONS' });
    }
    // the path form: the segment before the route (a proxy may mount the endpoint under a prefix)
    const presented = [bearer(req.headers.authorization), segments.at(-2)];
    if (!presented.some((t) => t !== undefined && matches(t, tokenDigest)))
      return refuse(
        401,
        'a bearer token is required',
        presented.some((t) => t !== undefined) ? 'wrong token' : 'no token',
        { 'www-authenticate': 'Bearer' },
      );
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json')
      return refuse(415, 'Content-Type must be application/json', `Content-Type ${JSON.stringify(type)}`);

    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBody) chunks.push(chunk);
    });
    req.on('end', () => {
      void (async () => {
        if (size > maxBody) return send(413, { error: `body: larger than ${maxBody} bytes` });
        let body: { payloads?: unknown };
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { payloads?: unknown };
        } catch {
          return send(400, { error: 'body: not JSON' });
        }
        if (typeof body !== 'object' || body === null || !Array.isArray(body.payloads))
          return send(400, { error: 'payloads: must be an array' });
        try {
          const payloads = (body.payloads as JsonPayload[]).map(fromJson);
          const out = route === 'encode' ? await codec.encode(payloads) : await codec.decode(payloads);
          send(200, { payloads: out.map(toJson) });
        } catch (err) {
          log(
            `${route} of ${body.payloads.length} payload(s) failed: ${redact(String((err as Error)?.message ?? err))}`,
          );
          send(400, { error: `cannot ${route}` });
        }
      })();
    });
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8888, opts.host ?? '127.0.0.1', resolve);
  });
  const address = server.address() as AddressInfo;
  const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${hostPart}:${address.port}`;
  return {
    url,
    uiEndpoint: `${url}/${opts.token}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Whether a Host header names this server: an IP literal, or an allowed name; any port. */
function hostAllowed(header: string | undefined, names: ReadonlySet<string>): boolean {
  if (header === undefined || header === '') return false;
  const v6 = /^\[([0-9a-f:.]+)\](?::\d+)?$/i.exec(header);
  if (v6) return net.isIPv6(v6[1]!);
  const name = header.replace(/:\d+$/, '').toLowerCase();
  return net.isIPv4(name) || names.has(name);
}

function bearer(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Constant-time comparison: both sides hashed to the same length first. */
function matches(candidate: string, expected: Buffer): boolean {
  return timingSafeEqual(digest(candidate), expected);
}

function fromJson(p: JsonPayload): Payload {
  if (typeof p !== 'object' || p === null) throw new Error('a payload is not an object');
  return {
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(String(v), 'base64')]),
    ),
    data: Buffer.from(String(p.data ?? ''), 'base64'),
  };
}

function toJson(p: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')]),
    ),
    data: Buffer.from(p.data ?? []).toString('base64'),
  };
}
