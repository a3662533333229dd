/**
 * SSH signatures (the SSHSIG format of `ssh-keygen -Y sign`, described in OpenSSH's PROTOCOL.sshsig)
 * and OpenSSH public key lines: parsing, fingerprints, and verification with node:crypto.
 *
 * Hand-written because no maintained npm package verifies SSHSIG (sshpk parses keys and signs in the
 * older formats, not SSHSIG); the format is small: a few length-prefixed strings. Supported keys are
 * the ones people sign git commits with: ssh-ed25519, ecdsa-sha2-nistp256, and ssh-rsa with the
 * rsa-sha2-256/512 signatures (the SHA-1 `ssh-rsa` signature is refused).
 */
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';

/** Thrown when a key line or a signature cannot be read or does not verify; the message says why. */
export class SshSignatureError extends Error {
  override readonly name = 'SshSignatureError';
}

/** A parsed OpenSSH public key. */
export interface SshPublicKey {
  /** e.g. `ssh-ed25519` */
  type: string;
  /** The key's wire blob (what fingerprints hash). */
  blob: Buffer;
  /** `SHA256:…` as `ssh-keygen -l` prints it. */
  fingerprint: string;
  /** The key for node:crypto. */
  key: KeyObject;
}

/** A parsed SSHSIG signature. */
export interface SshSignature {
  publicKey: SshPublicKey;
  namespace: string;
  hashAlgorithm: 'sha256' | 'sha512';
  /** The signature's own algorithm, e.g. `ssh-ed25519`, `rsa-sha2-512`. */
  signatureType: string;
  signature: Buffer;
}

const MAGIC = Buffer.from('SSHSIG');
const ARMOR_BEGIN = '-----BEGIN SSH SIGNATURE-----';
const ARMOR_END = '-----END SSH SIGNATURE-----';

/** Reads the length-prefixed fields of SSH wire data. */
class WireReader {
  private at = 0;
  constructor(
    private readonly buf: Buffer,
    private readonly what: string,
  ) {}

  uint32(): number {
    if (this.at + 4 > this.buf.length) throw new SshSignatureError(`${this.what}: truncated`);
    const v = this.buf.readUInt32BE(this.at);
    this.at += 4;
    return v;
  }

  bytes(): Buffer {
    const n = this.uint32();
    if (this.at + n > this.buf.length) throw new SshSignatureError(`${this.what}: truncated`);
    const v = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return v;
  }

  string(): string {
    return this.bytes().toString('utf8');
  }

  /** An mpint without its sign byte (the values here are all positive). */
  mpint(): Buffer {
    const v = this.bytes();
    let i = 0;
    while (i < v.length - 1 && v[i] === 0) i++;
    return v.subarray(i);
  }

  fixed(n: number): Buffer {
    if (this.at + n > this.buf.length) throw new SshSignatureError(`${this.what}: truncated`);
    const v = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return v;
  }

  end(): void {
    if (this.at !== this.buf.length) throw new SshSignatureError(`${this.what}: unexpected bytes at the end`);
  }
}

function sshString(value: Buffer | string): Buffer {
  const body = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

const b64url = (b: Buffer) => b.toString('base64url');

/** `SHA256:<base64, unpadded>` of a key blob, as `ssh-keygen -l` prints it. */
export function fingerprintOf(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** Parses a key's wire blob into a node:crypto key. */
export function parseKeyBlob(blob: Buffer): SshPublicKey {
  const r = new WireReader(blob, 'public key');
  const type = r.string();
  let key: KeyObject;
  try {
    if (type === 'ssh-ed25519') {
      const raw = r.bytes();
      if (raw.length !== 32) throw new SshSignatureError('public key: ed25519 key is not 32 bytes');
      key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(raw) }, format: 'jwk' });
    } else if (type === 'ecdsa-sha2-nistp256') {
      if (r.string() !== 'nistp256') throw new SshSignatureError('public key: curve does not match its type');
      const q = r.bytes();
      if (q.length !== 65 || q[0] !== 4) throw new SshSignatureError('public key: not an uncompressed P-256 point');
      key = createPublicKey({
        key: { kty: 'EC', crv: 'P-256', x: b64url(q.subarray(1, 33)), y: b64url(q.subarray(33)) },
        format: 'jwk',
      });
    } else if (type === 'ssh-rsa') {
      const e = r.mpint();
      const n = r.mpint();
      if (n.length * 8 < 2048) throw new SshSignatureError('public key: RSA keys shorter than 2048 bits are refused');
      key = createPublicKey({ key: { kty: 'RSA', n: b64url(n), e: b64url(e) }, format: 'jwk' });
    } else {
      throw new SshSignatureError(
        `public key: type ${type} is not supported (use ssh-ed25519, ecdsa-sha2-nistp256 or ssh-rsa)`,
      );
    }
    r.end();
  } catch (err) {
    if (err instanceof SshSignatureError) throw err;
    throw new SshSignatureError(`public key: not a valid ${type} key (${(err as Error).message})`);
  }
  return { type, blob, fingerprint: fingerprintOf(blob), key };
}

