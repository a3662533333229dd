/**
 * The optional payload codec: AES-256-GCM over every payload the worker and the CLI exchange with
 * Temporal (workflow and activity inputs and results, queries, updates, memos, summaries), so the
 * server and its database hold only ciphertext. Each encrypted payload names the key that sealed it
 * (`encryption-key-id`); the codec encrypts with the current key and decrypts with any key it knows,
 * so keys rotate without losing old histories. The UI reads payloads through `mlops codec-server`.
 *
 * Keys come from `MLOPS_CODEC_KEYS` (`id:base64key,…`, the first one current) or the JSON file named
 * by `MLOPS_CODEC_KEY_FILE` (`{ "current": "id", "keys": { "id": "base64key", … } }`); each key is 32
 * random bytes, e.g. `openssl rand -base64 32`.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { DefaultFailureConverter, type Payload, type PayloadCodec } from '@temporalio/common';
import { UserError } from '../../common/errors';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
const KEY_ID = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface CodecKeys {
  /** The id new payloads are sealed with. */
  current: string;
  keys: Record<string, Buffer>;
}

export class AesGcmCodec implements PayloadCodec {
  constructor(private readonly keyring: CodecKeys) {
    if (!keyring.keys[keyring.current])
      throw new UserError(`codec: the current key ${keyring.current} is not among the keys`, 2);
  }

  /** Seals each payload with the current key (async: a failure rejects rather than throws). */
  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const key = this.keyring.keys[this.keyring.current]!;
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      const sealed = Buffer.concat([cipher.update(serialize(payload)), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: {
          encoding: Buffer.from(ENCRYPTED_ENCODING),
          [KEY_ID]: Buffer.from(this.keyring.current),
        },
        data: Buffer.concat([iv, sealed]),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (Buffer.from(payload.metadata?.encoding ?? []).toString() !== ENCRYPTED_ENCODING) return payload;
      const id = Buffer.from(payload.metadata?.[KEY_ID] ?? []).toString();
      const key = this.keyring.keys[id];
      // the process's own key ids stay out of the message: it can reach a log or a client
      if (!key)
        throw new Error(`payload sealed with codec key ${JSON.stringify(id)}, which this process does not have`);
      const data = Buffer.from(payload.data ?? []);
      if (data.length < IV_BYTES + TAG_BYTES) throw new Error('encrypted payload too short for its iv and auth tag');
      const iv = data.subarray(0, IV_BYTES);
      const tag = data.subarray(data.length - TAG_BYTES);
      // a fixed tag length: GCM would otherwise accept a tag cut down to 4 bytes
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      decipher.setAuthTag(tag);
      const plain = Buffer.concat([
        decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
        decipher.final(),
      ]);
      return deserialize(plain);
    });
  }
}

/** A payload as bytes: JSON of its metadata and data, both base64. */
function serialize(payload: Payload): Buffer {
  const metadata = Object.fromEntries(
    Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')]),
  );
  return Buffer.from(JSON.stringify({ metadata, data: Buffer.from(payload.data ?? []).toString('base64') }));
}

function deserialize(bytes: Buffer): Payload {
  const parsed = JSON.parse(bytes.toString('utf8')) as { metadata: Record<string, string>; data: string };
  return {
    metadata: Object.fromEntries(Object.entries(parsed.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(parsed.data, 'base64'),
  };
}

/**
 * The keys from the environment, or `undefined` when the codec is off. A bad value is a `UserError`
 * naming the variable (exit 2).
 */
export function codecKeysFromEnv(env: NodeJS.ProcessEnv = process.env): CodecKeys | undefined {
  const inline = env.MLOPS_CODEC_KEYS?.trim();
  const file = env.MLOPS_CODEC_KEY_FILE?.trim();
  if (inline && file) throw new UserError('MLOPS_CODEC_KEYS and MLOPS_CODEC_KEY_FILE: set one, not both', 2);
  if (inline) {
    const entries = inline.split(',').map((part, i) => {
      const at = part.indexOf(':');
      if (at <= 0) throw new UserError(`MLOPS_CODEC_KEYS: entry ${i + 1} is not id:base64key`, 2);
      return [part.slice(0, at).trim(), part.slice(at + 1).trim()] as const;
    });
    return keyring('MLOPS_CODEC_KEYS', entries[0]![0], entries);
  }
  if (file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      throw new UserError(`MLOPS_CODEC_KEY_FILE: cannot read ${file} as JSON (${(err as Error).message})`, 2);
    }
    const p = parsed as { current?: unknown; keys?: unknown };
    if (typeof p.current !== 'string' || typeof p.keys !== 'object' || p.keys === null)
      throw new UserError(
        `MLOPS_CODEC_KEY_FILE: ${file} must hold { "current": "<id>", "keys": { "<id>": "<base64 key>" } }`,
        2,
      );
    return keyring(`MLOPS_CODEC_KEY_FILE (${file})`, p.current, Object.entries(p.keys as Record<string, unknown>));
  }
  return undefined;
}

function keyring(source: string, current: string, entries: readonly (readonly [string, unknown])[]): CodecKeys {
  const keys: Record<string, Buffer> = {};
  for (const [id, value] of entries) {
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(id))
      throw new UserError(`${source}: key id ${JSON.stringify(id)}: letters, digits, . _ -`, 2);
    if (keys[id]) throw new UserError(`${source}: key id ${id} appears twice`, 2);
    keys[id] = checkedKey(source, id, value);
    // the same bytes under two ids: a copy-paste slip that would leave one key doing the work of two
    const twin = Object.keys(keys).find((other) => other !== id && keys[other]!.equals(keys[id]!));
    if (twin) throw new UserError(`${source}: keys ${twin} and ${id} are the same key; give each id its own`, 2);
  }
  if (!keys[current]) throw new UserError(`${source}: the current key ${current} is not among the keys`, 2);
  return { current, keys };
}

/** The 32 bytes of key `id`, or a `UserError` that names the key by id, never by value. */
function checkedKey(source: string, id: string, value: unknown): Buffer {
  const text = typeof value === 'string' ? value : '';
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text))
    throw new UserError(`${source}: key ${id} is not base64 (make one with openssl rand -base64 32)`, 2);
  const key = Buffer.from(text, 'base64');
  if (key.length !== 32)
    throw new UserError(
      `${source}: key ${id} must be 32 bytes, base64 (openssl rand -base64 32); it has ${key.length}`,
      2,
    );
  // all-zero or one byte repeated: a placeholder, not a random key
  if (key.every((b) => b === key[0]))
    throw new UserError(`${source}: key ${id} is one byte repeated, not a random key (openssl rand -base64 32)`, 2);
  return key;
}

/** The `dataConverter` to give a client or worker: encrypted payloads and failure messages, or none. */
export function clientDataConverter(
  env: NodeJS.ProcessEnv = process.env,
): { payloadCodecs: PayloadCodec[]; failureConverter: DefaultFailureConverter } | undefined {
  const keys = codecKeysFromEnv(env);
  if (!keys) return undefined;
  // failure messages and stack traces too: they can quote inputs
  return {
    payloadCodecs: [new AesGcmCodec(keys)],
    failureConverter: new DefaultFailureConverter({ encodeCommonAttributes: true }),
  };
}
