/**
 * `mlops demo` (`npm run demo`): the whole loop on the local stack, for a newcomer, in a few minutes.
 *   1. installs what is missing (`npm run setup`'s script), starts the stack with a worker;
 *   2. resets what an earlier demo left (model, dataset, endpoint and monitor `churn`);
 *   3. generates the churn data, applies examples/churn/pipeline.yaml (its cron Schedule);
 *   4. retrains to v1, which rolls out to endpoint `churn` and starts the drift monitor;
 *   5. sends labelled synthetic traffic through the gateway, then shifts the customers (new data
 *      arrives, traffic changes); the monitor sees the drift and starts a retrain on the new data,
 *      whose v2 is evaluated, canaried under the traffic and promoted;
 *   6. waits for the monitor's baseline to follow v2;
 *   7. prints a summary: versions and metrics, the drifting window's scores per feature, the monitor's
 *      baseline, reports, the Temporal UI URL of every workflow it ran, and how long it took. Without
 *      `--keep` it stops what it started.
 * Each step prints the `mlops` command that does it by hand.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import type { Client } from '@temporalio/client';
import { ModelRegistry } from '../../activities/registry';
import { toInferenceRequest } from '../../activities/serving/inference-request';
import { createBlobStore } from '../../activities/storage';
import type { BlobStore } from '../../activities/storage/types';
import { loadConfig, type LoadedConfig } from '../../lib/config';
import { UserError } from '../../common/errors';
import { MlEndpoint, MlPipeline, MlTrigger } from '../../common/search-attributes';
import { stopProcessGroup } from '../dev/processes';
import { saveStack, workerRunning } from '../dev/stack-status';
import { REPO_ROOT, TOOLS_BIN } from '../../lib/tools';
import { readStackFile } from '../../lib/config/stack-file';
import { GatewayAdminClient } from '../../activities/serving/gateway-client';
import { createServing } from '../../worker/dependencies';
import {
  monitorStatusQuery,
  type DriftingFeatureScore,
  type MonitorBaseline,
  type MonitorStatus,
} from '../../workflows/model-monitor';
import { statusQuery, type RetrainPipelineOutput, type RetrainStatus } from '../../workflows/retrain-pipeline';
import { withClient } from '../connect';
import type { CommandContext } from '../context';
import { table } from '../output';
import { uiUrl } from './retrain';

const PIPELINE = 'churn';
const ENDPOINT = 'churn';
const SPEC = path.join(REPO_ROOT, 'examples', 'churn', 'pipeline.yaml');
const DATA = path.join(REPO_ROOT, 'data', 'churn');
const PYTHON = path.join(REPO_ROOT, '.venv', 'bin', 'python');
const MLOPS = path.join(REPO_ROOT, 'bin', 'mlops.js');
/** The customers after the shift (examples/churn/generate_data.py --drift). */
const DRIFT = 0.8;
const TRAFFIC_PER_SECOND = 40;
/** How long the monitor may take to judge against a new champion: a few of the example's 10 s windows. */
const BASELINE_FOLLOWS_MS = 90_000;

interface DemoOptions {
  store: 'file' | 's3';
  keep?: boolean;
  timeout: string;
}

export interface DemoSummary {
  ok: boolean;
  champion?: number;
  versions: { version: number; status: string; aliases: string[]; trigger: string; auc?: number; accuracy?: number }[];
  driftRetrain?: { workflowId: string; trigger?: string; outcome?: string; version?: number };
  /** The drifting window that started the retrain (else the last one): its verdict and each drifting feature's scores. */
  drift?: {
    window: string;
    drifted: string[];
    summary: string;
    scores: Record<string, DriftingFeatureScore>;
    /** What the window led to (`retrain started: <id>`). */
    action?: string;
  };
  /** What the monitor judges against at the end (v2's training data when all went well). */
  monitorBaseline?: MonitorBaseline;
  reports: Record<string, string>;
  workflows: { workflowId: string; url: string }[];
  traffic: { requests: number; labels: number };
  ui: string;
  kept: boolean;
  /** The demo started the stack and stopped it at the end. */
  stackStopped: boolean;
  /** Wall time of the whole demo, clean-up included. */
  durationMs: number;
}

