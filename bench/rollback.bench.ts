/**
 * Rollback reaction: from the moment a canary starts failing to the moment the gateway sends all
 * traffic back to the baseline, through the whole machinery — a Temporal dev server, the
 * `progressiveRollout` workflow on a worker, real model-server variants behind the gateway, live traffic.
 * The anchor is the target itself: one analysis interval plus 2 s.
 * Run alone with `npx tsx bench/run.ts rollback`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { ModelRegistry } from '../activities/registry';
import { toInferenceRequest } from '../activities/serving/inference-request';
import { createBlobStore } from '../activities/storage';
import { createTrainingBackend } from '../activities/training';
import { rolloutSectionSchema } from '../common/schemas/spec';
import { REPO_ROOT } from '../lib/tools';
import { trainChurnModel } from '../test/support/churn-model';
import { startTestServing, type TestServing } from '../test/support/serving';
import { progressiveRollout } from '../workflows/progressive-rollout';
import { startBenchServer } from './dev-server';
import { type Measurement, type BenchRow, bundlerLogger } from './measure';

const ENDPOINT = 'bench-rollback';
const INTERVAL_SECONDS = 5;
const TRIALS = 5;
const TARGET_SLACK_MS = 2000;

export type RollbackBenchRow = BenchRow & { met: boolean };

export const ROLLBACK_BENCH_NOTES =
  'A churn model deployed as the baseline variant, then another version canaried at 50% with a ' +
  `${INTERVAL_SECONDS} s analysis interval, a long bake and \`failureLimit: 1\` (one failed analysis rolls back), ` +
  'while the bench sends about 50 requests/s through the gateway. At a random point of the bake the ' +
  'candidate is made to fail every request (the gateway’s fault injection); the time runs from that moment ' +
  'until the gateway’s admin API shows all traffic on the baseline (polled every 20 ms). The next analysis ' +
  'comes between 0 and one interval later, so the reaction is that wait plus the analysis and the traffic ' +
  `switch. ${TRIALS} rollouts; median and worst. One dev server, one in-process worker, the model server from the ` +
  `venv, all on the machine’s ${os.cpus().length} cores. Target: at most one analysis interval + 2 s.`;

export async function runRollbackBench(): Promise<RollbackBenchRow[]> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-bench-rollback-'));
  const env = await startBenchServer();
  let serving: TestServing | undefined;
  let sending = false;
  let traffic: Promise<void> | undefined;
  try {
    const root = path.join(work, 'store');
    const store = createBlobStore({ kind: 'file', root, uri: `file://${root}` });
    const model = await trainChurnModel(store, 'models/bench/artifact', path.join(work, 'train'));
    const registry = new ModelRegistry(store);
    for (let k = 1; k <= TRIALS + 1; k++) {
      const { version } = await registry.registerModel({
        model: 'bench',
        artifactUri: model.artifactUri,
        metrics: {},
        params: { k },
        trainingSnapshot: { dataset: 'bench', id: '0'.repeat(64) },
        codeVersion: 'sha256:bench',
        pipelineRun: `bench/${k}`,
        trigger: 'manual',
      });
      await registry.setStatus('bench', version, 'approved', { actor: 'bench', reason: 'rollback bench' });
    }
    serving = await startTestServing(store, work);
    const python = path.join(REPO_ROOT, '.venv', 'bin', 'python');
    const activities = createActivities({
      store,
      cacheDir: path.join(work, 'cache'),
      openStore: () => store,
      trainingBackend: createTrainingBackend('local', { store, workRoot: path.join(work, 'jobs'), python }),
      servingBackend: serving.backend(),
    });
    const workflowBundle = await bundleWorkflowCode({
      workflowsPath: require.resolve('../workflows'),
      logger: bundlerLogger,
    });
    const worker = await Worker.create({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue: 'bench-rollback',
      workflowBundle,
      activities,
    });
    const admin = serving.admin;
    const gatewayUrl = serving.gateway.url;
    const body = JSON.stringify(toInferenceRequest(model.rows.slice(0, 1)));
    const reactions: number[] = [];
    const running = worker.run();
    try {
      const rollout = (version: number, settings: object) =>
        env.client.workflow.start(progressiveRollout, {
          workflowId: `rollout/${ENDPOINT}/${version}`,
          taskQueue: 'bench-rollback',
          args: [
            {
              endpoint: ENDPOINT,
              model: { name: 'bench', version, artifactUri: model.artifactUri },
              rollout: rolloutSectionSchema.parse({ endpoint: ENDPOINT, ...settings }),
              actor: 'bench',
              terminationWait: '0s',
            },
          ],
        });
      await (await rollout(1, { strategy: 'all-at-once' })).result();
      sending = true;
      traffic = (async () => {
        while (sending) {
          await fetch(`${gatewayUrl}/v2/models/${ENDPOINT}/infer`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
          }).then(
            (r) => r.arrayBuffer(),
            () => undefined,
          );
          await sleep(20);
        }
      })();
      for (let trial = 0; trial < TRIALS; trial++) {
        const version = trial + 2;
        const candidate = `bench-v${version}`;
        const handle = await rollout(version, {
          strategy: 'canary',
          steps: [50, 100],
          bake: '10m',
          analysisInterval: `${INTERVAL_SECONDS}s`,
          minRequests: 5,
          failureLimit: 1,
        });
        // wait until it bakes at 50%, then a little more: the fault lands anywhere in an interval
        for (;;) {
          const state = await admin.getEndpoint(ENDPOINT);
          if (state?.weights[candidate] === 50) break;
          await sleep(50);
        }
        await sleep(INTERVAL_SECONDS * 1000 + ((trial * 997) % (INTERVAL_SECONDS * 1000)));
        const faultAt = performance.now();
        await admin.setFault(ENDPOINT, candidate, { errorRate: 1 });
        for (;;) {
          const state = await admin.getEndpoint(ENDPOINT);
          if (state?.weights['bench-v1'] === 100) break;
          await sleep(20);
        }
        reactions.push(performance.now() - faultAt);
        const result = await handle.result();
        if (result.outcome !== 'rolled-back') throw new Error(`trial ${trial}: the rollout ended ${result.outcome}`);
      }
    } finally {
      worker.shutdown();
      await running;
    }
    const sorted = [...reactions].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    const worst = sorted.at(-1)!;
    const targetMs = INTERVAL_SECONDS * 1000 + TARGET_SLACK_MS;
    const ms = (name: string, value: number): Measurement => ({
      name,
      ms: value,
      units: 1,
      unitName: 'rollback',
      latency: true,
    });
    return [
      {
        scenario: `canary at 50% fails every request, analysis every ${INTERVAL_SECONDS} s (median of ${TRIALS})`,
        ours: ms('fault → 100% baseline', median),
        anchor: ms('one interval + 2 s', targetMs),
        target: `≤ ${(targetMs / 1000).toFixed(0)} s`,
        met: worst <= targetMs,
        detail: `each: ${reactions.map((r) => (r / 1000).toFixed(2)).join(', ')} s; worst ${(worst / 1000).toFixed(2)} s`,
      },
    ];
  } finally {
    sending = false;
    await traffic;
    try {
      await serving?.stop();
      await env.teardown();
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }
}
