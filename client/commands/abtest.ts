/**
 * Online A/B tests from the CLI:
 *   mlops abtest start --endpoint <e> --control <model>:<version|alias> --treatment <model>:<version|alias>
 *                      [--split 50] [--metric accuracy|conversion] [--method sequential|fixed-horizon]
 *                      [--alpha 0.05] [--duration 7d] [--samples-per-arm N] [--analysis-interval 1m]
 *                      [--promote canary|linear|all-at-once] [--no-wait]
 *   mlops abtest status <endpoint|workflowId|latest> [--watch]
 *   mlops abtest stop <endpoint|workflowId|latest> --reason "…" [--actor name] [--key file | --no-sign]
 * A test is the `abTest` workflow `abtest/<endpoint>/<time>`; one runs at a time per endpoint, and
 * never alongside a rollout there. `start` waits until the test ends, printing the counts per arm and
 * each analysis as they change (exit 4 when its promotion rolled back); `--no-wait` prints the id at once.
 */
import type { Command } from 'commander';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ModelRegistry } from '../../activities/registry';
import { createBlobStore } from '../../activities/storage';
import { abTestSettingsSchema } from '../../common/schemas/abtest';
import { isDuration, parseDuration } from '../../common/duration';
import { UserError } from '../../common/errors';
import { rolloutSectionSchema, type RolloutSection } from '../../common/schemas/spec';
import { MlEndpoint } from '../../common/search-attributes';
import {
  abTest,
  abTestStatusQuery,
  stopAbTestUpdate,
  type AbTestArm,
  type AbTestResult,
  type AbTestStatus,
} from '../../workflows/ab-test';
import { signDecision } from '../api';
import { withClient } from '../connect';
import { signerOf, signingOptions, type SigningFlags } from '../decision-commands';
import { EXIT } from '../exit-codes';
import { actorOption, flagOf, reasonOption } from '../options';
import { printServerView, queryOrServerView } from '../live-status';
import { resolveRunId } from '../run-lookup';
import type { CommandContext } from '../context';
import { table } from '../output';
import { runningAbTest } from '../running-abtest';
import { uiUrl } from '../ui-url';
import { explainWorkflowFailure } from '../workflow-errors';
import { abTestChanges, follow, hiddenWaitOption, watch } from '../progress';