export function registerDemo(program: Command, ctx: () => CommandContext): void {
  program
    .command('demo')
    .description('the whole loop on the local stack: train, serve, detect drift, retrain, canary, promote')
    .addOption(new Option('--store <kind>', 'object store: file or s3 (MinIO)').choices(['file', 's3']).default('file'))
    .option('--keep', 'leave the stack, the worker and the monitor running (to browse the Temporal UI)')
    .option('--timeout <minutes>', 'give up after this many minutes', '15')
    .action(async (opts: DemoOptions) => {
      const { out } = ctx();
      const minutes = Number(opts.timeout);
      if (!Number.isFinite(minutes) || minutes <= 0)
        throw new UserError(`--timeout: minutes > 0, got ${opts.timeout}`, 2);
      const began = Date.now();
      const deadline = began + minutes * 60_000;
      const startedAt = new Date().toISOString();
      // progress on stderr even with --json: the demo is for watching (stdout keeps the summary)
      const say = (line: string) => void process.stderr.write(line + '\n');
      const step = (title: string) => say(`\n==> ${title}`);

      step('tools');
      ensureTools(say);

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
        await mlops(['run', PIPELINE, '--spec', SPEC, '--wait', '--reason', 'demo: the first model'], say, true);
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
          [
            'examples/churn/generate_data.py',
            '--rows',
            '6000',
            '--seed',
            '12',
            '--drift',
            String(DRIFT),
            '--out',
            after,
          ],
          say,
          true,
        );
        const traffic = new Traffic(gatewayUrl, readRows(path.join(before, 'train.csv')));
        traffic.start();
        try {
          const monitor = client.workflow.getHandle(`monitor/${ENDPOINT}`);
          const seen = new Set<string>();
          const showWindows = (s: MonitorStatus) => {
            for (const w of s.windows)
              if (!seen.has(w.to)) {
                seen.add(w.to);
                say(`   monitor window ${w.to.slice(11, 19)}: ${w.summary}${w.action ? ` → ${w.action}` : ''}`);
              }
          };
          say(`   the monitor (monitor/${ENDPOINT}) judges every window against v1's training data …`);
          await waitFor(deadline, 'two judged windows without drift', async () => {
            const s = await monitor.query(monitorStatusQuery).catch(() => undefined);
            if (s) showWindows(s);
            return s && s.windows.filter((w) => w.judged).length >= 2 ? s : undefined;
          });

          step(`the customers change (drift ${DRIFT}): new labelled data lands in data/churn, traffic shifts`);
          await python(
            [
              'examples/churn/generate_data.py',
              '--rows',
              '5000',
              '--seed',
              '2',
              '--drift',
              String(DRIFT),
              '--out',
              DATA,
            ],
            say,
          );
          traffic.switchTo(readRows(path.join(after, 'train.csv')));
          const retrainId = await waitFor(deadline, 'the monitor to start a retrain on drift', async () => {
            const s = await monitor.query(monitorStatusQuery).catch(() => undefined);
            if (s) showWindows(s);
            return s?.retrains.at(-1);
          });

          step(`drift → ${retrainId} (trigger drift): train on the new data, evaluate against v1, canary, promote`);
          const retrain = client.workflow.getHandle(retrainId);
          const shown = new Map<string, string>();
          const result = await waitFor(deadline, `${retrainId} to finish`, async () => {
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
          // a promoted v2 becomes the champion; the monitor's next window is judged against its training data
          if (result.outcome === 'approved') {
            step(
              `the monitor's baseline follows v${result.version}: later windows are judged against its training data`,
            );
            let judgedAgainst = 'no baseline';
            const baseline = await waitFor(
              Math.min(deadline, Date.now() + BASELINE_FOLLOWS_MS),
              `the monitor to take v${result.version} as its baseline`,
              async () => {
                const s = await monitor.query(monitorStatusQuery).catch(() => undefined);
                if (s) showWindows(s);
                if (s?.baseline) judgedAgainst = `v${s.baseline.version}`;
                return s?.baseline && s.baseline.version === result.version ? s.baseline : undefined;
              },
              () =>
                `monitor/${ENDPOINT} did not take v${result.version ?? '?'} as its baseline within ${BASELINE_FOLLOWS_MS / 1000} s ` +
                `(it judges against ${judgedAgainst}; see \`mlops monitor status ${ENDPOINT}\`)`,
            );
            say(
              `   baseline: ${baseline.model} v${baseline.version}, ${baseline.dataset} snapshot ${baseline.snapshot.slice(0, 12)}`,
            );
          }
          return await summarize(client, store, config, retrainId, result, traffic, opts.keep === true, startedAt);
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
      out.result(summary, renderSummary);
      if (!summary.ok) process.exitCode = 1;
    });
}

/** Runs the project's tool installer when the temporal CLI, MinIO or the venv is missing. */
function ensureTools(say: (line: string) => void): void {
  const missing = [
    path.join(TOOLS_BIN, 'temporal'),
    path.join(TOOLS_BIN, 'minio'),
    PYTHON,
    path.join(REPO_ROOT, '.venv', 'bin', 'mlserver'),
  ].filter((p) => !fs.existsSync(p));
  if (missing.length === 0) {
    say('   all there (.tools/bin, .venv)');
    return;
  }
  say(`   missing ${missing.map((m) => path.relative(REPO_ROOT, m)).join(', ')}: running npm run setup`);
  const r = spawnSync(path.join(REPO_ROOT, 'infra', 'dev', 'install-tools'), [], { stdio: 'inherit', cwd: REPO_ROOT });
  if (r.status !== 0) throw new UserError('npm run setup failed (see above)', 1);
}

/** Runs `mlops <args>` as the user would; prints the command, and its output when `show`. Returns stdout. */
async function mlops(args: string[], say: (line: string) => void, show = false, mayFail = false): Promise<string> {
  const shown = args.filter((a) => a !== '--json').map((a) => (path.isAbsolute(a) ? path.relative(REPO_ROOT, a) : a));
  say(`   $ mlops ${shown.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
  const r = await run(process.execPath, [MLOPS, ...args]);
  const output = `${r.stdout}${r.stderr}`.trimEnd();
  if (show || !args.includes('--json'))
    for (const line of r.stdout.trimEnd().split('\n')) if (line.trim()) say(`     ${line}`);
  if (r.code !== 0 && !mayFail) throw new UserError(`mlops ${args.join(' ')} failed (exit ${r.code}):\n${output}`, 1);
  return r.stdout;
}

async function python(args: string[], say: (line: string) => void, quiet = false): Promise<void> {
  if (!quiet)
    say(`   $ .venv/bin/python ${args.map((a) => (path.isAbsolute(a) ? path.relative(REPO_ROOT, a) : a)).join(' ')}`);
  const r = await run(PYTHON, args);
  if (r.code !== 0) throw new UserError(`python ${args.join(' ')} failed:\n${r.stderr}`, 1);
}

/** Runs a program in the repository without blocking the event loop (the traffic keeps flowing). */
function run(file: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: REPO_ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Stops and removes what an earlier demo left, so the run starts from v1 again. */
async function reset(
  client: Client,
  store: BlobStore,
  admin: GatewayAdminClient,
  config: LoadedConfig,
  say: (line: string) => void,
): Promise<void> {
  let stopped = 0;
  for await (const wf of client.workflow.list({
    query: `ExecutionStatus = 'Running' AND (${MlPipeline.name} = '${PIPELINE}' OR ${MlEndpoint.name} = '${ENDPOINT}')`,
  })) {
    await client.workflow
      .getHandle(wf.workflowId, wf.runId)
      .terminate('reset by mlops demo')
      .catch(() => undefined);
    stopped += 1;
  }
  if (await admin.getEndpoint(ENDPOINT)) await admin.deleteEndpoint(ENDPOINT);
  // the model servers of the endpoint: their folders say which process is which
  const servingDir = path.join(config.home, 'serving', ENDPOINT);
  if (fs.existsSync(servingDir)) {
    const backend = createServing(config, store);
    for (const variant of fs.readdirSync(servingDir))
      await backend?.undeployVariant(ENDPOINT, variant).catch(() => undefined);
    fs.rmSync(servingDir, { recursive: true, force: true });
  }
  let removed = 0;
  for (const prefix of [
    `models/${PIPELINE}/`,
    `datasets/${PIPELINE}/`,
    `experiments/${PIPELINE}/`,
    `endpoints/${ENDPOINT}/`,
    `monitoring/${ENDPOINT}/`,
    `reports/monitoring/${ENDPOINT}/`,
  ]) {
    for await (const info of store.list(prefix)) {
      await store.delete(info.key);
      removed += 1;
    }
  }
  const worker = readStackFile(config.home).worker;
  if (worker && workerRunning(worker)) {
    await stopProcessGroup(worker.pid);
    saveStack(config.home, { ...readStackFile(config.home), worker: undefined });
    say(`   stopped the stack's worker (pid ${worker.pid})`);
  }
  say(
    stopped + removed === 0
      ? '   nothing to reset'
      : `   stopped ${stopped} workflow${stopped === 1 ? '' : 's'}, removed ${removed} stored object${removed === 1 ? '' : 's'}`,
  );
}

type Row = Record<string, string>;

function readRows(file: string): Row[] {
  const [header, ...lines] = fs.readFileSync(file, 'utf8').trim().split('\n');
  const names = header!.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((cell, i) => [names[i]!, cell])));
}

