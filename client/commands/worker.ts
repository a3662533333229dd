/** `mlops worker`: runs a worker process polling the mlops and/or mlops-training task queues. */
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { runWorker, type QueueRole } from '../../worker';
import type { CommandContext } from '../context';

export function registerWorker(program: Command, ctx: () => CommandContext): void {
  program
    .command('worker')
    .description('run a worker: workflows and light activities, training jobs, or both')
    .addOption(
      new Option('--queues <which>', 'which task queues to poll')
        .choices(['all', 'workflows', 'training'])
        .default('all'),
    )
    .option('--metrics-port <port>', 'serve Prometheus metrics on 127.0.0.1:<port>/metrics', parsePort)
    .action(async (opts: { queues: 'all' | QueueRole; metricsPort?: number }) => {
      const config = ctx().config();
      const roles: QueueRole[] = opts.queues === 'all' ? ['workflows', 'training'] : [opts.queues];
      await runWorker({ config, roles, metricsPort: opts.metricsPort });
    });
}

/** Parses a TCP port argument; commander names the option in its usage error (exit 2). */
export function parsePort(value: string): number {
  const port = Number(value);
  if (value.trim() === '' || !Number.isInteger(port) || port < 1 || port > 65535)
    throw new InvalidArgumentError('expected a port from 1 to 65535.');
  return port;
}
