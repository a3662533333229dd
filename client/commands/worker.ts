/** `mlops worker`: runs a worker process polling the mlops, mlops-training and/or mlops-serving task queues. */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { UserError } from '../../common/errors';
import { ALL_QUEUE_ROLES, runWorker, type QueueRole } from '../../worker';
import { userWorkflowFiles } from '../../worker/workflow-bundle';
import type { CommandContext } from '../context';
import { collect, durationFlag, parsePort } from '../options';
import { EXIT } from '../exit-codes';

export function registerWorker(program: Command, ctx: () => CommandContext): void {
  program
    .command('worker')
    .description('run a worker: workflows and light activities, training jobs, model-server hosts, or all of them')
    .addOption(
      new Option(
        '--queues <which>',
        'which task queues to poll: all, or a comma-separated list of workflows, training, serving',
      )
        .argParser(parseQueues)
        .default(ALL_QUEUE_ROLES, 'all'),
    )
    .option('--metrics-port <port>', 'serve Prometheus metrics on <metrics-host>:<port>/metrics', parsePort)
    .option('--metrics-host <address>', 'address of the metrics endpoint (0.0.0.0 in a container)', '127.0.0.1')
    .option('--health-port <port>', 'serve GET /healthz (liveness) and /readyz (readiness) on this port', parsePort)
    .option('--health-host <address>', 'address of the health endpoint (0.0.0.0 in a container)', '127.0.0.1')
    .option('--bundle <file>', 'a pre-built workflow bundle (`mlops bundle`): no bundling at start')
    .option(
      '--workflows <path>',
      'your workflow modules (a file, or a folder of .ts/.js files), bundled with the built-in ones (repeatable; default MLOPS_WORKFLOWS)',
      collect,
      [],
    )
    .addOption(
      durationFlag(
        '--connect-timeout <duration>',
        'how long to keep trying to reach Temporal at start, e.g. 30s, 5m (0s: try once)',
        { default: '2m', allowZero: true },
      ),
    )
    .action(
      async (opts: {
        queues: readonly QueueRole[];
        metricsPort?: number;
        metricsHost: string;
        healthPort?: number;
        healthHost: string;
        bundle?: string;
        workflows: string[];
        connectTimeout: number;
      }) => {
        const config = ctx().config();
        const roles = opts.queues;
        if (opts.bundle !== undefined && !fs.existsSync(opts.bundle))
          throw new UserError(
            `--bundle: ${opts.bundle} does not exist (build it with mlops bundle -o ${opts.bundle})`,
            EXIT.badInput,
          );
        if (opts.bundle !== undefined && opts.workflows.length > 0)
          throw new UserError(
            `--workflows: not with --bundle (build the bundle with mlops bundle --workflows … -o ${opts.bundle})`,
            EXIT.badInput,
          );
        // the flag wins over MLOPS_WORKFLOWS; a pre-built bundle already holds what it was built with
        const workflowFiles =
          opts.workflows.length > 0
            ? userWorkflowFiles(opts.workflows, '--workflows')
            : opts.bundle === undefined
              ? userWorkflowFiles(config.workflows, 'MLOPS_WORKFLOWS')
              : [];
        await runWorker({
          config,
          roles,
          metricsPort: opts.metricsPort,
          metricsHost: opts.metricsHost,
          healthPort: opts.healthPort,
          healthHost: opts.healthHost,
          workflowBundle: opts.bundle === undefined ? undefined : { codePath: path.resolve(opts.bundle) },
          workflowFiles,
          connectTimeoutMs: opts.connectTimeout,
        });
      },
    );
}

/** Parses `--queues`: `all`, or a comma-separated list of roles (each once). */
function parseQueues(value: string): readonly QueueRole[] {
  const words = value.split(',').map((w) => w.trim());
  if (words.length === 1 && words[0] === 'all') return ALL_QUEUE_ROLES;
  const unknown = words.filter((w) => !(ALL_QUEUE_ROLES as readonly string[]).includes(w));
  if (unknown.length > 0)
    throw new InvalidArgumentError(
      `${unknown.map((w) => JSON.stringify(w)).join(', ')} is not a queue: use all, or a comma-separated list of ${ALL_QUEUE_ROLES.join(', ')}.`,
    );
  if (new Set(words).size !== words.length) throw new InvalidArgumentError('a queue is named twice.');
  // the order workers are created in does not depend on how the flag was written
  return ALL_QUEUE_ROLES.filter((r) => words.includes(r));
}
