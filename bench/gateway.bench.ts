/**
 * Gateway overhead: the latency of one-row churn predictions through the inference gateway against
 * the same requests sent to the variant's model server directly, at a fixed rate, in one run.
 * A small churn model is trained and deployed as one variant with `LocalServingBackend` behind an
 * `mlops gateway` process of its own (filesystem store in a temp folder, capture on at its default sample rate, as
 * users run it). Targets: at most 1 ms added at p50 and at p99. A probe preloaded into each gateway process
 * (./gateway-probe.ts) reports event-loop delay, GC pauses and the requests' phases beside the p99 rows.
 * Run alone with `npx tsx bench/run.ts gateway`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { toInferenceRequest } from '../activities/serving/inference-request';
import { createBlobStore } from '../activities/storage';
import { LocalServingBackend } from '../activities/serving';
import { REPO_ROOT } from '../lib/tools';
import { CAPTURE_DEFAULTS } from '../gateway';
import { GatewayAdminClient } from '../activities/serving/gateway-client';
import { freePort } from '../lib/ports';
import { trainChurnModel } from '../test/support/churn-model';
import type { PhaseName, ProbeReport } from './gateway-probe';
import type { Measurement, BenchRow } from './measure';

/** The diagnostic probe preloaded into each gateway process. */
const PROBE = path.join(__dirname, 'gateway-probe.ts');

const ENDPOINT = 'churn';
const RATE = 200;
/** Seconds of load per path; GATEWAY_BENCH_SECONDS shortens a run while developing. */
const DURATION_SECONDS = Number(process.env.GATEWAY_BENCH_SECONDS ?? 30);
/** Each path's 30 s run in slices, alternating, so a change in the machine's other load hits both alike. */
const SLICES = 3;
const WARMUP_SECONDS = 5;
/**
 * autocannon paces by a quota per connection per second: a connection sends its share of the
 * second's requests back to back, then waits for the next second. So the load comes from this many
 * one-connection autocannons at `RATE / STAGGER` each, started evenly spread over the first second:
 * their bursts take turns instead of queueing together in front of the single-process model server.
 */
const STAGGER = 4;
/** Below this share of `RATE` answered, the run did not test the target. */
const MIN_RATE_SHARE = 0.95;
const TARGET_ADDED_P50_MS = 1;
const TARGET_ADDED_P99_MS = 1;

export type GatewayBenchRow = BenchRow;

