/**
 * The vega-lite specs of a sweep report: the objective against each param, and the learning
 * curves. Each spec comes with what it left out (missing params, non-finite values) so the page
 * can say so. Data fields have fixed names; param and metric names only appear as titles, so no
 * name is ever read as a vega field path or expression.
 */
import type { ChartSpec } from './chart';
import { formatMetric, formatParam, plural } from './format';
import { BEST_COLOR, STATUS_COLORS } from './style';
import {
  finite,
  finiteCurve,
  objectiveOf,
  STATUS_ORDER,
  stoppedEarly,
  type SweepObjective,
  type SweepParamSpace,
  type SweepTrialData,
} from './sweep-data';

/** A chart to render, or nothing to plot; `notes` say what was left out. */
export interface PlannedChart {
  spec?: ChartSpec;
  /** Trials drawn (points, or curves). */
  plotted: number;
  /** Of those, trials stopped early (learning curves). */
  stopped?: number;
  notes: string[];
}

const OTHER_STATUS_COLOR = '#b279a2';

/** The colour scale of trial statuses: fixed colours, only the statuses present. */
function statusScale(statuses: Iterable<string>) {
  const present = new Set(statuses);
  const domain = [...STATUS_ORDER.filter((s) => present.has(s)), ...[...present].filter((s) => !(s in STATUS_COLORS))];
  return { domain, range: domain.map((s) => STATUS_COLORS[s] ?? OTHER_STATUS_COLOR) };
}

function objectiveTitle(objective: SweepObjective): string {
  return `${objective.metric} (${objective.direction === 'maximize' ? 'higher' : 'lower'} is better)`;
}

/** The x encoding of a param by its type: log scale for loguniform, categories for a choice. */
function paramAxis(name: string, space: SweepParamSpace | undefined, values: readonly unknown[]) {
  const numeric = values.every((v) => typeof v === 'number');
  const type = space?.type ?? (numeric ? 'uniform' : 'choice');
  if (type === 'choice' || !numeric) {
    const declared = Array.isArray(space?.values) ? (space.values as unknown[]).map(formatParam) : [];
    const seen = values.map(formatParam);
    const sort = [...new Set([...declared, ...seen])];
    const axis = { labelAngle: 0, labelLimit: 90 };
    return { kind: 'choice' as const, x: { field: 'x', type: 'ordinal' as const, title: name, sort, axis } };
  }
  const scale = type === 'loguniform' ? { type: 'log' as const } : { zero: false, nice: true };
  const axis = type === 'int' ? { tickMinStep: 1, format: 'd' } : {};
  return { kind: type, x: { field: 'x', type: 'quantitative' as const, title: name, scale, axis } };
}

/** Objective (y) against one param (x), a point per trial coloured by status, the best trial ringed. */
export function paramChart(
  name: string,
  space: SweepParamSpace | undefined,
  trials: readonly SweepTrialData[],
  objective: SweepObjective,
  best: number | undefined,
): PlannedChart {
  const withValue = trials.filter((t) => t.params[name] !== undefined);
  const axis = paramAxis(
    name,
    space,
    withValue.map((t) => t.params[name]),
  );
  const notes: string[] = [];
  const missing = trials.length - withValue.length;
  if (missing > 0) notes.push(`${plural(missing, 'trial')} without ${name} not plotted.`);
  const scored = withValue.filter((t) => finite(objectiveOf(t, objective)) !== undefined);
  const unscored = withValue.length - scored.length;
  if (unscored > 0) notes.push(`${plural(unscored, 'trial')} without a finite ${objective.metric} not plotted.`);
  const points = scored.filter((t) => {
    if (axis.kind === 'choice') return true;
    const value = finite(t.params[name]);
    return value !== undefined && (axis.kind !== 'loguniform' || value > 0);
  });
  const unplaceable = scored.length - points.length;
  if (unplaceable > 0)
    notes.push(
      `${plural(unplaceable, 'trial')} with a ${name} that is not ${axis.kind === 'loguniform' ? 'a positive' : 'a finite'} number not plotted.`,
    );
  if (points.length === 0) return { plotted: 0, notes };

  const values = points.map((t) => {
    const y = objectiveOf(t, objective)!;
    const x = axis.kind === 'choice' ? formatParam(t.params[name]) : (t.params[name] as number);
    return {
      trial: t.trial,
      x,
      y,
      jitter: jitterOf(t.trial),
      status: t.status,
      best: t.trial === best,
      label: `trial ${t.trial} (${t.status}): ${name} ${formatParam(t.params[name])}, ${objective.metric} ${formatMetric(y)}`,
    };
  });
  const encoding = {
    x: axis.x,
    // points of one choice spread sideways a little, the same way every time
    ...(axis.kind === 'choice' && { xOffset: { field: 'jitter', type: 'quantitative', scale: { domain: [-1, 1] } } }),
    y: { field: 'y', type: 'quantitative' as const, title: objectiveTitle(objective), scale: { zero: false } },
    description: { field: 'label' },
  };
  const spec = {
    width: 300,
    height: 220,
    data: { values },
    encoding,
    layer: [
      {
        name: 'trials',
        mark: { type: 'circle', size: 55, opacity: points.length > 50 ? 0.6 : 0.85 },
        encoding: {
          color: {
            field: 'status',
            type: 'nominal',
            title: 'status',
            scale: statusScale(points.map((p) => p.status)),
          },
        },
      },
      {
        name: 'best',
        transform: [{ filter: 'datum.best' }],
        mark: { type: 'point', size: 260, strokeWidth: 2.5, color: BEST_COLOR, filled: false },
      },
    ],
  } as ChartSpec;
  return { spec, plotted: points.length, notes };
}

