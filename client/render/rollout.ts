/** Human rendering of a rollout: its phase, weights, step and latest analyses. */
import type { RolloutStatus } from '../../workflows/progressive-rollout';
import { table } from '../output';

/** A rollout's status, or how it ended. */
export function renderRollout(s: RolloutStatus & { outcome?: string }): string {
  const lines = [
    `${s.endpoint}: ${s.model} v${s.version} ${s.outcome ?? s.phase} · step ${s.step}/${s.steps.length} (${s.steps.join(' → ')})`,
    `weights: ${
      Object.entries(s.weights)
        .map(([v, w]) => `${v} ${w}%`)
        .join(', ') || '—'
    }`,
  ];
  if (s.reason) lines.push(`reason: ${s.reason}`);
  if (s.analyses.length > 0)
    lines.push(
      table(
        ['AT', 'STEP', 'VERDICT', 'CHECKS'],
        s.analyses
          .slice(-5)
          .map((a) => [a.at, String(a.weight) + '%', a.verdict, a.checks.map((c) => c.message).join('; ')]),
      ).trimEnd(),
    );
  return lines.join('\n');
}
