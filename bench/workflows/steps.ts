/**
 * Bench-only workflows (bundled by bench/orchestration.bench.ts, not registered by the worker):
 * a chain of no-op activities, plain and through the step machinery of `retrainPipeline`
 * (workflows/retrain-pipeline.ts): a step table updated at begin and end, the details markdown
 * refreshed on every change, the stage upserted as `MlStage`, and every call given a summary.
 */
import { proxyActivities, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import { MlModel, MlPipeline, MlStage, MlTrigger } from '../../common/search-attributes';
import { renderDetails, type RetrainStatus, type Stage, type StepState } from '../../workflows/retrain-pipeline';

/** The activities these workflows call: one that does nothing. */
export interface StepActivities {
  noop(step: number): Promise<void>;
}

/** The options of `retrainPipeline`'s light activities. */
const acts = proxyActivities<StepActivities>({
  startToCloseTimeout: '5m',
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 10 },
});

/** `n` no-op activities one after the other, nothing else. */
export async function plainChain(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await acts.noop(i);
}

/** `n` no-op activities as `n` pipeline steps, each with the bookkeeping a retrain step does. */
export async function stepMachineryChain(n: number): Promise<void> {
  const status: RetrainStatus = {
    pipeline: 'bench',
    model: 'bench',
    stage: 'snapshot',
    trigger: 'bench',
    steps: Array.from({ length: n }, (_, i) => ({ name: `step-${i + 1}`, state: 'pending' })),
    links: {},
  };
  const show = () => setCurrentDetails(renderDetails(status));
  const begin = (i: number, summary: string) => {
    Object.assign(status.steps[i]!, { state: 'running', startedAt: now(), summary });
    show();
  };
  const end = (i: number, state: StepState, summary: string) => {
    Object.assign(status.steps[i]!, { state, endedAt: now(), summary });
    show();
  };
  const stage = (s: Stage) => {
    status.stage = s;
    upsertSearchAttributes([{ key: MlStage, value: s }]);
    show();
  };

  upsertSearchAttributes([
    { key: MlPipeline, value: status.pipeline },
    { key: MlModel, value: status.model },
    { key: MlTrigger, value: status.trigger },
    { key: MlStage, value: status.stage },
  ]);
  show();
  for (let i = 0; i < n; i++) {
    // alternate, so every upsert changes the value
    stage(i % 2 === 0 ? 'train' : 'evaluate');
    begin(i, `step ${i + 1} of ${n}`);
    await acts.noop.executeWithOptions({ summary: `step ${i + 1}/${n}: no-op` }, [i]);
    end(i, 'done', `step ${i + 1} done`);
  }
  stage('done');
}

function now(): string {
  return new Date().toISOString();
}