export const GATEWAY_BENCH_NOTES =
  'A small churn model (examples/churn, 400 rows, 10 boosting iterations) deployed as one variant with ' +
  '`LocalServingBackend`: one model server from the venv (KServe’s ModelServer with the project’s model class, one process) behind the gateway ' +
  'running as its own process (`mlops gateway`), capture on at its default sample rate into a filesystem store. The same OIP v2 body ' +
  '(one row of churn features, `predict_proba`) is sent by autocannon at ' +
  `${RATE} requests/s for ${DURATION_SECONDS} s to the variant's model server directly (the anchor) and ` +
  `${DURATION_SECONDS} s through the gateway, in ${SLICES} alternating slices each, after a ${WARMUP_SECONDS} s ` +
  'warm-up of each. autocannon paces by a quota per connection per second (a connection sends its share of a ' +
  'second’s requests back to back, then waits for the next second), so the load comes from ' +
  `${STAGGER} one-connection autocannons at ${RATE / STAGGER} requests/s each, started ${1000 / STAGGER} ms apart: ` +
  'their bursts take turns rather than queue together in front of the single-process model server, which needs ' +
  `about 2.5 ms a request here, so ${RATE} requests/s keep it about half busy. A connection waits for each answer ` +
  'before its next request, so time the gateway adds lengthens the bursts until they overlap and queue: the ' +
  'difference includes that queueing, not only the gateway’s own time. The two-replica rows run a second ' +
  '`mlops gateway` process on the same store (it follows the first one’s endpoints through the store) and send ' +
  `the same ${RATE} requests/s half to each replica (two autocannons each), in the same alternating slices. ` +
  'Latencies are taken from every ' +
  'answer, to the microsecond (autocannon’s own histogram keeps whole milliseconds). The gateway runs in its ' +
  'own Node process, as `mlops dev up` starts it; everything shares the machine’s ' +
  `${os.cpus().length} cores. Targets: at most ${TARGET_ADDED_P50_MS} ms added at p50 and at most ` +
  `${TARGET_ADDED_P99_MS} ms at p99, with no errors and at least ${MIN_RATE_SHARE * 100}% of the requests answered. ` +
  'Where the tail comes from: each gateway process runs with a probe preloaded (bench/gateway-probe.ts, ' +
  'nothing in the gateway’s code) that records, per slice, the event-loop delay (1 ms resolution), every GC pause, ' +
  'the connections the process opened, its CPU time per request, and each inference request’s phases from Node’s ' +
  'HTTP diagnostics channels: before upstream (body read, checked, routed, re-serialized), upstream (the model ' +
  'server’s answer as the gateway waits for it) and after upstream (the answer parsed for capture and relayed); ' +
  'the p99 rows show them. What the probe found while the tail was shortened: the GC pauses are young-generation scavenges only, about two a second ' +
  'at 200 requests/s, under 1.2 ms each unless the machine descheduled the process (no full GC during the load, ' +
  'so a larger young generation was not worth a start flag); no connection is opened under the load (the ' +
  'keep-alive pool holds, the model server keeps connections 65 s); a CPU profile (`GATEWAY_BENCH_NODE_FLAGS=' +
  '"--cpu-prof --cpu-prof-dir=<dir>"`) put most of the gateway’s own time in node:http’s socket writes and ' +
  'parsing, the gateway’s JavaScript at about a sixth, and capture’s store writes at 5 to 7% of it: a batch of ' +
  '100 records went to the store as a stream of 100 pieces, 100 file writes each a thread-pool round trip that ' +
  'woke the event loop between requests. A batch now goes as one buffer (up to 1 MiB; larger ones in 64 KiB ' +
  'chunks) and upstream URLs are parsed once per variant, not per request. Where the model server answers fewer than ' +
  `${MIN_RATE_SHARE * 100}% of the requests sent to it directly, it is saturated: every answer queues behind ` +
  'others, the latencies are its queue, and the rows say the target was not tested. `GATEWAY_BENCH_SECONDS` ' +
  'shortens a run while developing.';