/** Synthetic customers: one request per row through the gateway, then its true outcome as a label. */
class Traffic {
  requests = 0;
  labels = 0;
  private running = false;
  private loops: Promise<void>[] = [];
  private next = 0;

  constructor(
    private readonly gatewayUrl: string,
    private rows: Row[],
  ) {}

  start(): void {
    this.running = true;
    const senders = 4;
    for (let i = 0; i < senders; i++) this.loops.push(this.loop((1000 * senders) / TRAFFIC_PER_SECOND));
  }

  switchTo(rows: Row[]): void {
    this.rows = rows;
    this.next = 0;
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async loop(pauseMs: number): Promise<void> {
    while (this.running) {
      const started = Date.now();
      const row = this.rows[this.next++ % this.rows.length]!;
      const { churned, customer_id: _id, ...features } = row;
      const values = Object.fromEntries(
        Object.entries(features).map(([k, v]) => [k, /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v]),
      );
      try {
        const res = await fetch(`${this.gatewayUrl}/v2/models/${ENDPOINT}/infer`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(toInferenceRequest([values])),
        });
        await res.arrayBuffer();
        this.requests += 1;
        const requestId = res.headers.get('x-request-id');
        if (res.ok && requestId) {
          const fb = await fetch(`${this.gatewayUrl}/v2/models/${ENDPOINT}/feedback`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ requestId, label: Number(churned) }),
          });
          await fb.arrayBuffer();
          if (fb.ok) this.labels += 1;
        }
      } catch {
        // the gateway restarting or a variant moving: the next request tries again
      }
      await new Promise((r) => setTimeout(r, Math.max(0, pauseMs - (Date.now() - started))));
    }
  }
}

