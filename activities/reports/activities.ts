/**
 * Report activities: read what a run tracked, render the report, write it to the store under
 * `reports/…` (replacing an earlier rendering, so a retried attempt is harmless). Unknown runs and
 * malformed input fail non-retryably (`RunNotFound`, `InvalidArgument`, `InvalidName`).
 */
import { InvalidArgumentError } from '../../common/failures';
import { asActivity } from '../failures';
import { mapLimit } from '../storage/json';
import type { BlobStore } from '../storage/types';
import { ExperimentTracker } from '../tracking/tracker';
import { reportKeys } from './keys';
import type { SweepObjective, SweepParamSpace, SweepTrialData } from './sweep-data';
import { renderSweepReport } from './sweep-report';

const READ_CONCURRENCY = 16;
const HTML = { contentType: 'text/html; charset=utf-8' };

export interface WriteSweepReportInput {
  pipeline: string;
  /** The sweep's run id (its workflow id) as tracked. */
  run: string;
  objective: SweepObjective;
  space: Record<string, SweepParamSpace>;
  /** The trial the sweep chose; by default the succeeded trial with the best objective. */
  bestTrial?: number;
  /** Trial → the step at which early stopping stopped it. */
  stoppedAtStep?: Record<number, number>;
}

/** Where a report was written: its store key and `<store uri>/<key>`. */
export interface ReportRef {
  key: string;
  uri: string;
}

/** Builds the report activities on `deps.store`. */
export function createReportActivities(deps: { store: BlobStore }) {
  const tracker = new ExperimentTracker(deps.store);
  const refOf = (key: string): ReportRef => ({ key, uri: `${deps.store.uri.replace(/\/+$/, '')}/${key}` });
  return {
    /**
     * Where the evaluation report of `run` is written (`writeEvaluationReport`), known before it is:
     * a pure lookup, so a run can register its version with the report's link while the report renders.
     */
    async evaluationReportLocation(input: { run: string }): Promise<ReportRef> {
      return asActivity(async () => {
        if (typeof input?.run !== 'string' || input.run === '')
          throw new InvalidArgumentError('run', 'give the run id of the evaluation report');
        return refOf(reportKeys.evaluation(input.run));
      });
    },
    /** Renders the HTML report of a sweep run (trials, their objective curves) to `reports/sweeps/<run key>.html`. */
    async writeSweepReport(input: WriteSweepReportInput): Promise<ReportRef> {
      return asActivity(async () => {
        const { pipeline, run, objective } = checkSweepInput(input);
        await tracker.getRun(pipeline, run); // RunNotFound for a run never tracked
        const trials = await tracker.listTrials(pipeline, run, { sortBy: 'trial' });
        const data: SweepTrialData[] = await mapLimit(trials, READ_CONCURRENCY, async (trial) => {
          const points = await tracker.readMetrics(pipeline, run, trial.trial, objective.metric);
          const stoppedAtStep = input.stoppedAtStep?.[trial.trial];
          return {
            trial: trial.trial,
            params: trial.params,
            status: trial.status,
            metrics: trial.metrics,
            curve: points.map((p) => ({ step: p.step, value: p.value })),
            ...(typeof stoppedAtStep === 'number' && { stoppedAtStep }),
          };
        });
        const html = await renderSweepReport({
          title: `Sweep ${pipeline}`,
          run,
          objective,
          space: input.space ?? {},
          trials: data,
          bestTrial: input.bestTrial,
          generatedAt: new Date().toISOString(),
        });
        const key = reportKeys.sweep(run);
        await deps.store.put(key, html, HTML);
        return refOf(key);
      });
    },
  };
}

export type ReportActivities = ReturnType<typeof createReportActivities>;

function checkSweepInput(input: WriteSweepReportInput): WriteSweepReportInput {
  const objective: unknown = input?.objective;
  if (typeof objective !== 'object' || objective === null)
    throw new InvalidArgumentError('objective', 'must be an object with metric and direction');
  const { metric, direction } = objective as Partial<SweepObjective>;
  if (typeof metric !== 'string' || metric === '')
    throw new InvalidArgumentError('objective.metric', 'must be a metric name');
  if (direction !== 'maximize' && direction !== 'minimize')
    throw new InvalidArgumentError(
      'objective.direction',
      `must be maximize or minimize, got ${JSON.stringify(direction)}`,
    );
  if (
    input.space !== undefined &&
    (typeof input.space !== 'object' || input.space === null || Array.isArray(input.space))
  )
    throw new InvalidArgumentError('space', 'must be an object of param name → search space');
  if (input.bestTrial !== undefined && !Number.isSafeInteger(input.bestTrial))
    throw new InvalidArgumentError('bestTrial', `must be a trial number, got ${JSON.stringify(input.bestTrial)}`);
  return input;
}
