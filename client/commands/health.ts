/** `mlops health`: runs the healthCheck workflow (worker + server + store round-trip on each queue). */
import type { Command } from 'commander';
import { isDuration, parseDuration } from '../../common/duration';
import { UserError } from '../../common/errors';
import { healthCheck, type HealthCheckResult } from '../../workflows/health-check';
import { withClient } from '../connect';
import type { CommandContext } from '../context';
import { table } from '../output';
import { EXIT } from '../exit-codes';

export function registerHealth(program: Command, ctx: () => CommandContext): void {
  program
    .command('health')
    .description('check that workers, the Temporal server and the object store work together')
    .option('--queue-timeout <duration>', 'how long a task queue may go without a worker', '20s')
    .action(async (opts: { queueTimeout: string }) => {
      if (!isDuration(opts.queueTimeout) || parseDuration(opts.queueTimeout) === 0)
        throw new UserError(
          `--queue-timeout: a duration such as 20s or 1m, got ${JSON.stringify(opts.queueTimeout)}`,
          EXIT.badInput,
        );
      const { out, config } = { out: ctx().out, config: ctx().config() };
      const result = await withClient(config, async (client) => {
        const workflowId = `health/${new Date().toISOString()}`;
        out.info(`started ${workflowId}`);
        return client.workflow.execute(healthCheck, {
          workflowId,
          taskQueue: config.taskQueue,
          args: [
            {
              nonce: workflowId,
              taskQueues: [config.taskQueue, config.trainingTaskQueue, config.servingTaskQueue],
              queueTimeout: opts.queueTimeout,
            },
          ],
          staticSummary: 'health check: store round-trip on every task queue',
          workflowExecutionTimeout: '2m',
        });
      });
      out.result(result, renderHealth);
      if (!result.ok) throw new UserError('health check failed', EXIT.failed);
    });
}

function renderHealth(result: HealthCheckResult): string {
  return table(
    ['TASK QUEUE', 'STATUS', 'DETAIL'],
    result.queues.map((q) =>
      q.ok
        ? [q.taskQueue, 'ok', `${q.probe.storeUri} round-trip ${q.probe.roundTripMs} ms on ${q.probe.worker.host}`]
        : [q.taskQueue, 'FAILED', q.error],
    ),
  );
}
