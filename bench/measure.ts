/** Timing helpers for benchmarks: run a case a few times and keep the median. */

export interface Measurement {
  name: string;
  /** Median wall time of one repetition, in milliseconds. */
  ms: number;
  /** Operations (or bytes) done per repetition, to turn time into a rate. */
  units: number;
  unitName: string;
  /** `ms` is one request's latency (shown to the hundredth, without a rate), not a repetition's wall time. */
  latency?: boolean;
}

/** Runs `fn` `repeat` times (after one warm-up) and returns the median time. */
export async function measure(
  name: string,
  units: number,
  unitName: string,
  fn: (rep: number) => Promise<void>,
  repeat = 5,
): Promise<Measurement> {
  await fn(-1);
  const times: number[] = [];
  for (let rep = 0; rep < repeat; rep++) {
    const start = process.hrtime.bigint();
    await fn(rep);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { name, ms: times[Math.floor(times.length / 2)] ?? 0, units, unitName };
}

/** Runs `count` tasks with at most `concurrency` at a time. */
export async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) await task(next++);
  });
  await Promise.all(lanes);
}

/** `rate` as a human string, e.g. `1,234 obj/s` or `210.5 MB/s`. */
export function rate(m: Measurement): string {
  const perSecond = (m.units / m.ms) * 1000;
  if (m.unitName === 'MB') return `${perSecond.toFixed(1)} MB/s`;
  return `${Math.round(perSecond).toLocaleString('en-US')} ${m.unitName}/s`;
}

/** One row of a benchmark table in docs/benchmarks.md: ours beside its anchor, against the target. */
export interface BenchRow {
  scenario: string;
  ours: Measurement;
  anchor: Measurement;
  target: string;
  /** Undefined for a row that only informs (no target of its own). */
  met?: boolean;
  detail: string;
}

/** The workflow bundler's logger in benches: errors only. */
export const bundlerLogger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error };
