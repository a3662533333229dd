/**
 * Per-client rate limit of the public API: one token bucket per remote address. Hand-written
 * rather than a dependency because the gateway is plain `node:http` and the whole limiter is a
 * map and two numbers per client; what matters here is that its own memory is bounded too.
 *
 * A bucket holds at most `burst` tokens and refills at `perSecond`; a request takes one. The map
 * holds at most `maxClients` buckets in least-recently-seen order: a new client past that evicts
 * the one seen longest ago (a full bucket is what it would have had anyway after idling, so
 * eviction only ever forgets a debt, never invents one) and the evictions are counted.
 */

export interface RateLimitOptions {
  /** Tokens added per second; 0 turns the limit off. */
  perSecond: number;
  /** Bucket size: requests a client may send at once after idling. */
  burst: number;
  /** Clients remembered at most. */
  maxClients: number;
}

export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  /** Buckets forgotten to keep the map within `maxClients`. */
  evictions = 0;

  constructor(private readonly opts: RateLimitOptions) {}

  get enabled(): boolean {
    return this.opts.perSecond > 0;
  }

  /** Takes one token of `client`'s bucket, or says how long until one is there. */
  take(client: string, now = Date.now()): RateDecision {
    if (!this.enabled) return { ok: true };
    const { perSecond, burst } = this.opts;
    let bucket = this.buckets.get(client);
    if (bucket) {
      this.buckets.delete(client); // re-inserted below: the map stays in least-recently-seen order
      bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
      bucket.at = now;
    } else {
      bucket = { tokens: burst, at: now };
      while (this.buckets.size >= this.opts.maxClients) {
        const oldest = this.buckets.keys().next();
        if (oldest.done) break;
        this.buckets.delete(oldest.value);
        this.evictions += 1;
      }
    }
    this.buckets.set(client, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond)) };
  }

  /** Clients remembered now. */
  get clients(): number {
    return this.buckets.size;
  }
}
