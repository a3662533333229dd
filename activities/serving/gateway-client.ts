/** `GatewayAdminClient`: a typed client of the gateway's admin API (what the serving backend uses). */
import { GatewayAdminError } from '../../common/failures';
import type { EndpointMetrics, EndpointState, Fault, PutEndpointBody } from '../../common/schemas/gateway-api';

export { GatewayAdminError };

export interface GatewayAdminClientOptions {
  /** e.g. `http://127.0.0.1:8181` */
  adminUrl: string;
  token: string;
  /** Per-call timeout. @default 10_000 */
  timeoutMs?: number;
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

  /** Per-variant figures over the last `windowSeconds`. */
  metrics(name: string, windowSeconds: number): Promise<EndpointMetrics> {
    return this.call<EndpointMetrics>(
      'GET',
      `${endpointPath(name)}/metrics?window=${encodeURIComponent(windowSeconds)}`,
    );
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

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.opts.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
      });
    } catch (err) {
      throw new GatewayAdminError(0, `gateway admin API at ${this.base} unreachable: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const text = await res.text();
    if (!res.ok) {
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
}

function endpointPath(name: string): string {
  return `/admin/endpoints/${encodeURIComponent(name)}`;
}