/** Deploys the model, runs the direct and the gateway load, and returns a p50 and a p99 row. */
export async function runGatewayBench(): Promise<GatewayBenchRow[]> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-bench-gateway-'));
  let gatewayProcess: GatewayProcess | undefined;
  let secondReplica: GatewayProcess | undefined;
  let cleanup: (() => Promise<void>) | undefined;
  try {
    const root = path.join(work, 'store');
    const store = createBlobStore({ kind: 'file', root, uri: `file://${root}` });
    const model = await trainChurnModel(store, 'models/churn/versions/1/artifact', path.join(work, 'train'));
    // the gateway as users run it: its own process (`mlops gateway`), not sharing this event loop
    const proc = await startGatewayProcess(path.join(work, 'gateway-a'), root);
    gatewayProcess = proc;
    // a second replica on the same store: it routes what the first one's admin API was told
    const replica = await startGatewayProcess(path.join(work, 'gateway-b'), root);
    secondReplica = replica;
    const backend = new LocalServingBackend({
      store,
      gateway: proc.admin,
      servingRoot: path.join(work, 'serving'),
      python: path.join(REPO_ROOT, '.venv', 'bin', 'python'),
    });
    cleanup = async () => {
      await proc.admin.deleteEndpoint(ENDPOINT).catch(() => undefined);
      await backend.undeployVariant(ENDPOINT, variant.name).catch(() => undefined);
    };
    const variant = await backend.deployVariant(ENDPOINT, {
      name: 'churn',
      version: 1,
      artifactUri: model.artifactUri,
    });
    await backend.waitReady(ENDPOINT, variant.name, 120_000);
    const body = JSON.stringify(toInferenceRequest(model.rows.slice(0, 1), ['predict_proba']));
    const directUrl = `${variant.upstream}/v2/models/${variant.name}/infer`;
    const gatewayUrl = `${proc.url}/v2/models/${ENDPOINT}/infer`;
    const replicaUrl = `${replica.url}/v2/models/${ENDPOINT}/infer`;
    await waitRouted(replicaUrl, body);
    const urls = { direct: [directUrl], gateway: [gatewayUrl], replicas: [gatewayUrl, replicaUrl] };

    for (const which of ['direct', 'gateway', 'replicas'] as const) await load(urls[which], body, WARMUP_SECONDS);
    const slices: Record<keyof typeof urls, LoadResult[]> = { direct: [], gateway: [], replicas: [] };
    const probes: Record<keyof typeof urls, ProbeReport[]> = { direct: [], gateway: [], replicas: [] };
    const order = ['direct', 'gateway', 'replicas'] as const;
    for (let i = 0; i < SLICES; i++) {
      // each slice starts with a different path, so the machine's other load hits all alike
      for (let k = 0; k < order.length; k++) {
        const which = order[(i + k) % order.length]!;
        await Promise.all([proc.probe(), replica.probe()]); // from here on
        slices[which].push(await load(urls[which], body, DURATION_SECONDS / SLICES));
        const [a, b] = await Promise.all([proc.probe(), replica.probe()]);
        if (which === 'gateway') probes.gateway.push(a);
        if (which === 'replicas') probes.replicas.push(a, b);
      }
    }
    const direct = summarize(slices.direct);
    const gateway = summarize(slices.gateway);
    const replicas = summarize(slices.replicas);

    const prometheus = await (await fetch(`${proc.url}/metrics`)).text();
    const added = (q: 'p50' | 'p99') => gateway[q] - direct[q];
    const addedByReplicas = (q: 'p50' | 'p99') => replicas[q] - direct[q];
    const errors = direct.errors + gateway.errors;
    const rateReached = Math.min(direct.ok, gateway.ok) >= MIN_RATE_SHARE * RATE * DURATION_SECONDS;
    const replicasRateReached = replicas.ok >= MIN_RATE_SHARE * RATE * DURATION_SECONDS;
    const counts =
      `${direct.ok} direct and ${gateway.ok} gateway answers in ${DURATION_SECONDS} s each ` +
      `(${(direct.ok / DURATION_SECONDS).toFixed(0)} and ${(gateway.ok / DURATION_SECONDS).toFixed(0)} req/s), ` +
      `errors: ${direct.errors} direct, ${gateway.errors} gateway`;
    const scenario = (q: string) => `${q} latency, one-row churn request, ${RATE} req/s for ${DURATION_SECONDS} s`;
    const latency = (name: string, ms: number): Measurement => ({ name, ms, units: 1, unitName: 'req', latency: true });
    return [
      {
        scenario: scenario('p50'),
        ours: latency('through the gateway', gateway.p50),
        anchor: latency('model server directly', direct.p50),
        target: `≤ ${TARGET_ADDED_P50_MS} ms added, 0 errors`,
        met: added('p50') <= TARGET_ADDED_P50_MS && errors === 0 && rateReached,
        detail:
          `${signed(added('p50'))} ms at p50; ${counts}` +
          (rateReached ? '' : `; under ${MIN_RATE_SHARE * 100}% of ${RATE} req/s answered: the machine fell behind`),
      },
      {
        scenario: scenario('p99'),
        ours: latency('through the gateway', gateway.p99),
        anchor: latency('model server directly', direct.p99),
        target: `≤ ${TARGET_ADDED_P99_MS} ms added, 0 errors`,
        met: added('p99') <= TARGET_ADDED_P99_MS && errors === 0 && rateReached,
        detail:
          `${signed(added('p99'))} ms at p99; capture at sample rate ${CAPTURE_DEFAULTS.sampleRate}: ` +
          `${counter(prometheus, 'mlops_gateway_capture_records_total')} records written by the end, ` +
          `${counter(prometheus, 'mlops_gateway_capture_dropped_total')} dropped; in the gateway: ${diagnosis(probes.gateway)}`,
      },
      {
        scenario: `p50 latency, two gateway replicas on one store, ${RATE} req/s for ${DURATION_SECONDS} s (half to each)`,
        ours: latency('through two replicas', replicas.p50),
        anchor: latency('model server directly', direct.p50),
        target: `≤ ${TARGET_ADDED_P50_MS} ms added, 0 errors`,
        met: addedByReplicas('p50') <= TARGET_ADDED_P50_MS && replicas.errors === 0 && replicasRateReached,
        detail:
          `${signed(addedByReplicas('p50'))} ms at p50; ${replicas.ok} answers in ${DURATION_SECONDS} s ` +
          `(${(replicas.ok / DURATION_SECONDS).toFixed(0)} req/s), errors: ${replicas.errors}` +
          (replicasRateReached
            ? ''
            : `; under ${MIN_RATE_SHARE * 100}% of ${RATE} req/s answered: the machine fell behind`),
      },
      {
        scenario: `p99 latency, two gateway replicas on one store, ${RATE} req/s for ${DURATION_SECONDS} s (half to each)`,
        ours: latency('through two replicas', replicas.p99),
        anchor: latency('model server directly', direct.p99),
        target: `≤ ${TARGET_ADDED_P99_MS} ms added, 0 errors`,
        met: addedByReplicas('p99') <= TARGET_ADDED_P99_MS && replicas.errors === 0 && replicasRateReached,
        detail: `${signed(addedByReplicas('p99'))} ms at p99; in each replica: ${diagnosis(probes.replicas)}`,
      },
    ];
  } finally {
    try {
      await cleanup?.();
      await secondReplica?.stop();
      await gatewayProcess?.stop();
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }
}

