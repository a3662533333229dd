/**
 * Forwarding one inference request to a variant's upstream (`POST <upstream>/v2/models/<model>/infer`)
 * over keep-alive connections. The result is a value, never a throw: a reply (any status), a
 * connection failure, or a timeout.
 */
import http from 'node:http';
import https from 'node:https';
import { urlToHttpOptions } from 'node:url';
import type { VariantSpec } from '../common/schemas/gateway-api';

export type UpstreamResult =
  | { kind: 'reply'; status: number; body: Buffer; contentType: string | undefined }
  | { kind: 'unreachable'; error: string }
  | { kind: 'timeout' };

interface Target {
  options: http.RequestOptions;
  secure: boolean;
}

/** Upstream targets remembered at most (endpoints × variants; more than any gateway routes). */
const MAX_TARGETS = 4096;
/** Biggest upstream answer the gateway relays. */
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

export class UpstreamClient {
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64 });

  /** Parsed request targets by upstream and model: the URL is not parsed again for every request. */
  private readonly targets = new Map<string, Target>();

  constructor(private readonly timeoutMs: number) {}

  infer(variant: VariantSpec, body: string | Buffer): Promise<UpstreamResult> {
    const { options, secure } = this.target(variant);
    return new Promise((resolve) => {
      let settled = false;
      const finish = (result: UpstreamResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(result);
      };
      const req = (secure ? https : http).request(
        {
          ...options,
          method: 'POST',
          agent: secure ? this.httpsAgent : this.httpAgent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_RESPONSE_BYTES) {
              req.destroy();
              finish({ kind: 'unreachable', error: `answer larger than ${MAX_RESPONSE_BYTES} bytes` });
            } else chunks.push(chunk);
          });
          res.on('end', () =>
            finish({
              kind: 'reply',
              status: res.statusCode ?? 502,
              body: Buffer.concat(chunks),
              contentType: res.headers['content-type'],
            }),
          );
          res.on('error', (err) => finish({ kind: 'unreachable', error: err.message }));
        },
      );
      const timer = setTimeout(() => {
        finish({ kind: 'timeout' });
        req.destroy();
      }, this.timeoutMs);
      req.on('error', (err) => finish({ kind: 'unreachable', error: err.message }));
      req.end(body);
    });
  }

  private target(variant: VariantSpec): Target {
    const key = `${variant.upstream}\n${variant.modelName}`;
    let target = this.targets.get(key);
    if (!target) {
      const url = new URL(`${variant.upstream}/v2/models/${encodeURIComponent(variant.modelName)}/infer`);
      target = { options: urlToHttpOptions(url), secure: url.protocol === 'https:' };
      if (this.targets.size >= MAX_TARGETS) this.targets.clear();
      this.targets.set(key, target);
    }
    return target;
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
