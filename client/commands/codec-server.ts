/**
 * `mlops codec-server`: serves `/encode` and `/decode` with the payload codec's keys (lib/codec),
 * so the Temporal UI shows encrypted payloads readably. Every call needs the codec token
 * (MLOPS_CODEC_TOKEN, else `<home>/codec/token`, generated on first use) and comes from an allowed
 * origin and host (codec-server/server.ts). With the dev stack: `mlops dev up --ui-codec-endpoint
 * http://127.0.0.1:8888` hands the UI the endpoint with the token in its path. It also serves the
 * store's HTML reports read-only (`GET /reports/<key>`, no token) unless `--no-reports`; without
 * codec keys it serves the reports only.
 */
import type { Command } from 'commander';
import { createBlobStore } from '../../activities/storage';
import { UserError } from '../../common/errors';
import { AesGcmCodec, codecKeysFromEnv } from '../../lib/codec/aes-gcm';
import { ensureCodecToken } from '../../lib/codec/token';
import { startCodecServer } from '../../codec-server/server';
import type { CommandContext } from '../context';
import { collect, parsePort } from '../options';
import { EXIT } from '../exit-codes';

interface CodecServerFlags {
  host: string;
  port: number;
  corsOrigin: string[];
  allowedHost: string[];
  reports: boolean;
}

export function registerCodecServer(program: Command, ctx: () => CommandContext): void {
  program
    .command('codec-server')
    .description('serve /encode and /decode for the Temporal UI with the payload codec keys (MLOPS_CODEC_KEYS)')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on', parsePort, 8888)
    .option(
      '--cors-origin <url>',
      'a browser origin allowed to call it (repeatable; default MLOPS_CODEC_ALLOWED_ORIGINS, else the dev UI on :8233)',
      collect,
      [],
    )
    .option(
      '--allowed-host <name>',
      'a host name clients may address it by, besides IP addresses and localhost (repeatable; default MLOPS_CODEC_ALLOWED_HOSTS)',
      collect,
      [],
    )
    .option('--no-reports', "do not serve the store's HTML reports (GET /reports/<key>)")
    .action(async (opts: CodecServerFlags) => {
      const keys = codecKeysFromEnv();
      if (!keys && !opts.reports)
        throw new UserError(
          'no codec keys: set MLOPS_CODEC_KEYS or MLOPS_CODEC_KEY_FILE (or serve reports)',
          EXIT.badInput,
        );
      const config = ctx().config();
      const settings = config.codecServer;
      const token = ensureCodecToken(settings.tokenFile, settings.token);
      const corsOrigins = opts.corsOrigin.length > 0 ? opts.corsOrigin : settings.allowedOrigins;
      const allowedHosts = opts.allowedHost.length > 0 ? opts.allowedHost : settings.allowedHosts;
      const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
      let server;
      try {
        server = await startCodecServer({
          ...(keys ? { codec: new AesGcmCodec(keys) } : {}),
          ...(opts.reports ? { reports: createBlobStore(config.store) } : {}),
          token,
          host: opts.host,
          port: opts.port,
          corsOrigins,
          allowedHosts,
          log,
        });
      } catch (err) {
        throw new UserError(`cannot listen on ${opts.host}:${opts.port}: ${(err as Error).message}`, EXIT.failed);
      }
      const tokenRef = settings.token ? '$MLOPS_CODEC_TOKEN' : `$(cat ${settings.tokenFile})`;
      const reportsLine = opts.reports
        ? [
            `  reports: ${server.url}/reports/<key> (read-only; set MLOPS_REPORTS_URL=${server.url} for the CLI's links)`,
          ]
        : [];
      if (!keys) {
        log([`report server on ${server.url} (no codec keys: no /encode or /decode)`, ...reportsLine].join('\n'));
      } else
        log(
          [
            `codec server on ${server.url} (${Object.keys(keys.keys).length} key(s); CORS for ${corsOrigins.join(', ')})`,
            `  every call needs the token (${settings.token ? 'MLOPS_CODEC_TOKEN' : settings.tokenFile}):`,
            `  CLI:    temporal workflow show -w <id> --codec-endpoint ${server.url} --codec-auth "Bearer ${tokenRef}"`,
            `  dev UI: mlops dev up --ui-codec-endpoint ${server.url}   (passes ${server.url}/<token>)`,
            `  other UI: set its codec endpoint to ${server.url}/<token>, or put a proxy that adds "Authorization: Bearer <token>" in front`,
            ...reportsLine,
          ].join('\n'),
        );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      await server.close();
    });
}
