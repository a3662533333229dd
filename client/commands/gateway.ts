/**
 * `mlops gateway`: runs the inference gateway in the foreground until SIGINT/SIGTERM, with the
 * limits of the MLOPS_GATEWAY_* settings (capture buffer, connections, timeouts, rate limit).
 */
import type { Command } from 'commander';
import { createBlobStore } from '../../activities/storage';
import { loadConfig } from '../../lib/config';
import { UserError } from '../../common/errors';
import { ensureAdminToken, GATEWAY_DEFAULTS, gatewayPaths, startGateway } from '../../gateway';
import type { CommandContext } from '../context';
import { parsePort } from '../options';

interface GatewayCommandOptions {
  host: string;
  port: number;
  adminPort: number;
  maxBodyBytes: number;
  upstreamTimeout: number;
}

export function registerGateway(program: Command, _ctx: () => CommandContext): void {
  program
    .command('gateway')
    .description('run the inference gateway (Open Inference Protocol v2) in the foreground')
    .option('--host <address>', 'address of the public API', GATEWAY_DEFAULTS.host)
    .option('--port <port>', 'port of the public API', parsePort, GATEWAY_DEFAULTS.port)
    .option('--admin-port <port>', 'port of the admin API (always on 127.0.0.1)', parsePort, GATEWAY_DEFAULTS.adminPort)
    .option(
      '--max-body-bytes <n>',
      'largest request body accepted',
      parsePositive('--max-body-bytes'),
      GATEWAY_DEFAULTS.maxBodyBytes,
    )
    .option(
      '--upstream-timeout <seconds>',
      'how long a variant may take to answer',
      parsePositive('--upstream-timeout'),
      GATEWAY_DEFAULTS.upstreamTimeoutMs / 1000,
    )
    .action(async (opts: GatewayCommandOptions) => {
      // the gateway serves the MLOPS_GATEWAY_* settings that clients read; it does not need them itself
      const config = loadConfig({
        ...process.env,
        MLOPS_GATEWAY_URL: undefined,
        MLOPS_GATEWAY_ADMIN_URL: undefined,
        MLOPS_GATEWAY_TOKEN: undefined,
      });
      const paths = gatewayPaths(config.home);
      const adminToken = ensureAdminToken(paths.tokenFile, process.env.MLOPS_GATEWAY_TOKEN);
      const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
      let gateway;
      try {
        gateway = await startGateway({
          stateFile: paths.stateFile,
          store: createBlobStore(config.store),
          adminToken,
          host: opts.host,
          port: opts.port,
          adminPort: opts.adminPort,
          maxBodyBytes: opts.maxBodyBytes,
          upstreamTimeoutMs: opts.upstreamTimeout * 1000,
          ...config.gatewayLimits,
          log,
        });
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'EADDRINUSE' || e.code === 'EACCES' || e.code === 'EADDRNOTAVAIL') {
          throw new UserError(`cannot listen: ${e.message} (choose another with --port / --admin-port)`, 1);
        }
        throw err;
      }
      log(
        `gateway serving ${gateway.url} (admin ${gateway.adminUrl}, token in ${process.env.MLOPS_GATEWAY_TOKEN ? 'MLOPS_GATEWAY_TOKEN' : paths.tokenFile}), ` +
          `${gateway.context.state.list().length} endpoint(s) from ${paths.stateFile}, captures to ${config.store.uri}`,
      );
      const signal = await new Promise<NodeJS.Signals>((resolve) => {
        process.once('SIGINT', () => resolve('SIGINT'));
        process.once('SIGTERM', () => resolve('SIGTERM'));
      });
      log(`${signal}: draining requests and flushing captures`);
      await gateway.close();
      log('gateway stopped');
    });
}

function parsePositive(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0)
      throw new UserError(`${flag}: must be a positive number, got ${JSON.stringify(value)}`, 2);
    return n;
  };
}