const ENDPOINT_RULE = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export function registerAbTest(program: Command, ctx: () => CommandContext): void {
  const abtest = program.command('abtest').description('online A/B tests of two model versions on an endpoint');
  abtest
    .command('start')
    .description('split an endpoint’s traffic between two versions and test which does better on feedback labels')
    .requiredOption('--endpoint <name>', 'the serving endpoint')
    .requiredOption('--control <model:version>', 'the control arm, e.g. churn:champion or churn:3')
    .requiredOption('--treatment <model:version>', 'the treatment arm, e.g. churn:4')
    .option('--split <percent>', "the treatment's share of traffic", '50')
    .option('--metric <metric>', 'accuracy (prediction = label) or conversion (label says it happened)', 'accuracy')
    .option(
      '--method <method>',
      'sequential (mSPRT, may stop early) or fixed-horizon (z-test at the end)',
      'sequential',
    )
    .option('--alpha <x>', 'false positive rate', '0.05')
    .option('--duration <duration>', 'the horizon in time, e.g. 7d')
    .option('--samples-per-arm <n>', 'the horizon in labelled requests per arm')
    .option('--analysis-interval <duration>', 'how often outcomes are counted and tested', '1m')
    .option('--min-trials-per-arm <n>', 'sequential: labelled requests per arm before a look counts', '100')
    .option('--prior-effect <x>', 'sequential: a typical absolute difference of the rates', '0.05')
    .option('--promote <strategy>', 'if the treatment wins, roll it out: canary or all-at-once')
    .option('--promote-bake <duration>', 'how long the promotion bakes at each step', '10m')
    .option('--termination-wait <duration>', 'after promotion, how long the old variant keeps serving', '30s')
    .option('--reason <text>', 'why (recorded with the test)')
    .addOption(hiddenWaitOption())
    .option('--no-wait', 'print the workflow id at once instead of following the test until it ends')
    .action(async (opts: Record<string, string | boolean | undefined>) => {
      const { out } = ctx();
      const config = ctx().config();
      const endpoint = String(opts.endpoint);
      if (!ENDPOINT_RULE.test(endpoint)) throw new UserError(`--endpoint: not an endpoint name: ${endpoint}`, 2);
      const number = (flag: string, value: unknown) => {
        if (value === undefined) return undefined;
        const n = Number(value);
        if (String(value).trim() === '' || !Number.isFinite(n))
          throw new UserError(`--${flag}: expected a number, got ${String(value)}`, 2);
        return n;
      };
      if (opts.duration === undefined && opts.samplesPerArm === undefined)
        throw new UserError('--duration or --samples-per-arm: give the horizon of the test (either, or both)', 2);
      const parsed = abTestSettingsSchema.safeParse({
        split: number('split', opts.split),
        metric: opts.metric,
        method: opts.method,
        alpha: number('alpha', opts.alpha),
        duration: opts.duration,
        samplesPerArm: number('samples-per-arm', opts.samplesPerArm),
        analysisInterval: opts.analysisInterval,
        minTrialsPerArm: number('min-trials-per-arm', opts.minTrialsPerArm),
        priorEffect: number('prior-effect', opts.priorEffect),
      });
      if (!parsed.success)
        throw new UserError(
          parsed.error.issues.map((i) => `--${flagOf(String(i.path[0] ?? ''))}: ${i.message}`).join('\n'),
          2,
        );
      const settings = parsed.data;
      let promote: RolloutSection | undefined;
      if (opts.promote !== undefined) {
        if (opts.promote !== 'canary' && opts.promote !== 'all-at-once')
          throw new UserError(`--promote: expected canary or all-at-once, got ${String(opts.promote)}`, 2);
        const bake = String(opts.promoteBake);
        if (!isDuration(bake)) throw new UserError(`--promote-bake: a duration such as 0s or 10m, got ${bake}`, 2);
        const rollout = rolloutSectionSchema.safeParse({
          endpoint,
          strategy: opts.promote,
          bake,
          analysisInterval: parseDuration(bake) > 0 && parseDuration(bake) < 60_000 ? bake : '1m',
        });
        if (!rollout.success)
          throw new UserError(`--promote: ${rollout.error.issues.map((i) => i.message).join('; ')}`, 2);
        promote = rollout.data;
      }
      const terminationWait = String(opts.terminationWait);
      if (!isDuration(terminationWait))
        throw new UserError(`--termination-wait: a duration such as 30s or 5m, got ${terminationWait}`, 2);
      const registry = new ModelRegistry(createBlobStore(config.store));
      const control = await resolveArm(registry, '--control', String(opts.control));
      const treatment = await resolveArm(registry, '--treatment', String(opts.treatment));
      if (control.name === treatment.name && control.version === treatment.version)
        throw new UserError(`--treatment: the same version as --control (${control.name} v${control.version})`, 2);

      const workflowId = `abtest/${endpoint}/${new Date().toISOString()}`;
      await withClient(config, async (client) => {
        const busy = await busyWith(client, endpoint);
        if (busy) throw new UserError(`${endpoint} is busy: ${busy} is running`, 1);
        const handle = await client.workflow.start(abTest, {
          workflowId,
          taskQueue: config.taskQueue,
          args: [
            {
              endpoint,
              control,
              treatment,
              settings,
              promote,
              terminationWait,
              servingTaskQueue: config.servingTaskQueue,
              actor: config.actor,
              reason: typeof opts.reason === 'string' ? opts.reason : undefined,
            },
          ],
          staticSummary:
            `A/B ${endpoint}: ${control.name} v${control.version} vs ${treatment.name} v${treatment.version} · ${settings.metric}, ${settings.method}`.slice(
              0,
              200,
            ),
          staticDetails: `control **${control.name} v${control.version}**, treatment **${treatment.name} v${treatment.version}** (${settings.split}% of traffic), started by ${config.actor}${typeof opts.reason === 'string' ? `: ${opts.reason}` : ''}`,
        });
        out.info(`started ${workflowId}\n${uiUrl(config, workflowId)}`);
        if (opts.wait === false) {
          out.result({ workflowId, runId: handle.firstExecutionRunId }, (r) => r.workflowId);
          return;
        }
        const result = await follow<AbTestResult, AbTestStatus>(out, {
          handle,
          followWith: `mlops abtest status ${workflowId} --watch`,
          read: () => handle.query(abTestStatusQuery),
          changes: abTestChanges,
        });
        out.result({ workflowId, ...result }, renderAbTest);
        process.exitCode = abTestExit(result);
      });
    });

  abtest
    .command('status')
    .argument(
      '<test>',
      'an endpoint (its latest test), a workflow id abtest/<endpoint>/<time> or a unique prefix of one, or latest',
    )
    .description('arms, counts, success rates and the latest analysis')
    .option('--watch', 'print it again each time it changes, until the test ends')
    .action(async (test: string, opts: { watch?: boolean }) => {
      const config = ctx().config();
      await withClient(config, async (client) => {
        const workflowId = await findTest(client, test);
        const handle = client.workflow.getHandle<typeof abTest>(workflowId);
        if (opts.watch) {
          const finalResult = () =>
            handle.result().catch((err: unknown) => {
              throw explainWorkflowFailure(err, workflowId);
            });
          await watch<(AbTestStatus | AbTestResult) & { workflowId: string }>(ctx().out, {
            handle,
            read: async () => ({ workflowId, ...(await handle.query(abTestStatusQuery)) }),
            final: async () => ({ workflowId, ...(await finalResult()) }),
            render: renderAbTest,
            exitCode: (s) => ('outcome' in s ? abTestExit(s) : undefined),
          });
          return;
        }
        const description = await handle.describe();
        let status: AbTestStatus | AbTestResult;
        if (description.status.name === 'RUNNING') {
          const read = await queryOrServerView(client, workflowId, abTestStatusQuery, {
            missing: `no run ${workflowId}`,
          });
          if ('server' in read) return printServerView(ctx, read.server);
          status = read.live;
        } else
          status = await handle.result().catch((err: unknown) => {
            throw explainWorkflowFailure(err, workflowId);
          });
        ctx().out.result({ workflowId, ...status }, renderAbTest);
      });
    });

  const stop = abtest
    .command('stop')
    .argument('<test>', 'an endpoint (its running test), a workflow id or a unique prefix of one, or latest')
    .description('end the test now: traffic back as before; no winner is read from an unfinished fixed-horizon test');
  reasonOption(stop, { required: true });
  actorOption(stop);
  signingOptions(stop).action(async (test: string, opts: { reason: string; actor?: string } & SigningFlags) => {
    const config = ctx().config();
    const actor = opts.actor ?? config.actor;
    const sign = signerOf(ctx, opts);
    await withClient(config, async (client) => {
      const workflowId = await findTest(client, test);
      const handle = client.workflow.getHandle<typeof abTest>(workflowId);
      try {
        const running = sign ? await handle.query(abTestStatusQuery) : undefined;
        const signature =
          running &&
          (await signDecision(sign, {
            run: workflowId,
            model: running.treatment.model,
            version: running.treatment.version,
            decision: 'stop',
            comment: opts.reason,
            actor,
          }));
        await handle.executeUpdate(stopAbTestUpdate, {
          args: [{ actor, reason: opts.reason, ...(signature ? { signature } : {}) }],
        });
      } catch (err) {
        if (err instanceof UserError) throw err;
        if (err instanceof WorkflowUpdateFailedError)
          throw new UserError(`stop refused: ${(err.cause as Error | undefined)?.message ?? err.message}`, EXIT.failed);
        throw new UserError(`${workflowId} is not running`, EXIT.failed);
      }
      const result = await handle.result().catch((err: unknown) => {
        throw explainWorkflowFailure(err, workflowId);
      });
      ctx().out.result({ workflowId, ...result }, renderAbTest);
    });
  });
}

