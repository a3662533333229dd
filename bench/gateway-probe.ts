/**
 * A diagnostic probe the gateway bench preloads into each `mlops gateway` process
 * (`node --require tsx/cjs --require bench/gateway-probe.ts bin/mlops.js gateway …`), to find
 * where the gateway's tail latency comes from without changing the gateway's code:
 *
 * - event-loop delay (`perf_hooks.monitorEventLoopDelay`, 1 ms resolution): how long ready work
 *   waited for the loop;
 * - garbage-collection pauses (a `PerformanceObserver` of 'gc' entries), by kind;
 * - the time of each inference request's phases inside the gateway, from Node's HTTP diagnostics
 *   channels: `before upstream` (request received → upstream request started: reading and
 *   checking the body, routing, the upstream body), `upstream` (→ the upstream's answer
 *   received), `after upstream` (→ the answer sent) and the whole `in gateway` time. The
 *   gateway's server request is followed into its upstream request by an `AsyncLocalStorage`.
 *
 * On SIGUSR2 the probe writes what it recorded since the last one as JSON to the file named by
 * MLOPS_GATEWAY_PROBE_FILE (then renamed into place, so a reader never sees half a file) and
 * starts afresh: the bench asks after every slice of its load.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe } from 'node:diagnostics_channel';
import fs from 'node:fs';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { monitorEventLoopDelay, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';

/** What one slice recorded, as written to the probe file. */
export interface ProbeReport {
  eventLoopDelayMs: { p50: number; p99: number; max: number; samples: number };
  gc: { count: number; totalMs: number; maxMs: number; p99Ms: number; byKind: Record<string, number> };
  /** The gateway process's CPU time (user and system) per inference request answered, in ms. */
  cpuMsPerRequest: number;
  /** Connections the gateway opened (to upstreams and the store): a pooled connection reused is none. */
  connectionsOpened: number;
  /** Milliseconds per phase, over the slice's inference requests. */
  phases: Record<PhaseName, { p50: number; p99: number; max: number; count: number }>;
}

export type PhaseName = 'before upstream' | 'upstream' | 'after upstream' | 'in gateway';

/** Event-loop delay resolution, in milliseconds (the smallest perf_hooks allows). */
const LOOP_RESOLUTION_MS = 1;
/** Requests timed per slice at most (a slice of the bench has a few thousand). */
const MAX_TIMED = 200_000;
const GC_KINDS: Record<number, string> = { 1: 'minor', 2: 'major', 4: 'incremental', 8: 'weak callbacks', 16: 'other' };

interface Timing {
  start: bigint;
  upstreamStart?: bigint;
  upstreamAnswer?: bigint;
}

const file = process.env.MLOPS_GATEWAY_PROBE_FILE;
if (file) install(file);

function install(target: string): void {
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loop.enable();
  let gcPauses: PerformanceEntry[] = [];
  new PerformanceObserver((list) => gcPauses.push(...list.getEntries())).observe({ entryTypes: ['gc'] });
  let phases = emptyPhases();
  let connectionsOpened = 0;
  let cpu = process.cpuUsage();
  subscribe('net.client.socket', () => (connectionsOpened += 1));
  const current = new AsyncLocalStorage<Timing>();
  const timings = new WeakMap<IncomingMessage, Timing>();
  const upstream = new WeakMap<ClientRequest, Timing>();

  subscribe('http.server.request.start', (message) => {
    const { request } = message as { request: IncomingMessage };
    if (!request.url?.endsWith('/infer')) return;
    const timing: Timing = { start: process.hrtime.bigint() };
    timings.set(request, timing);
    // the request handler runs next, in this context: its upstream request finds the timing
    current.enterWith(timing);
  });
  subscribe('http.client.request.start', (message) => {
    const timing = current.getStore();
    if (!timing) return;
    timing.upstreamStart = process.hrtime.bigint();
    upstream.set((message as { request: ClientRequest }).request, timing);
  });
  // the answer arrives in the context of the pooled socket, not the request's: found by its request
  subscribe('http.client.response.finish', (message) => {
    const timing = upstream.get((message as { request: ClientRequest }).request);
    if (timing) timing.upstreamAnswer = process.hrtime.bigint();
  });
  subscribe('http.server.response.finish', (message) => {
    const { request } = message as { request: IncomingMessage };
    const timing = timings.get(request);
    if (!timing || phases['in gateway'].length >= MAX_TIMED) return;
    const end = process.hrtime.bigint();
    phases['in gateway'].push(ms(end - timing.start));
    if (timing.upstreamStart !== undefined && timing.upstreamAnswer !== undefined) {
      phases['before upstream'].push(ms(timing.upstreamStart - timing.start));
      phases.upstream.push(ms(timing.upstreamAnswer - timing.upstreamStart));
      phases['after upstream'].push(ms(end - timing.upstreamAnswer));
    }
  });

  process.on('SIGUSR2', () => {
    const report: ProbeReport = {
      eventLoopDelayMs: {
        p50: loop.percentile(50) / 1e6,
        p99: loop.percentile(99) / 1e6,
        max: loop.max / 1e6,
        samples: loop.count,
      },
      gc: gcSummary(gcPauses),
      connectionsOpened,
      cpuMsPerRequest: cpuMs(process.cpuUsage(cpu)) / Math.max(1, phases['in gateway'].length),
      phases: Object.fromEntries(
        Object.entries(phases).map(([name, values]) => [name, summary(values)]),
      ) as ProbeReport['phases'],
    };
    loop.reset();
    gcPauses = [];
    phases = emptyPhases();
    connectionsOpened = 0;
    cpu = process.cpuUsage();
    fs.writeFileSync(`${target}.tmp`, JSON.stringify(report));
    fs.renameSync(`${target}.tmp`, target);
  });
}

function emptyPhases(): Record<PhaseName, number[]> {
  return { 'before upstream': [], upstream: [], 'after upstream': [], 'in gateway': [] };
}

function gcSummary(entries: PerformanceEntry[]): ProbeReport['gc'] {
  const durations = entries.map((e) => e.duration).sort((a, b) => a - b);
  const byKind: Record<string, number> = {};
  for (const e of entries) {
    const kind = GC_KINDS[(e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? 0] ?? 'other';
    byKind[kind] = (byKind[kind] ?? 0) + 1;
  }
  return {
    count: durations.length,
    totalMs: durations.reduce((a, b) => a + b, 0),
    maxMs: durations[durations.length - 1] ?? 0,
    p99Ms: rank(durations, 0.99),
    byKind,
  };
}

function summary(values: number[]): { p50: number; p99: number; max: number; count: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: rank(sorted, 0.5), p99: rank(sorted, 0.99), max: sorted[sorted.length - 1] ?? 0, count: sorted.length };
}

function rank(sorted: number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? 0;
}

function cpuMs(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1000;
}

function ms(ns: bigint): number {
  return Number(ns) / 1e6;
}
