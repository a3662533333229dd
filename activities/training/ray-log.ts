/**
 * Reading a Ray job's log, which carries both the job's output and its metric stream: the runner
 * (./ray_runner.py) echoes each metric line after `METRIC_PREFIX`. Offsets are byte offsets into
 * the whole log as the head returns it, so they stay valid across backend instances (a restarted
 * worker resumes where the last one stopped). Log text leaves the metric lines out.
 */
import { parsePoint, wholeUtf8 } from './stream-reads';
import type { MetricPoint } from './types';

/** Must match METRIC_PREFIX in ./ray_runner.py. */
export const METRIC_PREFIX = 'MLOPS_METRIC ';
const NEWLINE = 0x0a;

/** Log text from byte offset `since`, without metric lines; a trailing line that may still become one is held back. */
export function logTextFrom(log: Buffer, since: number): { text: string; next: number } {
  const chunk = wholeUtf8(log.subarray(Math.min(since, log.length)));
  const lastNewline = chunk.lastIndexOf(NEWLINE);
  const tail = chunk.subarray(lastNewline + 1);
  const holdBack = tail.length > 0 && mayBecomeMetric(tail.toString('utf8'));
  const end = holdBack ? lastNewline + 1 : chunk.length;
  const text = withoutMetricLines(chunk.subarray(0, end).toString('utf8'));
  return { text, next: since + end };
}

/** Metric points of the complete lines from byte offset `since`; malformed lines are skipped. */
export function metricPointsFrom(log: Buffer, since: number): { points: MetricPoint[]; next: number } {
  const chunk = log.subarray(Math.min(since, log.length));
  const end = chunk.lastIndexOf(NEWLINE) + 1;
  const points: MetricPoint[] = [];
  for (const line of chunk.subarray(0, end).toString('utf8').split('\n')) {
    const at = line.indexOf(METRIC_PREFIX);
    if (at < 0) continue;
    const point = parsePoint(line.slice(at + METRIC_PREFIX.length));
    if (point) points.push(point);
  }
  return { points, next: since + end };
}

/** The whole metric stream as NDJSON (what the local backend's metrics file holds). */
export function metricStream(log: string): string {
  return log
    .split('\n')
    .filter((line) => line.includes(METRIC_PREFIX))
    .map((line) => `${line.slice(line.indexOf(METRIC_PREFIX) + METRIC_PREFIX.length)}\n`)
    .join('');
}

/** `text` without the metric lines. */
export function withoutMetricLines(text: string): string {
  return text
    .split(/(?<=\n)/)
    .filter((line) => !line.includes(METRIC_PREFIX))
    .join('');
}

/** The last `n` lines of a log, metric lines left out. */
export function tailOf(log: string, n: number): string {
  return withoutMetricLines(log).trimEnd().split('\n').slice(-n).join('\n');
}

function mayBecomeMetric(partial: string): boolean {
  return partial.includes(METRIC_PREFIX) || METRIC_PREFIX.startsWith(partial);
}