/** A spread in [-0.7, 0.7] that is the same for a trial on every page. */
function jitterOf(trial: number): number {
  const h = Math.imul(trial ^ 0x5bd1e995, 0x27d4eb2d) >>> 0;
  return ((h % 1000) / 999 - 0.5) * 1.4;
}

/**
 * The objective against the step, a line per trial coloured by status; trials stopped early are
 * dashed with a cross where they stopped; the best trial is drawn thick and dark on top.
 */
export function learningCurvesChart(
  trials: readonly SweepTrialData[],
  objective: SweepObjective,
  best: number | undefined,
): PlannedChart {
  const notes: string[] = [];
  let skipped = 0;
  const lines: { trial: number; step: number; value: number; status: string; run: string; label: string }[] = [];
  const stops: { trial: number; step: number; value: number; label: string }[] = [];
  let plotted = 0;
  for (const trial of trials) {
    const curve = finiteCurve(trial);
    skipped += trial.curve.length - curve.length;
    if (curve.length === 0) continue;
    plotted++;
    const stopped = stoppedEarly(trial);
    const run = stopped ? 'stopped early' : 'not stopped';
    const label = `trial ${trial.trial} (${trial.status})`;
    for (const p of curve)
      lines.push({ trial: trial.trial, step: p.step, value: p.value, status: trial.status, run, label });
    if (stopped) {
      const at = trial.stoppedAtStep ?? curve.at(-1)!.step;
      const last = [...curve].reverse().find((p) => p.step <= at) ?? curve.at(-1)!;
      stops.push({ trial: trial.trial, step: last.step, value: last.value, label: `${label} stopped at step ${at}` });
    }
  }
  if (skipped > 0) notes.push(`${plural(skipped, 'non-finite value')} (NaN or Infinity) not plotted.`);
  if (plotted === 0) return { plotted, notes };

  const many = plotted > 20;
  const x = { field: 'step', type: 'quantitative' as const, title: 'step' };
  const y = { field: 'value', type: 'quantitative' as const, title: objectiveTitle(objective), scale: { zero: false } };
  const runs = [...new Set(lines.map((l) => l.run))].sort().reverse();
  const layer: unknown[] = [
    {
      name: 'curves',
      data: { values: lines },
      mark: { type: 'line', strokeWidth: 1.5, strokeCap: 'round', opacity: many ? 0.45 : 0.85, clip: true },
      encoding: {
        x,
        y,
        detail: { field: 'trial', type: 'nominal' },
        color: {
          field: 'status',
          type: 'nominal',
          title: 'status',
          scale: statusScale(lines.map((l) => l.status)),
        },
        ...(stops.length > 0 && {
          strokeDash: {
            field: 'run',
            type: 'nominal',
            title: 'early stopping',
            scale: { domain: runs, range: runs.map((r) => (r === 'stopped early' ? [5, 3] : [1, 0])) },
          },
        }),
        description: { field: 'label' },
      },
    },
  ];
  if (stops.length > 0)
    layer.push({
      name: 'stops',
      data: { values: stops },
      mark: { type: 'point', shape: 'cross', size: 70, filled: true, color: STATUS_COLORS['stopped-early'] },
      encoding: { x, y, description: { field: 'label' } },
    });
  const bestLine = lines.filter((l) => l.trial === best);
  if (bestLine.length > 0)
    layer.push({
      name: 'best',
      data: { values: bestLine },
      mark: { type: 'line', strokeWidth: 3.5, strokeCap: 'round', color: BEST_COLOR, clip: true },
      encoding: { x, y, description: { value: `best trial ${best}` } },
    });
  return { spec: { width: 640, height: 320, layer } as ChartSpec, plotted, stopped: stops.length, notes };
}
