/**
 * Real SSH keys for the signed-decision tests: made by `ssh-keygen -t <type> -N ''` in a temporary
 * folder, and signatures made by `ssh-keygen -Y sign`, as a person's would be.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DECISION_NAMESPACE } from '../../common/signed-decision';

export interface TestKey {
  /** The private key file (what `--key` names). */
  file: string;
  /** The public key line (what a spec or the approvers file lists). */
  publicKey: string;
  /** `SHA256:…` as `ssh-keygen -l` prints it. */
  fingerprint: string;
}

/** A folder for keys, removed when the process exits. */
export function keyFolder(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-keys-'));
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Makes a key pair with ssh-keygen, without a passphrase. */
export function makeKey(dir: string, name: string, type: 'ed25519' | 'ecdsa' | 'rsa' = 'ed25519'): TestKey {
  const file = path.join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', `${name}@test`, '-f', file]);
  const publicKey = fs.readFileSync(`${file}.pub`, 'utf8').trim();
  const listed = execFileSync('ssh-keygen', ['-l', '-f', `${file}.pub`], { encoding: 'utf8' });
  const fingerprint = listed.split(' ')[1] ?? '';
  return { file, publicKey, fingerprint };
}

/** Signs `message` as `ssh-keygen -Y sign -n <namespace> -f <key>` does; the armored signature. */
export function sshSign(key: TestKey, message: string, namespace = DECISION_NAMESPACE): string {
  return execFileSync('ssh-keygen', ['-Y', 'sign', '-n', namespace, '-f', key.file], {
    input: message,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'ignore'],
  });
}
