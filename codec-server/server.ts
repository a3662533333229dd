/**
 * The codec server the Temporal UI (and `temporal --codec-endpoint`) calls to read encrypted
 * payloads: `POST /decode` and `POST /encode` with `{ "payloads": [{ "metadata": { k: base64 },
 * "data": base64 }] }`, answered in the same shape. CORS lets the UI's origin call it from the
 * browser. It listens on loopback unless told otherwise: whoever reaches it reads every payload.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** @default '127.0.0.1' */
  host?: string;
  /** 0: a free port. @default 8888 */
  port?: number;
  /** Origins allowed to call from a browser, e.g. the UI's `http://127.0.0.1:8233`. */
  corsOrigins: readonly string[];
  /** Largest request body. @default 4 MiB */
  maxBodyBytes?: number;
}

export interface RunningCodecServer {
  url: string;
  close(): Promise<void>;
}

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

export async function startCodecServer(opts: CodecServerOptions): Promise<RunningCodecServer> {
  const maxBody = opts.maxBodyBytes ?? 4 * 1024 * 1024;
  const server = http.createServer((req, res) => {
    const origin = req.headers.origin;
    if (origin && opts.corsOrigins.includes(origin)) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-allow-methods', 'POST, OPTIONS');
      res.setHeader('access-control-allow-headers', 'content-type, x-namespace, authorization');
      res.setHeader('vary', 'origin');
    }
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'OPTIONS') {
      res.writeHead(204);
      res.end();
      return;
    }
    const route = req.url?.split('?')[0]?.replace(/\/+$/, '');
    if (route !== '/encode' && route !== '/decode') return send(404, { error: 'POST /encode or /decode' });
    if (req.method !== 'POST') return send(405, { error: `method ${req.method} not allowed; use POST` });
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
        if (!Array.isArray(body.payloads)) return send(400, { error: 'payloads: must be an array' });
        try {
          const payloads = (body.payloads as JsonPayload[]).map(fromJson);
          const out = route === '/encode' ? await opts.codec.encode(payloads) : await opts.codec.decode(payloads);
          send(200, { payloads: out.map(toJson) });
        } catch (err) {
          send(400, { error: (err as Error).message });
        }
      })();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8888, opts.host ?? '127.0.0.1', resolve);
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.address}:${address.port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function fromJson(p: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(p.data ?? '', 'base64'),
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
