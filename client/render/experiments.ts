/** Human renderings of tracked runs and trials. */
import type { ExperimentRun, Trial } from '../../activities/tracking/types';
import { table } from '../output';

export function renderRuns(r: { pipeline: string; runs: ExperimentRun[] }): string {
  if (r.runs.length === 0) return `no runs of ${r.pipeline} tracked yet`;
  return table(
    ['RUN', 'STATUS', 'STARTED', 'ENDED'],
    r.runs.map((x) => [x.run, x.status, x.startedAt, x.endedAt ?? '']),
  );
}

export function renderTrials(r: { run: ExperimentRun; trials: Trial[] }): string {
  const metricNames = [...new Set(r.trials.flatMap((t) => Object.keys(t.metrics)))].slice(0, 5);
  const head = `${r.run.pipeline} ${r.run.run}: ${r.run.status}\n`;
  if (r.trials.length === 0) return `${head}no trials`;
  return (
    head +
    table(
      ['TRIAL', 'STATUS', ...metricNames.map((m) => m.toUpperCase()), 'PARAMS'],
      r.trials.map((t) => [
        String(t.trial),
        t.status,
        ...metricNames.map((m) => (t.metrics[m] === undefined ? '' : String(t.metrics[m]))),
        Object.entries(t.params)
          .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
          .join(' '),
      ]),
    )
  );
}
