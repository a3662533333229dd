/**
 * Rollout blocks: `rollout` runs the `progressiveRollout` child (`rollout/<endpoint>`: one at a time
 * per endpoint) that canaries the version and promotes or rolls it back; `promote` moves the
 * `champion` alias directly, for a pipeline without a serving rollout.
 */
import { executeChild, patched } from '@temporalio/workflow';
import type { RolloutSection } from '../../common/schemas/spec';
import { progressiveRollout } from '../progressive-rollout';
import { InvalidArgumentError, toApplicationFailure } from '../../common/failures';
import { light } from './activity-options';
import type { PipelineRun } from './run';
import type { RegisteredVersion } from './types';

export interface RolloutOptions {
  version: RegisteredVersion;
  /** @default the registered version's artifact */
  artifactUri?: string;
  /** @default the spec's rollout section */
  rollout?: RolloutSection;
  /** @default 'rollout' */
  step?: string;
}

export interface RolloutResult {
  outcome: 'promoted' | 'rolled-back';
  /** Why it rolled back. */
  reason?: string;
  workflowId: string;
  /** The rollout posted its own outcome to the spec's notifications. */
  notified: boolean;
}

export async function rollout(run: PipelineRun, options: RolloutOptions): Promise<RolloutResult> {
  const { spec, input } = run;
  const section = options.rollout ?? spec.rollout;
  if (!section)
    throw toApplicationFailure(new InvalidArgumentError('rollout', `the spec of ${spec.name} has no rollout section`));
  const { version } = options;
  const step = options.step ?? 'rollout';
  const workflowId = `rollout/${section.endpoint}`;
  run.link('rollout', workflowId);
  run.stage('rollout');
  run.begin(step, `${section.strategy} to ${section.endpoint}`);
  // whether the rollout posts its own rollback (then the run does not post it a second time)
  const notified = patched('rollout-notifies') && spec.notifications !== undefined;
  const rolled = await executeChild(progressiveRollout, {
    workflowId,
    args: [
      {
        endpoint: section.endpoint,
        model: {
          name: version.model,
          version: version.version,
          artifactUri: options.artifactUri ?? version.artifactUri,
        },
        rollout: section,
        actor: `pipeline:${run.id}`,
        reason: input.reason ?? `retrain ${run.id}`,
        ...(notified ? { notifications: [spec.notifications!], pipeline: spec.name } : {}),
        // who may sign a promote or abort of this rollout
        ...(spec.approval?.approvers ? { approvers: spec.approval.approvers } : {}),
        // where its serving-host activities run (absent in runs started before the serving queue)
        ...(input.servingTaskQueue !== undefined && { servingTaskQueue: input.servingTaskQueue }),
      },
    ],
    // a terminated run still lets its rollout roll back cleanly
    parentClosePolicy: 'REQUEST_CANCEL',
    staticSummary: `rollout ${version.model} v${version.version} → ${section.endpoint} (from ${run.id})`.slice(0, 200),
  });
  const reason = rolled.outcome === 'rolled-back' ? (rolled.reason ?? 'rolled back') : undefined;
  run.end(
    step,
    reason ? 'failed' : 'done',
    reason ? `rolled back: ${reason}` : `v${version.version} serves all of ${section.endpoint}`,
  );
  return { outcome: rolled.outcome, reason, workflowId, notified };
}

export interface PromoteOptions {
  version: RegisteredVersion;
  /** The champion version this run saw (null: none); another run's promotion meanwhile is not overwritten. */
  expected: number | null;
  /** @default the approval's actor */
  actor?: string;
  /** @default `approved in <run> (no rollout configured)` */
  reason?: string;
}

/** Moves the `champion` alias to the version (compare-and-swap on `expected`); true when it moved. */
export async function promote(run: PipelineRun, options: PromoteOptions): Promise<boolean> {
  const { version } = options;
  const promoted = await light.setModelAlias.executeWithOptions(
    { summary: `promote v${version.version} to champion` },
    [
      {
        model: version.model,
        alias: 'champion',
        version: version.version,
        expectedVersion: options.expected,
        actor: options.actor ?? run.status.approval?.actor ?? `pipeline:${run.id}`,
        reason: options.reason ?? `approved in ${run.id} (no rollout configured)`,
      },
    ],
  );
  run.link(
    'champion',
    promoted.changed
      ? `${version.model} v${version.version}`
      : `${version.model} v${promoted.current ?? '—'} (not moved: another run promoted meanwhile)`,
  );
  return promoted.changed;
}