/** A finished test's exit code: 4 when the winner's promotion rolled back, else 0. */
function abTestExit(result: AbTestResult): number {
  return result.rollout?.outcome === 'rolled-back' ? EXIT.rejected : EXIT.ok;
}

/** `<model>:<version|alias>` → the registered version, refused when not fit to serve. */
async function resolveArm(registry: ModelRegistry, flag: string, ref: string): Promise<AbTestArm> {
  const match = /^([a-z0-9][a-z0-9._-]{0,62}):([A-Za-z0-9._-]+)$/.exec(ref);
  if (!match) throw new UserError(`${flag}: expected <model>:<version or alias>, e.g. churn:3, got ${ref}`, 2);
  const [, model, version] = match as unknown as [string, string, string];
  const found = await registry
    .describeVersion(model, /^\d+$/.test(version) ? Number(version) : version)
    .catch((err: unknown) => {
      throw new UserError(`${flag}: ${(err as Error).message}`, 1);
    });
  if (found.status === 'candidate' || found.status === 'rejected')
    throw new UserError(`${flag}: ${model} v${found.version.version} is ${found.status}: approve it first`, 1);
  return { name: model, version: found.version.version, artifactUri: found.version.artifactUri };
}

/** The running rollout or A/B test on the endpoint, if any. */
async function busyWith(client: Client, endpoint: string): Promise<string | undefined> {
  const rollout = await client.workflow
    .getHandle(`rollout/${endpoint}`)
    .describe()
    .catch(() => undefined);
  if (rollout?.status.name === 'RUNNING') return `rollout/${endpoint}`;
  return runningAbTest(client, endpoint);
}

