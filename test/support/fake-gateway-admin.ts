/**
 * Fake of the inference gateway's admin API (activities/serving/gateway.ts `GatewayAdmin`; the real
 * one is `GatewayAdminClient` over HTTP to gateway/): endpoints in memory, with revisions and the
 * 409 a stale `expectedRevision` gets, and `conflicts` to make the next puts fail as if another
 * writer had won. It stands in for the gateway so that `LocalServingBackend`'s bookkeeping and
 * retries on a conflict are tested without a gateway process; test/gateway/ tests the real API.
 */
import type { GatewayAdmin, GatewayEndpoint } from '../../activities/serving';

/** An in-memory gateway admin API: revisions, 409 on a stale one. */
export class FakeGatewayAdmin implements GatewayAdmin {
  readonly endpoints = new Map<string, GatewayEndpoint>();
  /** How many of the next puts fail with 409, whatever their revision. */
  conflicts = 0;

  async listEndpoints() {
    return [...this.endpoints.values()];
  }

  async getEndpoint(name: string) {
    const e = this.endpoints.get(name);
    return e && structuredClone(e);
  }

  async putEndpoint(
    name: string,
    body: { variants: GatewayEndpoint['variants']; weights: Record<string, number>; expectedRevision?: number },
  ) {
    const revision = this.endpoints.get(name)?.revision ?? 0;
    if (this.conflicts > 0 || (body.expectedRevision !== undefined && body.expectedRevision !== revision)) {
      this.conflicts = Math.max(0, this.conflicts - 1);
      throw Object.assign(new Error('409 stale revision'), { status: 409 });
    }
    const next = { name, revision: revision + 1, variants: body.variants, weights: body.weights };
    this.endpoints.set(name, next);
    return structuredClone(next);
  }

  async setWeights(name: string, weights: Record<string, number>, expectedRevision?: number) {
    const current = this.endpoints.get(name)!;
    return this.putEndpoint(name, { variants: current.variants, weights, expectedRevision });
  }

  async deleteEndpoint(name: string) {
    return this.endpoints.delete(name);
  }

  async metrics() {
    return { window: 60, variants: {} };
  }
}