/** Parses an OpenSSH public key line (`ssh-ed25519 AAAA… comment`). */
export function parsePublicKeyLine(line: string): SshPublicKey {
  const [type, data] = line.trim().split(/\s+/);
  if (!type || !data || !/^[A-Za-z0-9+/]+={0,2}$/.test(data))
    throw new SshSignatureError('public key: expected an OpenSSH key line such as "ssh-ed25519 AAAA… comment"');
  const parsed = parseKeyBlob(Buffer.from(data, 'base64'));
  if (parsed.type !== type) throw new SshSignatureError(`public key: the line says ${type}, the key is ${parsed.type}`);
  return parsed;
}

/** Parses an armored SSHSIG block (`-----BEGIN SSH SIGNATURE-----` …). */
export function parseSignature(armored: string): SshSignature {
  const text = armored.trim();
  if (!text.startsWith(ARMOR_BEGIN) || !text.endsWith(ARMOR_END))
    throw new SshSignatureError(`signature: not an armored SSH signature (${ARMOR_BEGIN} … ${ARMOR_END})`);
  const body = text.slice(ARMOR_BEGIN.length, text.length - ARMOR_END.length).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) throw new SshSignatureError('signature: not base64');
  const r = new WireReader(Buffer.from(body, 'base64'), 'signature');
  if (!r.fixed(MAGIC.length).equals(MAGIC)) throw new SshSignatureError('signature: not an SSHSIG blob');
  const version = r.uint32();
  if (version !== 1) throw new SshSignatureError(`signature: version ${version} is not supported`);
  const publicKey = parseKeyBlob(r.bytes());
  const namespace = r.string();
  r.bytes(); // reserved
  const hashAlgorithm = r.string();
  if (hashAlgorithm !== 'sha256' && hashAlgorithm !== 'sha512')
    throw new SshSignatureError(`signature: hash ${hashAlgorithm} is not supported (sha256 or sha512)`);
  const inner = new WireReader(r.bytes(), 'signature');
  const signatureType = inner.string();
  const signature = inner.bytes();
  inner.end();
  r.end();
  return { publicKey, namespace, hashAlgorithm, signatureType, signature };
}

/** The hash and encoding node:crypto verifies a signature type with, checked against the key's type. */
function verifierOf(keyType: string, signatureType: string): { hash: string | null; p1363?: boolean } {
  if (keyType === 'ssh-ed25519' && signatureType === 'ssh-ed25519') return { hash: null };
  if (keyType === 'ecdsa-sha2-nistp256' && signatureType === 'ecdsa-sha2-nistp256')
    return { hash: 'sha256', p1363: true };
  if (keyType === 'ssh-rsa' && signatureType === 'rsa-sha2-512') return { hash: 'sha512' };
  if (keyType === 'ssh-rsa' && signatureType === 'rsa-sha2-256') return { hash: 'sha256' };
  if (keyType === 'ssh-rsa' && signatureType === 'ssh-rsa')
    throw new SshSignatureError('signature: ssh-rsa (SHA-1) signatures are refused; sign with rsa-sha2-512');
  throw new SshSignatureError(`signature: a ${signatureType} signature does not fit a ${keyType} key`);
}

/**
 * Verifies an armored SSHSIG over `message` in `namespace` and returns the parsed signature (its
 * key's fingerprint names the signer). Throws `SshSignatureError` saying what is wrong.
 */
export function verifySignature(armored: string, message: string | Buffer, namespace: string): SshSignature {
  const sig = parseSignature(armored);
  if (sig.namespace !== namespace)
    throw new SshSignatureError(`signature: made for namespace ${sig.namespace}, not ${namespace}`);
  const { hash, p1363 } = verifierOf(sig.publicKey.type, sig.signatureType);
  const digest = createHash(sig.hashAlgorithm).update(message).digest();
  const signed = Buffer.concat([
    MAGIC,
    sshString(sig.namespace),
    sshString(''),
    sshString(sig.hashAlgorithm),
    sshString(digest),
  ]);
  let raw = sig.signature;
  if (p1363) {
    // SSH encodes an ECDSA signature as two mpints; node wants r ‖ s, each 32 bytes
    const rs = new WireReader(sig.signature, 'signature');
    const pad = (v: Buffer) => {
      if (v.length > 32) throw new SshSignatureError('signature: ECDSA value too long');
      return Buffer.concat([Buffer.alloc(32 - v.length), v]);
    };
    const [r, s] = [rs.mpint(), rs.mpint()];
    rs.end();
    raw = Buffer.concat([pad(r), pad(s)]);
  }
  const ok = verify(
    hash,
    signed,
    p1363 ? { key: sig.publicKey.key, dsaEncoding: 'ieee-p1363' } : sig.publicKey.key,
    raw,
  );
  if (!ok) throw new SshSignatureError('signature: does not match the signed message');
  return sig;
}