/** Polls `probe` every second until it returns a value; throws naming `what` (or saying `failure()`) at the deadline. */
async function waitFor<T>(
  deadline: number,
  what: string,
  probe: () => Promise<T | undefined>,
  failure?: () => string,
): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new UserError(failure?.() ?? `gave up waiting for ${what} (--timeout)`, 1);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function summarize(
  client: Client,
  store: BlobStore,
  config: LoadedConfig,
  retrainId: string,
  result: RetrainPipelineOutput,
  traffic: Traffic,
  kept: boolean,
  startedAt: string,
): Promise<DemoSummary> {
  const registry = new ModelRegistry(store);
  const versions = (await registry.listVersions(PIPELINE)).map((v) => ({
    version: v.version,
    status: v.status,
    aliases: v.aliases,
    trigger: v.trigger,
    auc: v.metrics.auc,
    accuracy: v.metrics.accuracy,
  }));
  const champion = versions.find((v) => v.aliases.includes('champion'))?.version;
  const workflows: { workflowId: string; url: string }[] = [];
  for await (const wf of client.workflow.list({
    query: `(${MlPipeline.name} = '${PIPELINE}' OR ${MlEndpoint.name} = '${ENDPOINT}') AND StartTime >= '${startedAt}'`,
  })) {
    if (workflows.some((w) => w.workflowId === wf.workflowId)) continue;
    workflows.push({ workflowId: wf.workflowId, url: uiUrl(config, wf.workflowId) });
  }
  const described = await client.workflow.getHandle(retrainId).describe();
  const trigger = described.typedSearchAttributes.get(MlTrigger);
  const monitor = await client.workflow
    .getHandle(`monitor/${ENDPOINT}`)
    .query(monitorStatusQuery)
    .catch(() => undefined);
  // the window that started the retrain; the last drifting one if it has left the monitor's recent windows
  const driftWindow =
    monitor?.windows.find((w) => w.action === `retrain started: ${retrainId}`) ??
    monitor?.windows.filter((w) => w.drifts).at(-1);
  const reports: Record<string, string> = {};
  for (const w of [...workflows].reverse()) {
    if (!w.workflowId.startsWith(`retrain/${PIPELINE}/`)) continue;
    const done = (await client.workflow
      .getHandle(w.workflowId)
      .result()
      .catch(() => undefined)) as RetrainPipelineOutput | undefined;
    if (done?.links.report)
      reports[`evaluation of v${done.version ?? '?'}${done.champion ? ` against v${done.champion}` : ''}`] =
        done.links.report;
  }
  if (driftWindow?.report)
    reports[
      driftWindow.action?.startsWith('retrain started')
        ? 'drift (the window that started the retrain)'
        : 'drift (the last drifting window)'
    ] = driftWindow.report;
  if (monitor?.latestReport && monitor.latestReport !== driftWindow?.report)
    reports['latest monitoring window'] = monitor.latestReport;
  const ok =
    result.outcome === 'approved' &&
    champion === result.version &&
    trigger === 'drift' &&
    monitor?.baseline?.version === result.version;
  return {
    ok,
    champion,
    versions,
    driftRetrain: { workflowId: retrainId, trigger, outcome: result.outcome, version: result.version },
    drift: driftWindow && {
      window: `${driftWindow.from} → ${driftWindow.to}`,
      drifted: driftWindow.drifted,
      summary: driftWindow.summary,
      scores: driftWindow.scores ?? {},
      action: driftWindow.action,
    },
    monitorBaseline: monitor?.baseline,
    reports,
    workflows,
    traffic: { requests: traffic.requests, labels: traffic.labels },
    ui: uiUrl(config, '').replace(/\/workflows\/$/, '/workflows'),
    kept,
    stackStopped: false,
    durationMs: 0,
  };
}

