/**
 * What a sweep report shows, and the pure reading of it: the leaderboard order, the best trial,
 * the params to chart, the counts by status. Values may be NaN or ±Infinity (a diverged loss):
 * they are never ranked or plotted, only shown as text.
 */

export type ParamType = 'uniform' | 'loguniform' | 'int' | 'choice';

/** One param of the search space (the sweep file's `space` entry: `min`/`max`, or `values` for a choice). */
export interface SweepParamSpace {
  type: ParamType;
  [k: string]: unknown;
}

export interface SweepObjective {
  metric: string;
  direction: 'maximize' | 'minimize';
}

export interface SweepTrialData {
  trial: number;
  params: Record<string, unknown>;
  /** succeeded | failed | cancelled | stopped-early | running */
  status: string;
  /** Final metrics. */
  metrics: Record<string, number>;
  /** Intermediate values of the objective metric, in step order. */
  curve: { step: number; value: number }[];
  /** The step at which the early-stopping rule stopped the trial. */
  stoppedAtStep?: number;
}

export interface SweepReportData {
  /** e.g. "Sweep churn-sweep" */
  title: string;
  /** The sweep's workflow id. */
  run: string;
  objective: SweepObjective;
  space: Record<string, SweepParamSpace>;
  trials: SweepTrialData[];
  /** The trial the sweep chose; by default the succeeded trial with the best finite objective. */
  bestTrial?: number;
  generatedAt: string;
}

/** Leaderboard groups, in order: finished trials first, failed ones last. */
export const STATUS_ORDER = ['succeeded', 'stopped-early', 'running', 'cancelled', 'failed'] as const;

function statusRank(status: string): number {
  const rank = (STATUS_ORDER as readonly string[]).indexOf(status);
  return rank === -1 ? STATUS_ORDER.length : rank;
}

/** The trial's objective value as recorded (may be non-finite), or undefined when absent. */
export function objectiveOf(trial: SweepTrialData, objective: SweepObjective): number | undefined {
  const value = trial.metrics[objective.metric];
  return typeof value === 'number' ? value : undefined;
}

/** A finite number, or undefined. */
export function finite(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * Trials best first: grouped by status (succeeded, stopped early, running, cancelled, failed),
 * within a group by the objective in its direction (non-finite or missing values last), then by number.
 */
export function leaderboardOrder(trials: readonly SweepTrialData[], objective: SweepObjective): SweepTrialData[] {
  const sign = objective.direction === 'maximize' ? -1 : 1;
  return [...trials].sort((a, b) => {
    const byStatus = statusRank(a.status) - statusRank(b.status);
    if (byStatus !== 0) return byStatus;
    const [x, y] = [finite(objectiveOf(a, objective)), finite(objectiveOf(b, objective))];
    if (x !== undefined && y !== undefined && x !== y) return (x - y) * sign;
    if ((x === undefined) !== (y === undefined)) return x === undefined ? 1 : -1;
    return a.trial - b.trial;
  });
}

/** `data.bestTrial` when it names a trial, else the succeeded trial with the best finite objective. */
export function bestTrialOf(data: SweepReportData): SweepTrialData | undefined {
  if (data.bestTrial !== undefined) return data.trials.find((t) => t.trial === data.bestTrial);
  const first = leaderboardOrder(data.trials, data.objective)[0];
  return first?.status === 'succeeded' && finite(objectiveOf(first, data.objective)) !== undefined ? first : undefined;
}

/** The params to show: the search space's, then any other param a trial has, by name. */
export function paramNames(data: SweepReportData): string[] {
  const names = Object.keys(data.space);
  const known = new Set(names);
  const extra = new Set<string>();
  for (const trial of data.trials) for (const name of Object.keys(trial.params)) if (!known.has(name)) extra.add(name);
  return [...names, ...[...extra].sort()];
}

/** How many trials have each status, in leaderboard order of statuses (only those present). */
export function statusCounts(trials: readonly SweepTrialData[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const trial of trials) counts.set(trial.status, (counts.get(trial.status) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => statusRank(a[0]) - statusRank(b[0]) || a[0].localeCompare(b[0]));
}

/** Whether the trial was stopped by the early-stopping rule. */
export function stoppedEarly(trial: SweepTrialData): boolean {
  return trial.status === 'stopped-early' || trial.stoppedAtStep !== undefined;
}

/** The trial's finite curve points, in step order. */
export function finiteCurve(trial: SweepTrialData): { step: number; value: number }[] {
  return trial.curve.filter((p) => Number.isFinite(p.step) && Number.isFinite(p.value)).sort((a, b) => a.step - b.step);
}
