/**
 * Signing decisions with the user's SSH key, exactly as `ssh-keygen -Y sign -n mlops-decision -f
 * <key>` does (the `ssh-keygen` of OpenSSH does the signing: a key file, or the public key of a key
 * that ssh-agent holds). Which key: `--key`, else `MLOPS_SIGNING_KEY`, else the first of
 * ~/.ssh/id_ed25519, id_ecdsa, id_rsa that exists; none: the decision goes unsigned.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../../common/errors';
import {
  DECISION_NAMESPACE,
  decisionMessage,
  type DecisionFields,
  type DecisionSignature,
} from '../../common/signed-decision';

/** Signs a message; returns the armored SSHSIG block. */
export type DecisionSigner = (message: string) => Promise<string>;

/** The key files tried, in order, when neither `--key` nor MLOPS_SIGNING_KEY names one. */
export const DEFAULT_SIGNING_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

/** Where the signing key comes from: the flag, the variable, or a default file. */
export interface SigningKey {
  file: string;
  /** `--key`, `MLOPS_SIGNING_KEY` or `default` (a default key that cannot sign leaves the decision unsigned). */
  from: '--key' | 'MLOPS_SIGNING_KEY' | 'default';
}

/** Picks the signing key: `flag`, else `configured` (MLOPS_SIGNING_KEY), else a default file; undefined when there is none. */
export function findSigningKey(flag: string | undefined, configured: string | undefined): SigningKey | undefined {
  const named = flag !== undefined ? { file: flag, from: '--key' as const } : undefined;
  const fromEnv = configured ? { file: configured, from: 'MLOPS_SIGNING_KEY' as const } : undefined;
  const chosen = named ?? fromEnv;
  if (chosen) {
    const file = path.resolve(chosen.file.replace(/^~(?=$|\/)/, os.homedir()));
    if (!fs.existsSync(file)) throw new UserError(`${chosen.from}: no key file ${file}`, 2);
    return { file, from: chosen.from };
  }
  const dir = path.join(os.homedir(), '.ssh');
  for (const name of DEFAULT_SIGNING_KEYS) {
    const file = path.join(dir, name);
    if (fs.existsSync(file)) return { file, from: 'default' };
  }
  return undefined;
}

/** A signer running `ssh-keygen -Y sign -n mlops-decision -f <file>` on the message. */
export function sshKeygenSigner(file: string): DecisionSigner {
  return (message) =>
    new Promise((resolve, reject) => {
      const child = spawn('ssh-keygen', ['-Y', 'sign', '-n', DECISION_NAMESPACE, '-f', file], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      child.on('error', (e: NodeJS.ErrnoException) =>
        reject(
          new UserError(
            e.code === 'ENOENT'
              ? 'ssh-keygen not found: install OpenSSH (openssh-client) to sign decisions'
              : `ssh-keygen: ${e.message}`,
            2,
          ),
        ),
      );
      child.on('close', (code) => {
        if (code === 0 && out.includes('-----BEGIN SSH SIGNATURE-----')) return resolve(out);
        const why = err
          .split('\n')
          .map((l) => l.trim())
          .filter((l) => l !== '' && !l.startsWith('Signing data on standard input'))
          .join('; ');
        reject(new UserError(`cannot sign with ${file}: ${why || `ssh-keygen exited with ${code}`}`, 2));
      });
      child.stdin.end(message);
    });
}

/**
 * Signs a decision's fields (the time is now unless given) into what an update carries; undefined
 * when there is no signer, or a default key could not sign (`UnsignedDecision`).
 */
export async function signDecision(
  sign: DecisionSigner | undefined,
  fields: Omit<DecisionFields, 'time'> & { time?: string },
): Promise<DecisionSignature | undefined> {
  if (!sign) return undefined;
  const message = decisionMessage({ ...fields, time: fields.time ?? new Date().toISOString() });
  try {
    return { message, signature: await sign(message) };
  } catch (err) {
    if (err instanceof UnsignedDecision) return undefined;
    throw err;
  }
}

/**
 * The signer the CLI uses: of the key `findSigningKey` picks; a default key that cannot sign (a
 * passphrase without a terminal, say) leaves the decision unsigned after a warning, which the worker
 * refuses if signatures are required.
 */
export function cliSigner(
  flag: string | undefined,
  configured: string | undefined,
  warn: (line: string) => void,
): DecisionSigner | undefined {
  const key = findSigningKey(flag, configured);
  if (!key) return undefined;
  const sign = sshKeygenSigner(key.file);
  if (key.from !== 'default') return sign;
  return async (message) => {
    try {
      return await sign(message);
    } catch (err) {
      warn(`not signed: ${(err as Error).message} (name a key with --key or MLOPS_SIGNING_KEY)`);
      throw new UnsignedDecision();
    }
  };
}

/** Thrown by a default signer that could not sign: send the decision unsigned. */
export class UnsignedDecision extends Error {
  override readonly name = 'UnsignedDecision';
}