/** A workflow id (or a unique prefix of one, or latest: ../run-lookup.ts), or the newest A/B test of an endpoint. */
async function findTest(client: Client, test: string): Promise<string> {
  if (test.startsWith('abtest/') || test === 'latest') return resolveRunId(client, test, { types: ['abtest'] });
  if (!ENDPOINT_RULE.test(test)) throw new UserError(`not an endpoint or abtest/… workflow id: ${test}`, EXIT.badInput);
  for await (const wf of client.workflow.list({
    query: `WorkflowType = 'abTest' AND ${MlEndpoint.name} = '${test}'`,
  }))
    return wf.workflowId;
  throw new UserError(`no A/B test on ${test}`, EXIT.failed);
}

function renderAbTest(s: (AbTestStatus | AbTestResult) & { workflowId?: string }): string {
  const rate = (a: { trials: number; successes: number }) =>
    a.trials > 0 ? `${((100 * a.successes) / a.trials).toFixed(2)}%` : '—';
  const result = 'outcome' in s ? s : undefined;
  const lines = [
    `${s.workflowId ?? s.endpoint}: ${result ? `${result.outcome}, winner ${result.winner}` : s.phase} · ${s.settings.metric}, ${s.settings.method}, alpha ${s.settings.alpha} · ${s.looks} look${s.looks === 1 ? '' : 's'}`,
    table(
      ['ARM', 'VARIANT', 'CAPTURED', 'LABELLED', 'SUCCESS'],
      [
        ['control', s.control.variant, String(s.control.captured), String(s.control.trials), rate(s.control)],
        ['treatment', s.treatment.variant, String(s.treatment.captured), String(s.treatment.trials), rate(s.treatment)],
      ],
    ).trimEnd(),
  ];
  if (s.decision) lines.push(s.decision.reason);
  if (s.stoppedBy)
    lines.push(
      `stopped by ${s.stoppedBy.actor}${s.stoppedBy.signedBy ? ` (key ${s.stoppedBy.signedBy})` : ''}: ${s.stoppedBy.reason}`,
    );
  if (result?.rollout)
    lines.push(
      `promotion: ${result.rollout.workflowId} ${result.rollout.outcome}${result.rollout.reason ? ` (${result.rollout.reason})` : ''}`,
    );
  return lines.join('\n');
}
