/**
 * The demo (`mlops demo`, `npm run demo`): the whole loop on the local stack, for a newcomer, in a few minutes.
 *   1. installs what is missing (`npm run setup`'s script), starts the stack with a worker;
 *   2. resets what an earlier demo left (model, dataset, endpoint and monitor `churn`: ./reset.ts);
 *   3. generates the churn data, applies examples/churn/pipeline.yaml (its cron Schedule);
 *   4. retrains to v1, which rolls out to endpoint `churn` and starts the drift monitor;
 *   5. sends labelled synthetic traffic through the gateway (./traffic.ts), then shifts the customers
 *      (new data arrives, traffic changes); the monitor sees the drift and starts a retrain on the new
 *      data, whose v2 is evaluated, canaried under the traffic and promoted;
 *   6. waits for the monitor's baseline to follow v2;
 *   7. sums up (./summary.ts). Without `--keep` it stops what it started.
 * Each step prints the `mlops` command that does it by hand (./commands.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { GatewayAdminClient } from '../../../activities/serving/gateway-client';
import { createBlobStore } from '../../../activities/storage';
import { withClient } from '../../../client/connect';
import { UserError } from '../../../common/errors';
import { loadConfig } from '../../../lib/config';
import { monitorStatusQuery, type MonitorStatus } from '../../../workflows/model-monitor';
import { statusQuery, type RetrainPipelineOutput, type RetrainStatus } from '../../../workflows/retrain-pipeline';
import { ensureTools, mlops, python, type Say } from './commands';
import { BASELINE_FOLLOWS_MS, DATA, DRIFT, ENDPOINT, PIPELINE, SPEC, TRAFFIC_PER_SECOND } from './example';
import { reset } from './reset';
import { summarize, type DemoSummary } from './summary';
import { readRows, Traffic } from './traffic';
import { waitFor } from './wait-for';

export interface DemoOptions {
  /** The object store of the stack `mlops dev up` starts. */
  store: 'file' | 's3';
  /** Leave the stack, the worker and the monitor running. */
  keep: boolean;
  /** Give up after this many minutes. */
  minutes: number;
}

/** Runs the demo, printing its progress on stderr; returns its summary (`ok` false when it did not end as expected). */
export async function runDemo(opts: DemoOptions): Promise<DemoSummary> {
  const began = Date.now();
  const deadline = began + opts.minutes * 60_000;
  const startedAt = new Date().toISOString();
  // progress on stderr even with --json: the demo is for watching (stdout keeps the summary)
  const say: Say = (line) => void process.stderr.write(line + '\n');
  const step = (title: string) => say(`\n==> ${title}`);

  step('tools');
  ensureTools(say, opts.store);

  step('the local stack: Temporal dev server with its UI, the inference gateway, a worker');
  const storeFlag = opts.store === 's3' ? ['--store', 's3'] : [];
  const up = await mlops(['--json', 'dev', 'up', ...storeFlag], say);
  const stack = JSON.parse(up) as { temporal: { outcome: string; uiUrl: string } };
  const startedStack = stack.temporal.outcome === 'started';
  const config = loadConfig(process.env);
  if (!config.gateway) throw new UserError('the stack has no gateway after `mlops dev up`', 1);
  const store = createBlobStore(config.store);
  const admin = new GatewayAdminClient({ adminUrl: config.gateway.adminUrl, token: config.gateway.token });
  const gatewayUrl = config.gateway.url;
  const workDir = path.join(config.home, 'demo');
  fs.mkdirSync(workDir, { recursive: true });

  const summary = await withClient(config, async (client) => {
    step(`reset what an earlier demo left (model, dataset, endpoint and monitor ${ENDPOINT})`);
    await reset(client, store, admin, config, say);
    // a fresh worker: one that ran an earlier demo remembers the versions just removed
    await mlops(['--json', 'dev', 'up', '--worker', ...storeFlag], say);

    step('data: 5,000 customers (examples/churn/generate_data.py)');
    await python(['examples/churn/generate_data.py', '--rows', '5000', '--seed', '1', '--out', DATA], say);

    step('the pipeline as code: its cron retrain becomes a Temporal Schedule');
    await mlops(['pipeline', 'apply', SPEC], say);

    step('retrain → v1: snapshot, validate, train, evaluate, gate, register, roll out to endpoint churn');
    await mlops(['run', PIPELINE, '--spec', SPEC, '--reason', 'demo: the first model'], say, true);
    // captures reach the store within 2 s, so the monitor's windows see the traffic at once
    const current = await admin.getEndpoint(ENDPOINT);
    if (!current) throw new UserError(`endpoint ${ENDPOINT} is not served after the first run`, 1);
    await admin.putEndpoint(ENDPOINT, {
      variants: current.variants,
      weights: current.weights,
      capture: { sampleRate: 1, maxBatch: 200, flushSeconds: 2 },
    });

    step(`traffic: ${TRAFFIC_PER_SECOND} requests/s through the gateway, each labelled by what the customer did`);
    const before = path.join(workDir, 'traffic-before');
    const after = path.join(workDir, 'traffic-after');
    await python(['examples/churn/generate_data.py', '--rows', '6000', '--seed', '11', '--out', before], say, true);
    await python(
      ['examples/churn/generate_data.py', '--rows', '6000', '--seed', '12', '--drift', String(DRIFT), '--out', after],
      say,
      true,
    );
    const traffic = new Traffic(gatewayUrl, readRows(path.join(before, 'train.csv')), () =>
      admin.feedbackToken(ENDPOINT),
    );
    traffic.start();
    try {
      const monitor = new MonitorWatch(client, say);
      say(`   the monitor (monitor/${ENDPOINT}) judges every window against v1's training data …`);
      await waitFor(deadline, 'two judged windows without drift', async () => {
        const s = await monitor.status();
        return s && s.windows.filter((w) => w.judged).length >= 2 ? s : undefined;
      });

      step(`the customers change (drift ${DRIFT}): new labelled data lands in data/churn, traffic shifts`);
      await python(
        ['examples/churn/generate_data.py', '--rows', '5000', '--seed', '2', '--drift', String(DRIFT), '--out', DATA],
        say,
      );
      traffic.switchTo(readRows(path.join(after, 'train.csv')));
      const retrainId = await waitFor(deadline, 'the monitor to start a retrain on drift', async () => {
        const s = await monitor.status();
        return s?.retrains.at(-1);
      });

      step(`drift → ${retrainId} (trigger drift): train on the new data, evaluate against v1, canary, promote`);
      const result = await followRetrain(client.workflow.getHandle(retrainId), deadline, say);
      // a promoted v2 becomes the champion; the monitor's next window is judged against its training data
      if (result.outcome === 'approved') {
        step(`the monitor's baseline follows v${result.version}: later windows are judged against its training data`);
        await baselineFollows(monitor, result.version, deadline, say);
      }
      return await summarize(client, store, config, retrainId, result, traffic, opts.keep, startedAt);
    } finally {
      await traffic.stop();
    }
  });

  if (!opts.keep) {
    step('clean up (--keep leaves everything running)');
    await mlops(['monitor', 'stop', ENDPOINT], say, true, true);
    if (startedStack) await mlops(['dev', 'down'], say, true);
    summary.stackStopped = startedStack;
  }
  summary.durationMs = Date.now() - began;
  return summary;
}

