/** `mlops dev up|status|down`: the local stack (Temporal dev server, MinIO for an S3 store, the inference gateway). */
import path from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { describeProject, devS3Credentials } from '../../lib/config';
import type { StackDownResult, StackStatus, StackUpResult } from '../dev/stack';
import { STACK_DEFAULTS, stackDown, stackStatus, stackUp } from '../dev/stack';
import type { CommandContext } from '../context';
import { watchLocal } from '../progress';
import { parsePort } from '../options';
import { table } from '../output';

interface UpOptions {
  store?: 'file' | 's3';
  temporalPort?: number;
  uiPort?: number;
  minioPort?: number;
  minioConsolePort?: number;
  namespace?: string;
  bucket?: string;
  gatewayPort?: number;
  gatewayAdminPort?: number;
  worker?: boolean;
  uiCodecEndpoint?: string;
}

type UpReport = StackUpResult & { exports: Record<string, string> };
type StatusReport = StackStatus & { store: string; temporalAddress: string; project: string };

export function registerDev(program: Command, ctx: () => CommandContext): void {
  const dev = program
    .command('dev')
    .description('the local stack: Temporal dev server, the inference gateway, MinIO for an S3 store, a worker');

  dev
    .command('up')
    .description('start the local stack in the background (idempotent: reports what already runs)')
    .addOption(
      new Option(
        '--store <kind>',
        `object store to serve: file (Temporal only) or s3 (adds MinIO) (default: ${STACK_DEFAULTS.store})`,
      ).choices(['file', 's3']),
    )
    .addOption(portOption('--temporal-port <port>', 'Temporal gRPC port on 127.0.0.1', STACK_DEFAULTS.temporalPort))
    .addOption(portOption('--ui-port <port>', 'Temporal UI port on 127.0.0.1', STACK_DEFAULTS.uiPort))
    .addOption(portOption('--minio-port <port>', 'MinIO S3 API port on 127.0.0.1', STACK_DEFAULTS.minioPort))
    .addOption(
      portOption('--minio-console-port <port>', 'MinIO console port on 127.0.0.1', STACK_DEFAULTS.minioConsolePort),
    )
    .addOption(
      new Option(
        '--gateway-port <port>',
        `inference gateway port on 127.0.0.1 (default: ${STACK_DEFAULTS.gatewayPort}, or a free one when taken)`,
      ).argParser(parsePort),
    )
    .addOption(
      new Option(
        '--gateway-admin-port <port>',
        `gateway admin API port on 127.0.0.1 (default: ${STACK_DEFAULTS.gatewayAdminPort}, or a free one when taken)`,
      ).argParser(parsePort),
    )
    .addOption(new Option('--namespace <name>', `Temporal namespace to create (default: ${STACK_DEFAULTS.namespace})`))
    .addOption(new Option('--bucket <name>', `MinIO bucket to create (default: ${STACK_DEFAULTS.bucket})`))
    .option('--ui-codec-endpoint <url>', 'the codec server the UI calls for encrypted payloads (mlops codec-server)')
    .option('--worker', 'also start a worker on the mlops and mlops-training task queues (log in <home>/logs)')
    .action(async (opts: UpOptions) => {
      const { out } = ctx();
      const config = ctx().config();
      const credentials = devS3Credentials();
      const onStart = (piece: string) => out.info(`starting ${piece} …`);
      const result = await stackUp({
        home: config.home,
        ...opts,
        credentials,
        codecToken: config.codecServer,
        onStart,
      });
      const exports = envExports(result, credentials);
      out.result<UpReport>({ ...result, exports }, renderUp);
    });

  dev
    .command('status')
    .description('show each piece of the local stack: up or down, address, UI')
    .option('--watch', 'print it again each time a piece goes up or down, until Ctrl-C')
    .action(async (opts: { watch?: boolean }) => {
      const { out } = ctx();
      const config = ctx().config();
      const read = (): StatusReport => ({
        ...stackStatus(config.home),
        store: config.store.uri,
        temporalAddress: config.temporal.address,
        project: describeProject(config.project),
      });
      if (opts.watch) return watchLocal(out, read, renderStatus);
      out.result<StatusReport>(read(), renderStatus);
    });

  dev
    .command('down')
    .description('stop what `mlops dev up` started (data is kept)')
    .option('--purge', 'also delete the stack data (temporal.db, MinIO data)', false)
    .action(async (opts: { purge: boolean }) => {
      const { out } = ctx();
      const config = ctx().config();
      const result = await stackDown(config.home, { purge: opts.purge });
      out.result(result, renderDown);
    });
}