interface LoadResult {
  /** Latency of every 2xx answer, in milliseconds. */
  latencies: number[];
  /** Connection errors, timeouts and non-2xx answers. */
  errors: number;
}

/** p50 and p99 over the slices' answers, their count and the slices' errors. */
function summarize(slices: LoadResult[]): { p50: number; p99: number; ok: number; errors: number } {
  const sorted = slices.flatMap((s) => s.latencies).sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    ok: sorted.length,
    errors: slices.reduce((sum, s) => sum + s.errors, 0),
  };
}

/**
 * POSTs `body` at `RATE` per second for `seconds` from `STAGGER` staggered autocannons, timing every
 * answer; the autocannons take turns over `urls` (two replicas: every other one to each).
 */
async function load(urls: string[], body: string, seconds: number): Promise<LoadResult> {
  const parts = await Promise.all(
    Array.from({ length: STAGGER }, async (_, i) => {
      await sleep((i * 1000) / STAGGER);
      return cannon(urls[i % urls.length]!, body, seconds, RATE / STAGGER);
    }),
  );
  return { latencies: parts.flatMap((p) => p.latencies), errors: parts.reduce((sum, p) => sum + p.errors, 0) };
}

/** One autocannon with one connection at `rate` per second. */
function cannon(url: string, body: string, seconds: number, rate: number): Promise<LoadResult> {
  const latencies: number[] = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        connections: 1,
        overallRate: rate,
        duration: seconds,
      },
      (err, result) => {
        if (err) return reject(err instanceof Error ? err : new Error(String(err)));
        resolve({ latencies, errors: result.errors + result.non2xx });
      },
    );
    instance.on('response', (_client, status, _bytes, ms) => {
      if (status >= 200 && status < 300) latencies.push(ms);
    });
  });
}

/** Waits until the replica at `url` routes the endpoint (it follows the store within a second). */
async function waitRouted(url: string, body: string): Promise<void> {
  for (let i = 0; ; i++) {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    await res.arrayBuffer();
    if (res.ok) return;
    if (i > 100) throw new Error(`the second replica does not route ${url}: HTTP ${res.status}`);
    await sleep(100);
  }
}

/**
 * What the gateway processes' probes saw over a path's slices (./gateway-probe.ts): the worst
 * slice's event-loop delay and phase p99s, the GC pauses of all slices, and CPU per request.
 */
