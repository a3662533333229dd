/**
 * The worker process: connects from config, registers the workflows and the activities built by
 * `createActivities(deps)`, polls the chosen task queues, and shuts down gracefully on
 * SIGINT/SIGTERM (the SDK runtime's shutdown signals drain in-flight tasks first).
 */
import fs from 'node:fs';
import { clientDataConverter } from '../lib/codec/aes-gcm';
import { DefaultLogger, NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { LoadedConfig } from '../lib/config';
import { UserError } from '../common/errors';
import { codeModule } from '../lib/package-root';
import { buildActivityDeps } from './dependencies';
import { startHealthServer } from './health';
import { buildWorkflowBundle, userModulesOf, type UserWorkflowModule } from './workflow-bundle';

/**
 * The task queues a worker may poll: `workflows` (workflows and light activities), `training`
 * (training, evaluation and step jobs), `serving` (the activities bound to a model-server host).
 */
export type QueueRole = 'workflows' | 'training' | 'serving';

/** Every queue, in the order a worker polling all of them creates its workers. */
export const ALL_QUEUE_ROLES: readonly QueueRole[] = ['workflows', 'training', 'serving'];

/** The task queue a role polls, from config. */
export function taskQueueOf(config: LoadedConfig, role: QueueRole): string {
  return role === 'workflows'
    ? config.taskQueue
    : role === 'training'
      ? config.trainingTaskQueue
      : config.servingTaskQueue;
}

export interface WorkerRunOptions {
  config: LoadedConfig;
  /** Which queues to poll. @default all three */
  roles?: readonly QueueRole[];
  /** Serve Prometheus metrics on <metricsHost>:<port>/metrics. */
  metricsPort?: number;
  /** Address of the metrics endpoint (0.0.0.0 in a container, for scraping). @default '127.0.0.1' */
  metricsHost?: string;
  /** A pre-built workflow bundle (from `bundleWorkflowCode`), skipping the bundling at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /**
   * User workflow modules (./workflow-bundle.ts `userWorkflowFiles`) to bundle with the built-in
   * workflows; refused before connecting when one imports what the sandbox refuses.
   */
  workflowFiles?: string[];
  /** Serve /healthz and /readyz on this port (./health.ts). */
  healthPort?: number;
  /** @default '127.0.0.1' */
  healthHost?: string;
  /** How long to keep trying to reach Temporal at start before giving up (ms). @default 120_000 */
  connectTimeoutMs?: number;
  log?: (line: string) => void;
}

/**
 * Worker warnings go to stderr, except the SDK's note that the training or serving queue's worker
 * polls no workflows: that is the design (those hosts run activities only), not something to fix.
 */
export const workerLogger = new DefaultLogger('WARN', (entry) => {
  if (entry.message.startsWith('No workflows registered')) return;
  process.stderr.write(
    `${new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString()} [${entry.level}] ${entry.message}${entry.meta ? ` ${JSON.stringify(entry.meta)}` : ''}\n`,
  );
});

/** Installs the SDK runtime once per process (logging, optional Prometheus metrics). */
export function installRuntime(metricsPort?: number, metricsHost = '127.0.0.1'): void {
  Runtime.install({
    logger: workerLogger,
    telemetryOptions:
      metricsPort === undefined
        ? undefined
        : { metrics: { prometheus: { bindAddress: hostPort(metricsHost, metricsPort) } } },
  });
}

/** `host:port`, with an IPv6 host in brackets. */
function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Creates the workers for the chosen queues on one connection. */
export async function createWorkers(opts: WorkerRunOptions, connection: NativeConnection): Promise<Worker[]> {
  const { config } = opts;
  const roles = opts.roles ?? ALL_QUEUE_ROLES;
  const activities = createActivities(buildActivityDeps(config));
  const workers: Worker[] = [];
  // the payload codec when MLOPS_CODEC_KEYS or MLOPS_CODEC_KEY_FILE is set (lib/codec)
  const dataConverter = clientDataConverter();
  for (const role of roles) {
    // heartbeats reach the server at least every 2 s: progress shows promptly and a cancel reaches a job fast
    const common = {
      connection,
      namespace: config.temporal.namespace,
      activities,
      maxHeartbeatThrottleInterval: '2s',
      ...(dataConverter && { dataConverter }),
    };
    if (role === 'workflows') {
      workers.push(
        await Worker.create({
          ...common,
          taskQueue: config.taskQueue,
          ...(opts.workflowBundle
            ? { workflowBundle: opts.workflowBundle }
            : { workflowsPath: codeModule('workflows/index') }),
        }),
      );
    } else {
      workers.push(await Worker.create({ ...common, taskQueue: taskQueueOf(config, role) }));
    }
  }
  return workers;
}

/**
 * Connects to Temporal, retrying (with a line on stderr each time) while the server is not there
 * yet — it may start after the worker, as in a cluster — for up to `connectTimeoutMs`; then fails
 * with the last error.
 */
export async function connectPatiently(opts: WorkerRunOptions, log: (line: string) => void): Promise<NativeConnection> {
  const { address, connectionOptions } = opts.config.temporal;
  const deadline = Date.now() + (opts.connectTimeoutMs ?? 120_000);
  for (let attempt = 1, waitMs = 500; ; attempt++, waitMs = Math.min(waitMs * 2, 10_000)) {
    try {
      return await NativeConnection.connect(connectionOptions);
    } catch (error) {
      const left = deadline - Date.now();
      const reason = (error as Error).message.split('\n')[0];
      if (left <= 0) throw new UserError(`cannot reach Temporal at ${address}: ${reason}`, 1);
      const wait = Math.min(waitMs, left);
      log(`cannot reach Temporal at ${address} (attempt ${attempt}: ${reason}); retrying in ${wait / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

/**
 * With user workflow modules: bundles them with the built-in ones before anything connects (a
 * refused module stops the worker here, exit 2) and logs the workflows each registers; with a
 * pre-built bundle, logs the user workflows it holds.
 */
async function userWorkflows(
  opts: WorkerRunOptions,
  log: (line: string) => void,
): Promise<Pick<WorkerRunOptions, 'workflowBundle'>> {
  let modules: UserWorkflowModule[] = [];
  let bundle = opts.workflowBundle;
  if (opts.workflowFiles && opts.workflowFiles.length > 0) {
    const built = await buildWorkflowBundle(opts.workflowFiles, workerLogger);
    bundle = { code: built.code };
    modules = built.userModules;
  } else if (bundle && 'codePath' in bundle) {
    modules = userModulesOf(await fs.promises.readFile(bundle.codePath, 'utf8'));
  }
  for (const m of modules) log(`registered user workflows ${m.workflows.join(', ')} from ${m.file}`);
  return { workflowBundle: bundle };
}

/** Runs until a shutdown signal; resolves once every worker has drained. */
export async function runWorker(opts: WorkerRunOptions): Promise<void> {
  const log = opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
  installRuntime(opts.metricsPort, opts.metricsHost);
  const polled = opts.roles ?? ALL_QUEUE_ROLES;
  if (polled.includes('workflows')) opts = { ...opts, ...(await userWorkflows(opts, log)) };
  const connection = await connectPatiently(opts, log);
  try {
    let workers: Worker[] = [];
    // up before the workers are created: liveness answers while bundling, readiness once they poll
    const health =
      opts.healthPort === undefined
        ? undefined
        : await startHealthServer(() => workers, opts.healthHost ?? '127.0.0.1', opts.healthPort);
    try {
      workers = await createWorkers(opts, connection);
      const queues = workers.map((w) => w.options.taskQueue).join(', ');
      const running = Promise.all(workers.map((w) => w.run()));
      log(
        `worker polling ${queues} on ${opts.config.temporal.address} (namespace ${opts.config.temporal.namespace}), store ${opts.config.store.uri}` +
          (opts.metricsPort === undefined
            ? ''
            : `, metrics on http://${hostPort(opts.metricsHost ?? '127.0.0.1', opts.metricsPort)}/metrics`) +
          (health ? `, health on ${health.url}/healthz and /readyz` : ''),
      );
      await running;
      log('worker stopped');
    } finally {
      await health?.close();
    }
  } finally {
    await connection.close();
  }
}
