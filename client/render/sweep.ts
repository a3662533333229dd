/** How a sweep's result reads: counts, the best trial, the leaderboard and the report's location. */
import type { HyperparameterSweepOutput } from '../../workflows/hyperparameter-sweep';
import { table } from '../output';
import { formatNumber } from '../progress';

/** A sweep's result: counts, the best trial, the leaderboard and the report's location. */
export function renderSweep(r: HyperparameterSweepOutput & { workflowId: string }): string {
  const metric = r.objective.metric;
  const lines = [
    `sweep ${r.workflowId}: ${r.counts.succeeded} succeeded, ${r.counts['stopped-early']} stopped early, ${r.counts.failed} failed`,
    r.bestTrial
      ? `best: trial ${r.bestTrial.trial} ${metric}=${formatNumber(r.bestTrial.objective)} ${describe(r.bestTrial.params)}`
      : 'best: none',
    table(
      ['RANK', 'TRIAL', metric.toUpperCase(), 'STATUS', 'PARAMS'],
      r.leaderboard.map((t, i) => [
        String(i + 1),
        String(t.trial),
        formatNumber(t.objective),
        t.status,
        describe(t.params),
      ]),
    ).trimEnd(),
  ];
  if (r.reportUri) lines.push(`report: ${r.reportUri}`);
  return lines.join('\n');
}

function describe(params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(' ');
}