function diagnosis(reports: ProbeReport[]): string {
  const worst = (pick: (r: ProbeReport) => number) => Math.max(...reports.map(pick)).toFixed(2);
  const gcCount = reports.reduce((sum, r) => sum + r.gc.count, 0);
  const gcMs = reports.reduce((sum, r) => sum + r.gc.totalMs, 0);
  const cpu = reports.map((r) => r.cpuMsPerRequest).sort((a, b) => a - b);
  const phase = (name: PhaseName) =>
    `${name} p50 ${worst((r) => r.phases[name].p50)} / p99 ${worst((r) => r.phases[name].p99)} ms`;
  return (
    `event-loop delay p99 ${worst((r) => r.eventLoopDelayMs.p99)} ms (max ${worst((r) => r.eventLoopDelayMs.max)} ms); ` +
    `${gcCount} GC pauses (${
      reports
        .flatMap((r) => Object.keys(r.gc.byKind))
        .filter(unique)
        .join(', ') || 'none'
    }), ` +
    `${gcMs.toFixed(1)} ms in all, longest ${worst((r) => r.gc.maxMs)} ms; ` +
    `${phase('before upstream')}, ${phase('upstream')}, ${phase('after upstream')}; ` +
    `${reports.reduce((sum, r) => sum + r.connectionsOpened, 0)} connections opened; ` +
    `CPU ${percentile(cpu, 0.5).toFixed(3)} ms per request (the worst slice of ${reports.length} for each figure but the sums)`
  );
}

function unique<T>(value: T, index: number, all: T[]): boolean {
  return all.indexOf(value) === index;
}

/** Nearest-rank percentile of sorted values (NaN when there are none). */
function percentile(sorted: number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? NaN;
}

/** The sum of a counter's series in Prometheus text. */
function counter(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n'))
    if (line.startsWith(`${name}{`)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

function signed(ms: number): string {
  return `${ms >= 0 ? '+' : '−'}${Math.abs(ms).toFixed(2)}`;
}

interface GatewayProcess {
  url: string;
  admin: GatewayAdminClient;
  /** What the process's probe recorded since it was last asked (./gateway-probe.ts). */
  probe(): Promise<ProbeReport>;
  stop(): Promise<void>;
}

/** Starts `mlops gateway` on free loopback ports with its state under `home`, captures to the store at `storeRoot`. */
async function startGatewayProcess(home: string, storeRoot: string): Promise<GatewayProcess> {
  const [port, adminPort] = [await freePort(), await freePort()];
  const token = 'bench-gateway-token-of-at-least-32-characters';
  fs.mkdirSync(home, { recursive: true });
  const probeFile = path.join(home, 'probe.json');
  const child: ChildProcess = spawn(
    process.execPath,
    [
      ...['--require', 'tsx/cjs', '--require', PROBE],
      // e.g. `--cpu-prof --cpu-prof-dir=/tmp/gateway-profiles` to profile the gateways of one run
      ...(process.env.GATEWAY_BENCH_NODE_FLAGS ?? '').split(' ').filter((f) => f !== ''),
      path.join(REPO_ROOT, 'bin', 'mlops.js'),
      ...['gateway', '--port', String(port), '--admin-port', String(adminPort)],
    ],
    {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        MLOPS_GATEWAY_PROBE_FILE: probeFile,
        MLOPS_HOME: home,
        MLOPS_STORE: `file://${storeRoot}`,
        MLOPS_GATEWAY_TOKEN: token,
        MLOPS_GATEWAY_RATE_LIMIT: '0',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`the gateway exited:\n${log}`);
    const ready = await fetch(`${url}/v2/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (i > 300) throw new Error(`the gateway did not start:\n${log}`);
    await sleep(100);
  }
  return {
    url,
    admin: new GatewayAdminClient({ adminUrl: `http://127.0.0.1:${adminPort}`, token }),
    async probe() {
      fs.rmSync(probeFile, { force: true });
      child.kill('SIGUSR2');
      for (let i = 0; !fs.existsSync(probeFile); i++) {
        if (i > 200) throw new Error(`the gateway's probe did not answer:\n${log}`);
        await sleep(10);
      }
      return JSON.parse(fs.readFileSync(probeFile, 'utf8')) as ProbeReport;
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}
