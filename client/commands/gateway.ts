/**
 * `mlops gateway`: runs the inference gateway in the foreground until SIGINT/SIGTERM, with the
 * limits of the MLOPS_GATEWAY_* settings (capture buffer, connections, timeouts, rate limit).
 * Several may run on one store (replicas): they share the endpoints and each records where its
 * admin API is reached (`--advertise-url`). The admin API stays on loopback unless `--admin-host`
 * names another address, which needs TLS or `--admin-behind-network-policy`.
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { createBlobStore } from '../../activities/storage';
import { loadConfig } from '../../lib/config';
import { UserError } from '../../common/errors';
import { adminHostProblem, ensureAdminToken, GATEWAY_DEFAULTS, gatewayPaths, startGateway } from '../../gateway';
import type { CommandContext } from '../context';
import { durationFlag, parsePort } from '../options';
import { EXIT } from '../exit-codes';

interface GatewayCommandOptions {
  host: string;
  port: number;
  adminPort: number;
  adminHost: string;
  adminTlsCert?: string;
  adminTlsKey?: string;
  adminBehindNetworkPolicy?: boolean;
  advertiseUrl?: string;
  maxBodyBytes: number;
  upstreamTimeout: number;
}

export function registerGateway(program: Command, _ctx: () => CommandContext): void {
  program
    .command('gateway')
    .description('run the inference gateway (Open Inference Protocol v2) in the foreground')
    .option('--host <address>', 'address of the public API', GATEWAY_DEFAULTS.host)
    .option('--port <port>', 'port of the public API', parsePort, GATEWAY_DEFAULTS.port)
    .option('--admin-port <port>', 'port of the admin API', parsePort, GATEWAY_DEFAULTS.adminPort)
    .option(
      '--admin-host <address>',
      'address of the admin API; beyond loopback only with --admin-tls-cert/--admin-tls-key or --admin-behind-network-policy',
      GATEWAY_DEFAULTS.host,
    )
    .option(
      '--admin-tls-cert <file>',
      'PEM certificate of the admin API, served over HTTPS (env MLOPS_GATEWAY_ADMIN_TLS_CERT)',
    )
    .option('--admin-tls-key <file>', 'PEM private key of that certificate (env MLOPS_GATEWAY_ADMIN_TLS_KEY)')
    .option(
      '--admin-behind-network-policy',
      'serve the admin API beyond loopback over plain HTTP: only for a network (e.g. the NetworkPolicy of infra/k8s) that lets nothing but the workers reach the admin port',
    )
    .option(
      '--advertise-url <url>',
      'the admin URL other processes reach this replica at, to read its metrics (env MLOPS_GATEWAY_ADVERTISE_URL; default http(s)://127.0.0.1:<admin port>)',
    )
    .option(
      '--max-body-bytes <n>',
      'largest request body accepted',
      parsePositive('--max-body-bytes'),
      GATEWAY_DEFAULTS.maxBodyBytes,
    )
    .addOption(
      durationFlag('--upstream-timeout <duration>', 'how long a variant may take to answer, e.g. 500ms, 30s', {
        default: GATEWAY_DEFAULTS.upstreamTimeoutMs,
        bareUnit: 's',
      }),
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
      const certFile = opts.adminTlsCert ?? config.gatewayAdmin.tlsCertFile;
      const keyFile = opts.adminTlsKey ?? config.gatewayAdmin.tlsKeyFile;
      if ((certFile === undefined) !== (keyFile === undefined)) {
        throw new UserError(
          `${certFile === undefined ? '--admin-tls-cert' : '--admin-tls-key'}: must be given too (the admin API's TLS needs the certificate and its key)`,
          EXIT.badInput,
        );
      }
      const adminTls =
        certFile && keyFile
          ? { cert: readPem(certFile, '--admin-tls-cert'), key: readPem(keyFile, '--admin-tls-key') }
          : undefined;
      const refused = adminHostProblem(opts.adminHost, adminTls !== undefined, opts.adminBehindNetworkPolicy === true);
      if (refused) throw new UserError(refused, EXIT.badInput);
      const advertiseUrl = checkAdvertiseUrl(opts.advertiseUrl ?? config.gatewayAdmin.advertiseUrl);
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
          adminHost: opts.adminHost,
          ...(adminTls ? { adminTls } : {}),
          adminBehindNetworkPolicy: opts.adminBehindNetworkPolicy === true,
          ...(advertiseUrl ? { advertiseUrl } : {}),
          maxBodyBytes: opts.maxBodyBytes,
          upstreamTimeoutMs: opts.upstreamTimeout,
          ...config.gatewayLimits,
          log,
        });
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'EADDRINUSE' || e.code === 'EACCES' || e.code === 'EADDRNOTAVAIL') {
          throw new UserError(`cannot listen: ${e.message} (choose another with --port / --admin-port)`, EXIT.failed);
        }
        throw err;
      }
      log(
        `gateway serving ${gateway.url} (admin on ${opts.adminHost}:${gateway.adminPort}${adminTls ? ' over TLS' : ''}, ` +
          `advertised as ${gateway.advertiseUrl}, token in ${process.env.MLOPS_GATEWAY_TOKEN ? 'MLOPS_GATEWAY_TOKEN' : paths.tokenFile}), ` +
          `replica ${gateway.replicaId}, ${gateway.context.state.list().length} endpoint(s) and captures in ${config.store.uri}`,
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

/** A PEM file's text; a clear error naming the flag and file when it cannot be read or is no PEM. */
function readPem(file: string, flag: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(
      `${flag}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      EXIT.badInput,
    );
  }
  if (!text.includes('-----BEGIN ')) throw new UserError(`${flag}: ${file} is not a PEM file`, EXIT.badInput);
  return text;
}

function checkAdvertiseUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || !['http:', 'https:'].includes(parsed.protocol)) {
    throw new UserError(
      `--advertise-url: must be an http(s) URL such as https://10.0.3.7:8181, got ${JSON.stringify(url)}`,
      EXIT.badInput,
    );
  }
  return url.replace(/\/+$/, '');
}

function parsePositive(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0)
      throw new UserError(`${flag}: must be a positive number, got ${JSON.stringify(value)}`, EXIT.badInput);
    return n;
  };
}
