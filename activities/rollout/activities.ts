/**
 * Rollout activities: what `progressiveRollout` needs beyond the serving activities — the endpoint
 * as it stands before a rollout (none yet is not an error: a first deployment), and one analysis
 * window of the candidate against the baseline (../../common/rollout-analysis.ts), computed here so
 * the predictions never enter the workflow's history: only the verdict and its numbers do.
 */
import { analyzeWindow, type AnalysisThresholds, type AnalysisVerdict } from '../../common/rollout-analysis';
import { asActivity } from '../failures';
import { populationStabilityIndex } from '../monitoring/psi';
import { ServingUnavailableError } from '../../common/failures';
import type { EndpointDescription, ServingBackend } from '../serving/types';

export interface AnalyzeRolloutInput {
  endpoint: string;
  candidate: string;
  baseline?: string;
  windowSeconds: number;
  thresholds: AnalysisThresholds;
}

export interface AnalyzeRolloutResult extends AnalysisVerdict {
  candidate: { requests: number; errorRate: number; p95: number };
  baseline?: { requests: number; errorRate: number; p95: number };
  psi?: number;
}

/** Predictions each side needs before their distributions are compared. */
const MIN_PREDICTIONS_FOR_PSI = 30;

export function createRolloutActivities(deps: { servingBackend?: ServingBackend }) {
  const backend = (): ServingBackend => {
    if (!deps.servingBackend) throw new ServingUnavailableError();
    return deps.servingBackend;
  };
  return {
    /** The endpoint's variants and weights, or null when it does not exist yet. */
    async endpointBeforeRollout(input: { endpoint: string }): Promise<EndpointDescription | null> {
      return asActivity(async () => {
        const serving = backend();
        const known = await serving.listEndpoints();
        return known.includes(input.endpoint) ? serving.describe(input.endpoint) : null;
      });
    },

    /** One analysis window: the candidate's errors and latency (against the baseline's) and prediction PSI. */
    async analyzeRollout(input: AnalyzeRolloutInput): Promise<AnalyzeRolloutResult> {
      return asActivity(async () => {
        const serving = backend();
        const [candidate, baseline] = await Promise.all([
          serving.readMetrics(input.endpoint, input.candidate, input.windowSeconds),
          input.baseline ? serving.readMetrics(input.endpoint, input.baseline, input.windowSeconds) : undefined,
        ]);
        const psi =
          baseline &&
          candidate.predictions.length >= MIN_PREDICTIONS_FOR_PSI &&
          baseline.predictions.length >= MIN_PREDICTIONS_FOR_PSI
            ? populationStabilityIndex(baseline.predictions, candidate.predictions)
            : undefined;
        const verdict = analyzeWindow({ candidate, baseline, predictionPsi: psi, thresholds: input.thresholds });
        const brief = (m: typeof candidate) => ({ requests: m.requests, errorRate: m.errorRate, p95: m.latencyMs.p95 });
        return { ...verdict, candidate: brief(candidate), baseline: baseline && brief(baseline), psi };
      });
    },
  };
}

export type RolloutActivities = ReturnType<typeof createRolloutActivities>;
