/**
 * A set of sha256 digests held compactly: each as its 32 raw bytes in a one-byte string (about 60
 * bytes a digest with the set's slot, against about 100 for the 64-character hex string), so the
 * bodies a parent snapshot of a million files lists fit in tens of megabytes.
 */

/** Lowercase hex sha256 digests, stored as raw bytes; see the module comment. */
export class DigestSet {
  private readonly keys = new Set<string>();

  constructor(digests: Iterable<string> = []) {
    for (const digest of digests) this.add(digest);
  }

  get size(): number {
    return this.keys.size;
  }

  has(digest: string): boolean {
    return this.keys.has(keyOf(digest));
  }

  add(digest: string): this {
    this.keys.add(keyOf(digest));
    return this;
  }
}

function keyOf(digest: string): string {
  return Buffer.from(digest, 'hex').toString('latin1');
}
