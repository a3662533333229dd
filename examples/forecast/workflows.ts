/**
 * The forecast pipeline, written in TypeScript on the platform's building blocks
 * (`temporal-mlops/workflow`): daily demand per store and item, a regression model.
 *
 *   extract (a job: the seeded generator standing in for a warehouse query; its output is the
 *   run's dataset snapshot) ─► features (a job) ─► train ridge and gradient boosting in parallel
 *   ─► evaluate both and the champion on one holdout ─► keep the better candidate that passes the
 *   gates ─► register ─► approval ─► rollout to endpoint `forecast` ─► batch-score the holdout
 *   with the promoted model
 *
 * Run it on a worker that loads this file, then start it like any pipeline:
 *   mlops worker --workflows examples/forecast/workflows.ts
 *   mlops run forecast --spec examples/forecast/pipeline.yaml
 */
import {
  awaitApproval,
  champion,
  evaluate,
  gate,
  pipelineRun,
  register,
  report,
  rollout,
  runStep,
  train,
  type CandidateEvaluation,
  type GateDecision,
  type PipelineInput,
  type PipelineOutput,
} from 'temporal-mlops/workflow';

/** The candidate algorithms (train.py's `algorithm` param), trained side by side. */
const ALGORITHMS = ['ridge', 'gradient_boosting'];

export async function forecastPipeline(input: PipelineInput): Promise<PipelineOutput> {
  const steps = ['extract', 'features', ...ALGORITHMS.map((a) => `train-${a}`), 'evaluate', 'register', 'approval'];
  const run = pipelineRun(input, { steps: [...steps, 'rollout', 'score'], noun: 'Forecast' });
  const { spec } = run;
  return run.execute(async () => {
    // the data: extracted into the store, snapshotted as the pipeline's dataset, then featurized
    const raw = await runStep(run, {
      name: 'extract',
      command: ['python', 'extract.py'],
      params: { seed: 7, days: 365 },
      output: { dataset: spec.dataset.name },
    });
    const features = await runStep(run, {
      name: 'features',
      command: ['python', 'features.py'],
      inputs: { raw },
    });
    const data = features.snapshot;
    const prior = await champion(run, data);
    if (prior.unchanged) return run.finish('unchanged');

    // two candidates in parallel, scored with the champion on the same holdout
    const candidates = await Promise.all(
      ALGORITHMS.map((algorithm) => train(run, { snapshot: data, params: { algorithm }, label: algorithm })),
    );
    const evaluation = await evaluate(run, { candidates, champion: prior.champion, snapshot: data });
    const judged = evaluation.candidates.map((c) => ({ c, decision: gate(spec.evaluation, c, evaluation.champion) }));
    const best = better(judged, spec.evaluation.primaryMetric, spec.evaluation.direction);
    const candidate = evaluation.candidates.indexOf(best.c);
    const metrics = { candidateMetrics: best.c.metrics, championMetrics: evaluation.champion?.metrics };
    await report(run, { evaluation, candidate, decision: best.decision });
    const version = await register(run, { evaluation, candidate, decision: best.decision, prior });
    if (!best.decision.passed) return run.finish('rejected', metrics);

    // a person approves; the approved version rolls out, then scores the holdout in batch
    const approval = await awaitApproval(run, { version });
    if (approval.decision !== 'approved') return run.finish('rejected', metrics);
    const rolled = await rollout(run, { version });
    if (rolled.outcome !== 'promoted') return run.finish('rolled-back', metrics);
    await runStep(run, {
      name: 'score',
      command: ['python', 'score.py'],
      inputs: { model: { modelUri: version.artifactUri }, features },
    });
    return run.finish('approved', metrics);
  });
}

/** The candidate passing the gates with the best primary metric (if none passes, the best of all). */
function better(
  judged: { c: CandidateEvaluation; decision: GateDecision }[],
  metric: string,
  direction: 'maximize' | 'minimize',
) {
  const score = (j: (typeof judged)[number]) => {
    const value = j.c.metrics[metric] ?? Number.NaN;
    return Number.isNaN(value) ? -Infinity : direction === 'maximize' ? value : -value;
  };
  const pool = judged.some((j) => j.decision.passed) ? judged.filter((j) => j.decision.passed) : judged;
  return pool.reduce((a, b) => (score(b) > score(a) ? b : a));
}
