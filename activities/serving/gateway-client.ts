/**
 * `GatewayAdminClient`: a typed client of the gateway's admin API (what the serving backend uses).
 * Over http, or https with a CA of its own (`ca`, from MLOPS_GATEWAY_ADMIN_CA) for a self-signed
 * certificate. Given the store, `metrics` reads every live gateway replica (./gateway-replicas.ts)
 * and sums their windows; without it, or while no replica has recorded itself, it reads `adminUrl`.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { UserError } from '../../common/errors';
import { GatewayAdminError } from '../../common/failures';
import type { EndpointMetrics, EndpointState, Fault, PutEndpointBody } from '../../common/schemas/gateway-api';
import type { GatewayConfig } from '../../lib/config/schema';
import type { BlobStore } from '../storage/types';
import { liveReplicas, mergeReplicaMetrics, type ReplicaVariantMetrics } from './gateway-replicas';

export { GatewayAdminError };

export interface GatewayAdminClientOptions {
  /** e.g. `http://127.0.0.1:8181` */
  adminUrl: string;
  token: string;
  /** Per-call timeout. @default 10_000 */
  timeoutMs?: number;
  /** PEM of the CA(s) an https admin API's certificate is checked against (instead of the system's). */
  ca?: string | Buffer;
  /** The store the gateway replicas record themselves in: `metrics` sums every live replica's. */
  store?: BlobStore;
}

/** The client of the configured gateway: its CA file read, the replicas found through `store`. */
export function gatewayAdminFromConfig(gateway: GatewayConfig, store?: BlobStore): GatewayAdminClient {
  let ca: Buffer | undefined;
  if (gateway.adminCaFile) {
    try {
      ca = fs.readFileSync(gateway.adminCaFile);
    } catch (err) {
      throw new UserError(
        `MLOPS_GATEWAY_ADMIN_CA: cannot read ${gateway.adminCaFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        2,
      );
    }
  }
  return new GatewayAdminClient({
    adminUrl: gateway.adminUrl,
    token: gateway.token,
    ...(ca ? { ca } : {}),
    ...(store ? { store } : {}),
  });
}

export class GatewayAdminClient {
  private readonly base: string;

  constructor(private readonly opts: GatewayAdminClientOptions) {
    this.base = opts.adminUrl.replace(/\/+$/, '');
  }

  async listEndpoints(): Promise<EndpointState[]> {
    return (await this.call<{ endpoints: EndpointState[] }>('GET', '/admin/endpoints')).endpoints;
  }

  /** The endpoint, or `undefined` when the gateway has none of that name. */
  async getEndpoint(name: string): Promise<EndpointState | undefined> {
    try {
      return await this.call<EndpointState>('GET', endpointPath(name));
    } catch (err) {
      if (err instanceof GatewayAdminError && err.status === 404) return undefined;
      throw err;
    }
  }

  /** Sets variants, weights and capture atomically; a stale `expectedRevision` throws with status 409. */
  putEndpoint(name: string, body: PutEndpointBody): Promise<EndpointState> {
    return this.call<EndpointState>('PUT', endpointPath(name), body);
  }

  /** Changes only the weights (integers summing to 100 over the endpoint's variants). */
  setWeights(name: string, weights: Record<string, number>, expectedRevision?: number): Promise<EndpointState> {
    return this.call<EndpointState>('PUT', `${endpointPath(name)}/weights`, {
      weights,
      ...(expectedRevision === undefined ? {} : { expectedRevision }),
    });
  }

  /** Deletes the endpoint; `false` when it did not exist. */
  async deleteEndpoint(name: string): Promise<boolean> {
    try {
      await this.call<undefined>('DELETE', endpointPath(name));
      return true;
    } catch (err) {
      if (err instanceof GatewayAdminError && err.status === 404) return false;
      throw err;
    }
  }

  /**
   * Per-variant figures over the last `windowSeconds`, summed over the live gateway replicas when
   * the client knows the store (a replica that does not answer is left out; none answering throws).
   */
  async metrics(name: string, windowSeconds: number): Promise<EndpointMetrics> {
    const path = `${endpointPath(name)}/metrics?window=${encodeURIComponent(windowSeconds)}`;
    const replicas = this.opts.store ? await liveReplicas(this.opts.store) : [];
    if (replicas.length === 0) return this.call<EndpointMetrics>('GET', path);
    const answers = await Promise.allSettled(
      replicas.map((r) =>
        this.call<{ variants: Record<string, ReplicaVariantMetrics> }>(
          'GET',
          `${path}&samples=1`,
          undefined,
          r.adminUrl,
        ),
      ),
    );
    const parts = answers.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
    if (parts.length === 0) {
      // every replica failed: the first failure that is not a 404 (a replica yet to read a new endpoint)
      const failures = answers.map((a) => (a as PromiseRejectedResult).reason as GatewayAdminError);
      throw failures.find((e) => e.status !== 404) ?? failures[0];
    }
    return mergeReplicaMetrics(windowSeconds, parts);
  }

  /** Injects a fault on one variant; `{}` clears it. */
  setFault(name: string, variant: string, fault: Fault): Promise<EndpointState> {
    return this.call<EndpointState>(
      'PUT',
      `${endpointPath(name)}/variants/${encodeURIComponent(variant)}/fault`,
      fault,
    );
  }

  /**
   * The endpoint's feedback token: what a client of the public API sends (`authorization: Bearer …`)
   * to post feedback or pin a variant. `rotate` replaces it first (the old one stops working).
   */
  async feedbackToken(name: string, rotate = false): Promise<string> {
    const answer = await this.call<{ token: string }>(rotate ? 'POST' : 'GET', `${endpointPath(name)}/feedback-token`);
    return answer.token;
  }

  private async call<T>(method: string, path: string, body?: unknown, base = this.base): Promise<T> {
    let res: { status: number; text: string };
    try {
      res = await this.request(method, `${base.replace(/\/+$/, '')}${path}`, body);
    } catch (err) {
      throw new GatewayAdminError(0, `gateway admin API at ${base} unreachable: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const text = res.text;
    if (res.status < 200 || res.status > 299) {
      let message = text;
      try {
        message = (JSON.parse(text) as { error?: string }).error ?? text;
      } catch {
        // not JSON: keep the text
      }
      throw new GatewayAdminError(res.status, `${method} ${path}: ${res.status} ${message}`);
    }
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  /** One HTTP(S) exchange with the whole answer read; rejects when the server cannot be reached in time. */
  private request(method: string, url: string, body?: unknown): Promise<{ status: number; text: string }> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    return new Promise((resolve, reject) => {
      const req = (secure ? https : http).request(
        target,
        {
          method,
          headers: {
            authorization: `Bearer ${this.opts.token}`,
            ...(payload === undefined
              ? {}
              : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
          },
          timeout: this.opts.timeoutMs ?? 10_000,
          ...(secure && this.opts.ca ? { ca: this.opts.ca } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.opts.timeoutMs ?? 10_000} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }
}

function endpointPath(name: string): string {
  return `/admin/endpoints/${encodeURIComponent(name)}`;
}