function renderSummary(s: DemoSummary): string {
  const lines = [
    '',
    s.ok
      ? `Done: v${s.champion} is the champion, retrained on drift (${s.driftRetrain?.workflowId}).`
      : `The demo did not end as expected: champion v${s.champion ?? '—'}, drift retrain ${s.driftRetrain?.outcome ?? '—'}.`,
    '',
    table(
      ['VERSION', 'STATUS', 'ALIASES', 'TRIGGER', 'AUC', 'ACCURACY'],
      s.versions.map((v) => [
        `v${v.version}`,
        v.status,
        v.aliases.join(',') || '-',
        v.trigger,
        v.auc === undefined ? '-' : v.auc.toFixed(3),
        v.accuracy === undefined ? '-' : v.accuracy.toFixed(3),
      ]),
    ).trimEnd(),
  ];
  if (s.drift) {
    lines.push('', `drift: ${s.drift.summary} (window ${s.drift.window})`);
    const scores = Object.entries(s.drift.scores);
    if (scores.length > 0)
      lines.push(
        table(
          ['FEATURE', 'PSI', 'JS DISTANCE', 'KS P', 'CHI2 P'],
          scores.map(([feature, score]) => [
            feature,
            score.psi.toFixed(3),
            score.js.toFixed(3),
            pvalue(score.ksPvalue),
            pvalue(score.chi2Pvalue),
          ]),
        ).trimEnd(),
      );
  }
  if (s.monitorBaseline)
    lines.push(
      '',
      `monitor baseline: ${s.monitorBaseline.model} v${s.monitorBaseline.version} (${s.monitorBaseline.dataset} snapshot ${s.monitorBaseline.snapshot.slice(0, 12)})`,
    );
  lines.push('', `traffic: ${s.traffic.requests} requests, ${s.traffic.labels} labels`);
  if (Object.keys(s.reports).length > 0) {
    lines.push('', 'reports:');
    for (const [name, uri] of Object.entries(s.reports)) lines.push(`  ${name}: ${uri}`);
  }
  lines.push('', 'workflows (Temporal UI):');
  for (const w of s.workflows) lines.push(`  ${w.workflowId}  ${w.url}`);
  lines.push(
    '',
    s.kept
      ? `Everything is still running: browse ${s.ui}, then stop with \`mlops monitor stop churn\` and \`mlops dev down\`.`
      : s.stackStopped
        ? `The stack is stopped (run with --keep to browse ${s.ui} afterwards).`
        : `The stack was already running before the demo and is left up: browse ${s.ui}.`,
    `Finished in ${duration(s.durationMs)}.`,
  );
  return lines.join('\n');
}

function pvalue(p: number | undefined): string {
  if (p === undefined) return '-';
  return p < 0.001 ? p.toExponential(1) : p.toFixed(3);
}

/** `3m12s`, `45s`. */
function duration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes}m${String(seconds % 60).padStart(2, '0')}s` : `${seconds}s`;
}
