/**
 * `mlops deploy <model> <version> --endpoint <e> [--strategy canary|linear|all-at-once] [--steps 10,50,100]
 *                [--bake 10m] [--analysis-interval 1m] [--max-error-rate 0.01] [--max-error-rate-increase 0.02]
 *                [--max-latency-p95-ms 250] [--max-latency-increase 0.2] [--notify ENV_VAR]… [--wait]`:
 * starts a rollout, the `progressiveRollout` workflow `rollout/<endpoint>`: one at a time per endpoint,
 * never while an A/B test runs there.
 */
import type { Command } from 'commander';
import { WorkflowExecutionAlreadyStartedError, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { createBlobStore } from '../../activities/storage';
import { ModelRegistry } from '../../activities/registry';
import { UserError } from '../../common/errors';
import { isDuration } from '../../common/duration';
import { notificationsSectionSchema, rolloutSectionSchema } from '../../common/schemas/spec';
import { progressiveRollout, rolloutStatusQuery, type RolloutOutput } from '../../workflows/progressive-rollout';
import { withClient } from '../connect';
import type { CommandContext } from '../context';
import { renderRollout } from '../render/rollout';
import { runningAbTest } from '../running-abtest';
import { uiUrl } from '../ui-url';
import { flagOf } from '../options';
import { EXIT } from '../exit-codes';
import { explainWorkflowFailure } from '../workflow-errors';

export function registerDeploy(program: Command, ctx: () => CommandContext): void {
  program
    .command('deploy')
    .description('roll a registered model version out to a serving endpoint, step by step with analysis')
    .argument('<model>')
    .argument('<version>', 'a version number or an alias (e.g. challenger)')
    .requiredOption('--endpoint <name>', 'the serving endpoint')
    .option('--strategy <strategy>', 'canary | linear | all-at-once', 'canary')
    .option('--steps <weights>', 'canary weights, e.g. 10,50,100')
    .option('--step-size <n>', 'linear: percent added per step')
    .option('--bake <duration>', 'how long each step bakes', '10m')
    .option('--analysis-interval <duration>', 'how often the candidate is analysed', '1m')
    .option('--max-error-rate <x>', 'error rate limit (0..1)', '0.01')
    .option('--max-error-rate-increase <x>', "error rate limit over the baseline's, in points as a fraction (0.02)")
    .option('--max-latency-p95-ms <ms>', 'p95 latency limit')
    .option('--max-latency-increase <x>', "p95 latency limit over the baseline's, as a fraction (0.2 = +20%)")
    .option('--min-requests <n>', 'requests an analysis needs', '50')
    .option('--failure-limit <n>', 'failed analyses in a row before rolling back', '2')
    .option('--termination-wait <duration>', 'how long the old variant keeps serving after the switch', '30s')
    .option('--reason <text>', 'why (recorded in the registry audit)')
    .option(
      '--notify <env-var>',
      "post the rollback or promotion to the webhook whose URL is in this variable of the worker's environment (repeatable)",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option('--wait', 'follow the rollout until it ends; exit 4 if it rolled back')
    .action(async (model: string, version: string, opts: Record<string, string | string[] | boolean | undefined>) => {
      const { out } = ctx();
      const config = ctx().config();
      const parsed = rolloutSectionSchema.safeParse({
        endpoint: opts.endpoint,
        strategy: opts.strategy,
        ...(opts.steps ? { steps: String(opts.steps).split(',').map(Number) } : {}),
        ...(opts.stepSize ? { stepSize: Number(opts.stepSize) } : {}),
        bake: opts.bake,
        analysisInterval: opts.analysisInterval,
        maxErrorRate: Number(opts.maxErrorRate),
        ...(opts.maxErrorRateIncrease ? { maxErrorRateIncrease: Number(opts.maxErrorRateIncrease) } : {}),
        ...(opts.maxLatencyP95Ms ? { maxLatencyP95Ms: Number(opts.maxLatencyP95Ms) } : {}),
        ...(opts.maxLatencyIncrease ? { maxLatencyIncrease: Number(opts.maxLatencyIncrease) } : {}),
        minRequests: Number(opts.minRequests),
        failureLimit: Number(opts.failureLimit),
      });
      if (typeof opts.terminationWait !== 'string' || !isDuration(opts.terminationWait))
        throw new UserError(`--termination-wait: a duration such as 30s or 5m, got ${String(opts.terminationWait)}`, 2);
      if (!parsed.success)
        throw new UserError(
          parsed.error.issues.map((i) => `--${flagOf(String(i.path[0] ?? ''))}: ${i.message}`).join('\n'),
          2,
        );
      const rollout = parsed.data;
      const notifications = ((opts.notify as string[] | undefined) ?? []).map((webhookEnv) => {
        const target = notificationsSectionSchema.safeParse({ webhookEnv });
        if (!target.success)
          throw new UserError(`--notify: ${target.error.issues.map((i) => i.message).join('; ')}`, 2);
        return { webhookEnv: target.data.webhookEnv };
      });
      const registry = new ModelRegistry(createBlobStore(config.store));
      const found = await registry
        .describeVersion(model, /^\d+$/.test(version) ? Number(version) : version)
        .catch((err: unknown) => {
          throw new UserError((err as Error).message, 1);
        });
      if (found.status !== 'approved' && found.status !== 'production' && found.status !== 'rolled-back')
        throw new UserError(
          `${model} v${found.version.version} is ${found.status}: only approved versions roll out`,
          1,
        );
      const workflowId = `rollout/${rollout.endpoint}`;
      await withClient(config, async (client) => {
        const abtest = await runningAbTest(client, rollout.endpoint);
        if (abtest) throw new UserError(`${rollout.endpoint} is busy: the A/B test ${abtest} is running`, 1);
        let handle: WorkflowHandleWithFirstExecutionRunId<typeof progressiveRollout>;
        try {
          handle = await client.workflow.start(progressiveRollout, {
            workflowId,
            taskQueue: config.taskQueue,
            args: [
              {
                endpoint: rollout.endpoint,
                model: { name: model, version: found.version.version, artifactUri: found.version.artifactUri },
                rollout,
                actor: config.actor,
                reason: typeof opts.reason === 'string' ? opts.reason : undefined,
                terminationWait: String(opts.terminationWait),
                ...(notifications.length > 0 ? { notifications } : {}),
                servingTaskQueue: config.servingTaskQueue,
              },
            ],
            staticSummary: `rollout ${model} v${found.version.version} → ${rollout.endpoint} · ${rollout.strategy}`,
          });
        } catch (err) {
          if (err instanceof WorkflowExecutionAlreadyStartedError) {
            const running = await client.workflow
              .getHandle(workflowId)
              .query(rolloutStatusQuery)
              .catch(() => undefined);
            throw new UserError(
              `a rollout is already running on ${rollout.endpoint}: ${workflowId}${running ? ` (${running.model} v${running.version}, ${running.phase})` : ''}`,
              1,
            );
          }
          throw err;
        }
        out.info(`started ${workflowId}\n${uiUrl(config, workflowId)}`);
        if (!opts.wait) {
          out.result({ workflowId, runId: handle.firstExecutionRunId }, (r) => r.workflowId);
          return;
        }
        const result = (await handle.result().catch((err: unknown) => {
          throw explainWorkflowFailure(err, workflowId);
        })) as RolloutOutput;
        out.result({ workflowId, ...result }, renderRollout);
        if (result.outcome === 'rolled-back') process.exitCode = EXIT.rejected;
      });
    });
}
