/** The current details of a pipeline run (the Temporal UI's "current details"): its step table. */
import type { PipelineStatus, StepState } from './types';

const ICON: Record<StepState, string> = {
  pending: '·',
  running: '▶',
  done: '✓',
  skipped: '–',
  failed: '✗',
  cancelled: '⊘',
};

/** The details markdown of a run: header, the step table, links and rejection reasons. */
export function renderDetails(s: PipelineStatus): string {
  const esc = (t: string) => t.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = [
    `**${s.pipeline}** → model **${s.model}** · stage **${s.stage}** · trigger ${s.trigger}`,
    '',
    '| step | state | summary |',
    '|---|---|---|',
    ...s.steps.map((st) => `| ${st.name} | ${ICON[st.state]} ${st.state} | ${esc(st.summary ?? '')} |`),
  ];
  const links = Object.entries(s.links);
  if (links.length > 0) lines.push('', ...links.map(([k, v]) => `- ${k}: ${v}`));
  if (s.decision && !s.decision.passed)
    lines.push(
      '',
      '**rejected by:**',
      ...s.decision.reasons.filter((r) => !r.passed).map((r) => `- ${r.gate}: ${esc(r.message)}`),
    );
  return lines.join('\n');
}
