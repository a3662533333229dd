/**
 * Workflow code for the fault tests: the project's workflows plus `registerVersions`, registry writes
 * as the retrain pipeline makes them — the same activities, with the same options as its `light`
 * profile (workflows/retrain-pipeline.ts) — but many at once, so a store outage lands in the middle
 * of them. A test bundles this file and runs it with `mlops worker --bundle <file>`.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';

export * from '../../workflows';

/** As the retrain pipeline's `light` activities: a store outage is retried for about 2.5 minutes. */
const light = proxyActivities<Activities>({
  startToCloseTimeout: '5m',
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 10 },
});

export interface RegisterVersionsInput {
  model: string;
  artifactUri: string;
  /** One registration per run id (its idempotency key), all at once. */
  runs: string[];
}

export interface RegisterVersionsOutput {
  /** The version each run registered, in the order of `runs`. */
  versions: number[];
  /** The version `champion` points at afterwards: the newest one registered here. */
  champion: number;
}

/** Registers a version per run concurrently, approves each, then moves `champion` to the newest. */
export async function registerVersions(input: RegisterVersionsInput): Promise<RegisterVersionsOutput> {
  const { model } = input;
  const versions = await Promise.all(
    input.runs.map(async (run, i) => {
      const { version } = await light.registerModel({
        model,
        artifactUri: input.artifactUri,
        metrics: { auc: 0.8 + i / 1000 },
        params: { run },
        trainingSnapshot: { dataset: 'churn', id: 'a'.repeat(64) },
        codeVersion: 'sha256:chaos',
        pipelineRun: run,
        trigger: 'manual',
      });
      await light.setModelStatus({
        model,
        version,
        status: 'approved',
        expectedStatus: 'candidate',
        actor: `pipeline:${run}`,
        reason: 'approved by the fault test',
      });
      return version;
    }),
  );
  const champion = Math.max(...versions);
  await light.setModelAlias({ model, alias: 'champion', version: champion, actor: 'chaos', reason: 'newest' });
  return { versions, champion };
}
