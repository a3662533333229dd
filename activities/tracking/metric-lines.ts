/**
 * Metric stream chunks as NDJSON: one point per line, `{"name","step","value","at"}` plus `batch`
 * when the write named one. JSON has no NaN or Infinity, so those values are written as the
 * strings "NaN", "Infinity", "-Infinity" and read back as numbers.
 */
import type { MetricInput, MetricPoint } from './types';

interface StoredPoint {
  name: string;
  step: number;
  value: number | string;
  at: string;
  batch?: string;
}

/** The NDJSON body of one chunk. */
export function encodePoints(points: readonly MetricInput[], at: string, batch?: string): string {
  return points
    .map((point) => {
      const value = Number.isFinite(point.value) ? point.value : String(point.value);
      const line: StoredPoint = { name: point.name, step: point.step, value, at };
      if (batch !== undefined) line.batch = batch;
      return `${JSON.stringify(line)}\n`;
    })
    .join('');
}

/**
 * The points of chunks in sequence order, minus chunks repeating a batch already seen (a retried
 * write), filtered by name and sorted by step (stably: equal steps keep the order they were written).
 */
export function decodePoints(bodies: readonly Buffer[], name?: string): MetricPoint[] {
  const seenBatches = new Set<string>();
  const points: MetricPoint[] = [];
  for (const body of bodies) {
    const lines = body
      .toString('utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as StoredPoint);
    const batch = lines[0]?.batch;
    if (batch !== undefined) {
      if (seenBatches.has(batch)) continue;
      seenBatches.add(batch);
    }
    for (const line of lines) {
      if (name !== undefined && line.name !== name) continue;
      points.push({ name: line.name, step: line.step, value: Number(line.value), at: line.at });
    }
  }
  return points.sort((a, b) => a.step - b.step);
}
