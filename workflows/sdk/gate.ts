/** The gate block: pure — the spec's gates applied to a candidate's evaluation against the champion's. */
import type { EvaluationSummary as GateSummary, GateDecision } from '../../common/gates';
import { evaluateGates } from '../../common/gates';
import type { EvaluationSection } from '../../common/schemas/spec';

/** The part of an evaluation section the gates read. */
export type GateSection = Pick<EvaluationSection, 'gates' | 'primaryMetric' | 'direction'> &
  Partial<Pick<EvaluationSection, 'task'>>;

/** Applies the gates: the decision passes when every gate does (no champion: the gates on the champion pass). */
export function gate(
  section: GateSection,
  candidate: { summary: GateSummary },
  champion?: { summary: GateSummary } | undefined,
): GateDecision {
  return evaluateGates({
    gates: section.gates,
    primaryMetric: section.primaryMetric,
    direction: section.direction,
    ...(section.task ? { task: section.task } : {}),
    candidate: candidate.summary,
    champion: champion?.summary,
  });
}

/** The failing gates' names, e.g. `thresholds.auc.min, minImprovement`. */
export function failedGates(decision: GateDecision): string {
  return decision.reasons
    .filter((r) => !r.passed)
    .map((r) => r.gate)
    .join(', ');
}
