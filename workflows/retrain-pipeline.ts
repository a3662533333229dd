/**
 * `retrainPipeline` (workflow id `retrain/<pipeline>/<utc time>`): one durable run from new data to
 * an approved, registered and rolled-out model (docs/architecture.md, "Data flow of one retrain"),
 * built from the pipeline blocks of ./sdk (`temporal-mlops/workflow`):
 *
 *   snapshot ─► validate ─► unchanged? (same data, code and training config as the champion: end)
 *   ─► train (a `trainModel` child `train/<run id>`, or a `hyperparameterSweep` child `sweep/<run id>`)
 *   ─► evaluate candidate and champion on the same holdout snapshot (champion results cached per
 *      version and snapshot) ─► gates (pure) ─► evaluation report ─► register (candidate | rejected)
 *   ─► approval (updates `approve` / `reject`, timeout, reminders) ─► rollout (`rollout/<endpoint>`)
 *      and monitor (`monitor/<endpoint>`), or promotion to champion without a rollout section
 *
 * The parsed spec travels in the input (and is kept with the tracked run), so a run is reproducible
 * from its history. Every step shows in the details table, the `status` query and `MlStage`.
 */
import {
  awaitApproval,
  champion,
  evaluate,
  gate,
  pipelineRun,
  promote,
  register,
  report,
  rollout,
  snapshot,
  startMonitor,
  train,
  validate,
  type Outcome,
  type PipelineInput,
  type PipelineOutput,
  type PipelineStatus,
  type PipelineRun,
  type Prior,
  type RegisteredVersion,
  type Evaluation,
  type GateDecision,
  type RolloutResult,
} from './sdk';
import { quick } from './sdk/activity-options';

// the messages and types of every pipeline, where the client has always imported them from
export {
  approveUpdate,
  rejectUpdate,
  renderDetails,
  statusQuery,
  type ApprovalDecision,
  type ApproveInput,
  type Outcome,
  type RejectInput,
  type Stage,
  type Step,
  type StepState,
} from './sdk';
export type RetrainPipelineInput = PipelineInput;
export type RetrainStatus = PipelineStatus;
export type RetrainPipelineOutput = PipelineOutput;

const STEPS = ['snapshot', 'validate', 'train', 'evaluate', 'register', 'approval'];

export async function retrainPipeline(input: RetrainPipelineInput): Promise<RetrainPipelineOutput> {
  const { spec } = input;
  const run = pipelineRun(input, {
    steps: [...STEPS, ...(spec.rollout ? ['rollout'] : [])],
    kind: 'retrain',
    noun: 'Retrain',
  });
  return run.execute(async () => {
    // 1. snapshot and validate
    const snap = await snapshot(run);
    await validate(run, snap);

    // 2. step caching: the champion was trained on the same data, code and training config
    const prior = await champion(run, snap);
    if (prior.unchanged) {
      const stays = `champion v${prior.champion!.version}`;
      for (const name of ['train', 'evaluate', 'register', 'approval'])
        run.skip(name, `unchanged: ${stays} has this data, code and config`);
      const [out] = await together(
        run.lean,
        () => run.finish('unchanged'),
        () => run.notify('unchanged', `Retrain of ${spec.name}: nothing changed`, `${stays} stays`),
      );
      return out;
    }

    // 3. train; 4. evaluate candidate and champion on the same holdout snapshot, gates, report
    const trained = await train(run, { snapshot: snap });
    const evaluation = await evaluate(run, { candidates: [trained], champion: prior.champion, snapshot: snap });
    const candidate = evaluation.candidates[0]!;
    const decision = gate(spec.evaluation, candidate, evaluation.champion);
    const metrics = { candidateMetrics: candidate.metrics, championMetrics: evaluation.champion?.metrics };

    // 5. register (a rejected candidate is registered too, for the record); lean: while the report renders
    const version = run.lean
      ? await reportWhileRegistering(run, evaluation, decision, prior)
      : await report(run, { evaluation, decision }).then(() => register(run, { evaluation, decision, prior }));
    const subject = `${spec.model} v${version.version}`;
    if (!decision.passed) {
      run.skip('approval', 'rejected by the gates');
      const failed = decision.reasons.filter((r) => !r.passed).map((r) => `${r.gate}: ${r.message}`);
      const [out] = await together(
        run.lean,
        () => run.finish('rejected', metrics),
        () => run.notify('rejected', `${subject} rejected`, failed.join('\n')),
      );
      return out;
    }

    // 6. approval
    const approval = await awaitApproval(run, { version });
    const approved = approval.decision === 'approved';

    // 7. rollout to the spec's endpoint, then its monitor
    let rolled: RolloutResult | undefined;
    if (approved && spec.rollout) {
      rolled = await rollout(run, { version });
      if (rolled.outcome === 'promoted' && spec.monitoring) await startMonitor(run, spec.rollout.endpoint);
    }
    const outcome: Outcome = !approved ? 'rejected' : rolled?.reason !== undefined ? 'rolled-back' : 'approved';
    const by = `${approval.actor}: ${approval.comment}`;
    const announce = async () => {
      if (outcome === 'rolled-back') {
        // the rollout posts its own rollback where it notifies
        if (!rolled!.notified) await run.notify('rejected', `${subject} rolled back`, rolled!.reason!);
      } else if (approved) await run.notify('succeeded', `${subject} approved`, by);
      else await run.notify('rejected', `${subject} rejected`, by);
    };
    // no serving rollout configured: the approved version becomes the champion now
    const promotion = async () => {
      if (approved && !spec.rollout) await promote(run, { version, expected: prior.champion?.version ?? null });
    };
    if (run.lean) {
      // the run's record, the promotion and the notification are independent: all at once
      await Promise.all([run.finish(outcome, metrics), promotion(), announce()]);
    } else {
      await run.finish(outcome, metrics);
      await promotion();
      await announce();
    }
    return run.output(outcome, metrics);
  });
}

/**
 * The evaluation report and the registration at once: the version is registered with the report's
 * location (a local lookup) while the report renders; a report that fails still fails the run.
 */
async function reportWhileRegistering(
  run: PipelineRun,
  evaluation: Evaluation,
  decision: GateDecision,
  prior: Prior,
): Promise<RegisteredVersion> {
  const location = await quick.evaluationReportLocation.executeWithOptions(
    { summary: 'locate the evaluation report' },
    [{ run: run.id }],
  );
  const [, version] = await Promise.all([
    report(run, { evaluation, decision }),
    register(run, { evaluation, decision, prior, reportUri: location.uri }),
  ]);
  return version;
}

/** `first` then `second` (runs recorded before the lean path), or both at once (lean). */
async function together<T>(lean: boolean, first: () => Promise<T>, second: () => Promise<void>): Promise<[T, void]> {
  if (lean) return Promise.all([first(), second()]);
  const out = await first();
  await second();
  return [out, undefined];
}
