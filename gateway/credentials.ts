/**
 * What the public API trusts beyond "anyone who can reach the port":
 *
 * - Request ids the gateway issued. Every answered request gets `x-request-id: <base>.<mac>`, where
 *   `base` is the client's OIP `id` (or a fresh UUID) and `mac` an HMAC of the endpoint and `base`
 *   under a key derived from the admin token. Feedback is accepted only for ids whose MAC checks
 *   out, so a client cannot label requests that never went through the gateway, and the gateway
 *   needs no memory of the ids it issued (they stay valid across restarts, until the admin token
 *   changes).
 * - An endpoint's feedback token (created with the endpoint, kept in the state file, read and
 *   rotated through the admin API) or the admin token, as `authorization: Bearer <token>`: needed to
 *   post feedback and to pin a request to a variant with `x-mlops-variant`.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Bytes of MAC in a request id (base64url: 22 characters). */
const MAC_BYTES = 16;
const MAC_LENGTH = 22;

export class RequestIds {
  private readonly key: Buffer;

  constructor(adminToken: string) {
    this.key = createHmac('sha256', adminToken).update('mlops-gateway request ids v1').digest();
  }

  /** The id to answer a request of `endpoint` with; `base` is the client's own id if it sent one. */
  issue(endpoint: string, base: string): string {
    return `${base}.${this.mac(endpoint, base)}`;
  }

  /** Whether `id` is one this gateway issued for `endpoint`. */
  verify(endpoint: string, id: string): boolean {
    const dot = id.lastIndexOf('.');
    if (dot <= 0 || id.length - dot - 1 !== MAC_LENGTH) return false;
    const given = Buffer.from(id.slice(dot + 1));
    const expected = Buffer.from(this.mac(endpoint, id.slice(0, dot)));
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private mac(endpoint: string, base: string): string {
    return createHmac('sha256', this.key)
      .update(`${endpoint}\n${base}`)
      .digest()
      .subarray(0, MAC_BYTES)
      .toString('base64url');
  }
}

/** A new random feedback token (43 characters). */
export function newFeedbackToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The bearer token of a request, if it sent one. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization ?? '';
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** Whether `given` equals one of `accepted` (compared in constant time). */
export function tokenMatches(given: string | undefined, accepted: (string | undefined)[]): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  let ok = false;
  for (const token of accepted) {
    if (!token) continue;
    const b = Buffer.from(token);
    if (a.length === b.length && timingSafeEqual(a, b)) ok = true;
  }
  return ok;
}