function portOption(flags: string, description: string, fallback: number): Option {
  return new Option(flags, `${description} (default: ${fallback})`).argParser(parsePort);
}

function envExports(
  result: StackUpResult,
  credentials: { accessKeyId: string; secretAccessKey: string; fromEnv: boolean },
): Record<string, string> {
  const env: Record<string, string> = {};
  if (result.temporal.address) env.TEMPORAL_ADDRESS = result.temporal.address;
  if (result.temporal.namespace) env.TEMPORAL_NAMESPACE = result.temporal.namespace;
  if (result.minio) {
    env.MLOPS_STORE = `s3://${result.minio.bucket}`;
    env.MLOPS_S3_ENDPOINT = result.minio.endpoint;
    // credentials taken from the environment are already there: do not echo the secret
    if (!credentials.fromEnv) {
      env.AWS_ACCESS_KEY_ID = credentials.accessKeyId;
      env.AWS_SECRET_ACCESS_KEY = credentials.secretAccessKey;
    }
  }
  return env;
}

function renderUp(r: UpReport): string {
  const state = (outcome: string) => (outcome === 'started' ? 'started' : 'already running');
  const rows = [
    [
      'temporal',
      state(r.temporal.outcome),
      r.temporal.address ?? '-',
      r.temporal.uiUrl ?? '-',
      `namespace ${r.temporal.namespace ?? '-'}`,
    ],
  ];
  if (r.minio) {
    rows.push(['minio', state(r.minio.outcome), r.minio.address, r.minio.consoleUrl, `bucket ${r.minio.bucket}`]);
  }
  const g = r.gateway;
  rows.push(['gateway', state(g.outcome), hostOf(g.url), '-', `admin ${hostOf(g.adminUrl)}`]);
  if (r.worker) rows.push(['worker', state(r.worker.outcome), '-', '-', `log ${r.worker.logFile}`]);
  const lines = [table(['PIECE', 'STATE', 'ADDRESS', 'UI', 'DETAIL'], rows).trimEnd()];
  lines.push('', `Temporal UI: ${r.temporal.uiUrl ?? '-'}`);
  lines.push(`inference gateway: ${g.url}/v2/models/<endpoint>/infer (admin token in ${g.tokenFile})`);
  lines.push(`data and logs in ${r.home} (stop with \`mlops dev down\`)`);
  for (const note of r.notes) lines.push(`note: ${note}`);
  const exports = Object.entries(r.exports).map(([k, v]) => `${k}=${v}`);
  if (exports.length > 0) {
    lines.push('', `mlops finds the stack through ${path.join(r.home, 'stack.json')}; for other tools:`);
    lines.push(`  export ${exports.join(' ')}`);
  }
  return lines.join('\n');
}

function renderStatus(s: StatusReport): string {
  const t = s.temporal;
  const rows = [['temporal', t.state, t.address ?? '-', t.uiUrl ?? '-', t.pid === null ? '-' : String(t.pid)]];
  const m = s.minio;
  rows.push(m ? ['minio', m.state, m.address, m.consoleUrl, String(m.pid)] : ['minio', 'down', '-', '-', '-']);
  const g = s.gateway;
  rows.push(g ? ['gateway', g.state, hostOf(g.url), '-', String(g.pid)] : ['gateway', 'down', '-', '-', '-']);
  if (s.worker) rows.push(['worker', s.worker.state, '-', '-', String(s.worker.pid)]);
  const lines = [table(['PIECE', 'STATE', 'ADDRESS', 'UI', 'PID'], rows).trimEnd(), ''];
  lines.push(`project: ${s.project}`, `store: ${s.store}`);
  lines.push(`temporal address in use: ${s.temporalAddress}`);
  if (t.state === 'down') lines.push('start the stack with `mlops dev up` (add `--store s3` for MinIO)');
  return lines.join('\n');
}

function renderDown(r: StackDownResult): string {
  if (r.pieces.length === 0 && r.purged.length === 0 && r.servers.length === 0)
    return `nothing to stop: no local stack recorded in ${r.home}`;
  const lines = r.pieces.map((p) =>
    p.outcome === 'not-running'
      ? `${p.piece} was no longer running (pid ${p.pid} is gone or now another program's); forgot it`
      : `stopped ${p.piece} (pid ${p.pid}${p.outcome === 'killed' ? ', killed after the grace period' : ''})`,
  );
  if (r.servers.length > 0) lines.push(`stopped model servers: ${r.servers.join(', ')}`);
  if (r.purged.length > 0) lines.push(`removed ${r.purged.join(', ')}`);
  else if (r.pieces.length > 0) lines.push(`data kept in ${r.home} (\`mlops dev down --purge\` deletes it)`);
  return lines.join('\n');
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
