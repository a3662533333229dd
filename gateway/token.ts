/**
 * The admin token: `MLOPS_GATEWAY_TOKEN` when set, else a random token generated once into
 * `<home>/gateway/admin-token` (mode 0600) and reused on every start. Clients of the admin API
 * (the serving backend, tests) read it the same way with `readAdminToken`.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Where the gateway keeps its files under the home folder. */
export function gatewayPaths(home: string): { dir: string; stateFile: string; tokenFile: string; logFile: string } {
  const dir = path.join(home, 'gateway');
  return {
    dir,
    stateFile: path.join(dir, 'state.json'),
    tokenFile: path.join(dir, 'admin-token'),
    logFile: path.join(home, 'logs', 'gateway.log'),
  };
}

/** The token from `envToken`, else the one in `tokenFile` (created with a fresh random token if absent). */
export function ensureAdminToken(tokenFile: string, envToken?: string): string {
  if (envToken && envToken.trim() !== '') return envToken.trim();
  const existing = readTokenFile(tokenFile);
  if (existing) return existing;
  fs.mkdirSync(path.dirname(tokenFile), { recursive: true, mode: 0o700 });
  const token = randomBytes(24).toString('base64url');
  try {
    // 'wx': if another process created it meanwhile, theirs wins and is read below
    fs.writeFileSync(tokenFile, token + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const written = readTokenFile(tokenFile);
  if (!written) throw new Error(`${tokenFile}: could not read the admin token back`);
  return written;
}

/** The admin token a client should send: `envToken` when set, else the token file's; `undefined` when neither exists. */
export function readAdminToken(tokenFile: string, envToken?: string): string | undefined {
  if (envToken && envToken.trim() !== '') return envToken.trim();
  return readTokenFile(tokenFile);
}

function readTokenFile(file: string): string | undefined {
  try {
    const token = fs.readFileSync(file, 'utf8').trim();
    return token === '' ? undefined : token;
  } catch {
    return undefined;
  }
}