/** The endpoint's monitor: its status, printing each window the first time it is seen. */
class MonitorWatch {
  private readonly handle: WorkflowHandle;
  private readonly seen = new Set<string>();

  constructor(
    client: Client,
    private readonly say: Say,
  ) {
    this.handle = client.workflow.getHandle(`monitor/${ENDPOINT}`);
  }

  /** The monitor's status, `undefined` while it cannot answer. */
  async status(): Promise<MonitorStatus | undefined> {
    const s = await this.handle.query(monitorStatusQuery).catch(() => undefined);
    for (const w of s?.windows ?? [])
      if (!this.seen.has(w.to)) {
        this.seen.add(w.to);
        this.say(`   monitor window ${w.to.slice(11, 19)}: ${w.summary}${w.action ? ` → ${w.action}` : ''}`);
      }
    return s;
  }
}

/** Waits for the retrain to finish, printing each step as its state changes; returns its result. */
async function followRetrain(retrain: WorkflowHandle, deadline: number, say: Say): Promise<RetrainPipelineOutput> {
  const shown = new Map<string, string>();
  return waitFor(deadline, `${retrain.workflowId} to finish`, async () => {
    const s: RetrainStatus | undefined = await retrain.query(statusQuery).catch(() => undefined);
    for (const st of s?.steps ?? []) {
      const line = `${st.state}${st.summary ? `: ${st.summary}` : ''}`;
      if (st.state !== 'pending' && shown.get(st.name) !== line) {
        shown.set(st.name, line);
        say(`   ${st.name.padEnd(9)} ${line}`);
      }
    }
    const d = await retrain.describe();
    if (d.status.name === 'RUNNING') return undefined;
    return (await retrain.result()) as RetrainPipelineOutput;
  });
}

/** Waits (at most BASELINE_FOLLOWS_MS) for the monitor to judge against `version`'s training data. */
async function baselineFollows(
  monitor: MonitorWatch,
  version: number | undefined,
  deadline: number,
  say: Say,
): Promise<void> {
  let judgedAgainst = 'no baseline';
  const baseline = await waitFor(
    Math.min(deadline, Date.now() + BASELINE_FOLLOWS_MS),
    `the monitor to take v${version} as its baseline`,
    async () => {
      const s = await monitor.status();
      if (s?.baseline) judgedAgainst = `v${s.baseline.version}`;
      return s?.baseline && s.baseline.version === version ? s.baseline : undefined;
    },
    () =>
      `monitor/${ENDPOINT} did not take v${version ?? '?'} as its baseline within ${BASELINE_FOLLOWS_MS / 1000} s ` +
      `(it judges against ${judgedAgainst}; see \`mlops monitor status ${ENDPOINT}\`)`,
  );
  say(
    `   baseline: ${baseline.model} v${baseline.version}, ${baseline.dataset} snapshot ${baseline.snapshot.slice(0, 12)}`,
  );
}
