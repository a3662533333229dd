/** Human renderings of a retrain run: its steps, and how it ended. */
import type { RetrainPipelineOutput, RetrainStatus } from '../../workflows/retrain-pipeline';
import { table } from '../output';

/** How links are printed: `link(value)` turns a report URI into its browser link (client/report-links.ts). */
export interface RenderLinks {
  link?: (value: string) => string;
}

/** The run's stage, steps, gate rejections, approval and links (reports as browser links with `opts.link`). */
export function renderStatus(s: RetrainStatus & { workflowId: string }, opts: RenderLinks = {}): string {
  const lines = [
    `${s.workflowId}: ${s.stage}${s.outcome ? ` (${s.outcome})` : ''} · pipeline ${s.pipeline} → ${s.model}${s.version ? ` v${s.version}` : ''}`,
    table(
      ['STEP', 'STATE', 'SUMMARY'],
      s.steps.map((st) => [st.name, st.state, st.summary ?? '']),
    ).trimEnd(),
  ];
  if (s.decision && !s.decision.passed)
    lines.push('rejected by:', ...s.decision.reasons.filter((r) => !r.passed).map((r) => `  ${r.gate}: ${r.message}`));
  if (s.approval)
    lines.push(
      `approval: ${s.approval.decision} by ${s.approval.actor}${s.approval.signedBy ? ` (signed, key ${s.approval.signedBy})` : ''}${s.approval.comment ? ` — ${s.approval.comment}` : ''}`,
    );
  const link = opts.link ?? ((v: string) => v);
  for (const [k, v] of Object.entries(s.links)) lines.push(`${k}: ${link(v)}`);
  return lines.join('\n');
}

/** How the run ended, then its status. */
export function renderOutcome(r: RetrainPipelineOutput & { workflowId: string }, opts: RenderLinks = {}): string {
  const head =
    r.outcome === 'unchanged'
      ? `unchanged: the champion${r.champion ? ` v${r.champion}` : ''} was trained on the same data, code and config`
      : r.outcome === 'approved'
        ? `approved: ${r.model} v${r.version}`
        : r.outcome === 'rolled-back'
          ? `rolled back: ${r.model} v${r.version}`
          : `rejected: ${r.model} v${r.version}`;
  return `${head}\n${renderStatus(r, opts)}`;
}
