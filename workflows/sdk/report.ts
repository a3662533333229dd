/**
 * The report block: the HTML evaluation report of a candidate against the champion, linked from the
 * run; it also records the gate decision in the status, the candidate's primary metric as
 * `MlPrimaryMetric`, and the evaluate step's outcome (failed when the gates rejected the candidate).
 */
import { upsertSearchAttributes } from '@temporalio/workflow';
import type { GateDecision } from '../../common/gates';
import { formatMetric } from '../../common/format';
import { MlPrimaryMetric } from '../../common/search-attributes';
import { InvalidArgumentError, toApplicationFailure } from '../../common/failures';
import { light } from './activity-options';
import type { Evaluation } from './evaluate';
import { failedGates } from './gate';
import type { PipelineRun } from './run';
import { pick } from './util';

export interface ReportOptions {
  evaluation: Evaluation;
  /** The index of the candidate in `evaluation.candidates`. @default 0 */
  candidate?: number;
  decision: GateDecision;
  /** The step whose outcome the decision is. @default 'evaluate' */
  step?: string;
}

/** Writes the evaluation report; returns its URI (also the run's `report` link). */
export async function report(run: PipelineRun, options: ReportOptions): Promise<string> {
  const { spec } = run;
  const section = spec.evaluation;
  const { evaluation, decision } = options;
  const candidate = evaluation.candidates[options.candidate ?? 0];
  if (!candidate)
    throw toApplicationFailure(
      new InvalidArgumentError('candidate', `no candidate ${options.candidate} among ${evaluation.candidates.length}`),
    );
  const champion = evaluation.champion;
  const primary = candidate.metrics[section.primaryMetric];
  if (primary !== undefined) upsertSearchAttributes([{ key: MlPrimaryMetric, value: primary }]);
  run.status.decision = decision;
  const written = await light.writeEvaluationReport.executeWithOptions({ summary: 'write the evaluation report' }, [
    {
      pipeline: spec.name,
      run: run.id,
      model: spec.model,
      primaryMetric: section.primaryMetric,
      direction: section.direction,
      candidate: { label: candidate.label, evaluationKey: candidate.key },
      champion: champion ? { label: champion.label, evaluationKey: champion.key } : undefined,
      decision,
      metrics: section.metrics,
    },
  ]);
  run.link('report', written.uri);
  const versus = champion
    ? ` vs ${formatMetric(champion.metrics[section.primaryMetric])}${champion.cached ? ' (cached)' : ''}`
    : '';
  run.end(
    options.step ?? 'evaluate',
    decision.passed ? 'done' : 'failed',
    `${section.primaryMetric} ${formatMetric(primary)}${versus}: ${decision.passed ? 'gates passed' : `rejected by ${failedGates(decision)}`}`,
    pick(candidate.metrics, 5),
  );
  return written.uri;
}
