/**
 * `mlops codec-server`: serves `/encode` and `/decode` with the payload codec's keys (lib/codec),
 * so the Temporal UI shows encrypted payloads readably: start the dev server with
 * `mlops dev up --ui-codec-endpoint http://127.0.0.1:8888`, or set the endpoint in the UI's settings.
 */
import type { Command } from 'commander';
import { UserError } from '../../common/errors';
import { AesGcmCodec, codecKeysFromEnv } from '../../lib/codec/aes-gcm';
import { startCodecServer } from '../../codec-server/server';
import type { CommandContext } from '../context';
import { collect, parsePort } from '../options';

export function registerCodecServer(program: Command, _ctx: () => CommandContext): void {
  program
    .command('codec-server')
    .description('serve /encode and /decode for the Temporal UI with the payload codec keys (MLOPS_CODEC_KEYS)')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on', parsePort, 8888)
    .option('--cors-origin <url>', 'a browser origin allowed to call it (repeatable)', collect, [
      'http://127.0.0.1:8233',
      'http://localhost:8233',
    ])
    .action(async (opts: { host: string; port: number; corsOrigin: string[] }) => {
      const keys = codecKeysFromEnv();
      if (!keys) throw new UserError('no codec keys: set MLOPS_CODEC_KEYS or MLOPS_CODEC_KEY_FILE', 2);
      const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
      let server;
      try {
        server = await startCodecServer({
          codec: new AesGcmCodec(keys),
          host: opts.host,
          port: opts.port,
          corsOrigins: opts.corsOrigin,
        });
      } catch (err) {
        throw new UserError(`cannot listen on ${opts.host}:${opts.port}: ${(err as Error).message}`, 1);
      }
      log(
        `codec server on ${server.url} (keys ${Object.keys(keys.keys).join(', ')}, current ${keys.current}; CORS for ${opts.corsOrigin.join(', ')})`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      await server.close();
    });
}
