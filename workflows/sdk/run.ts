/**
 * The run context of a pipeline (`pipelineRun(input, { steps })`): the step table in the current
 * details and the `status` query, `MlStage` and the other search attributes, the tracked experiment
 * run, notifications, and what the run's steps produced (for the lineage). Every block takes it first.
 */
import {
  CancellationScope,
  isCancellation,
  patched,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { innermostMessage } from '../../common/format';
import { MlModel, MlPipeline, MlStage, MlTrigger } from '../../common/search-attributes';
import type { NotificationEvent, PipelineSpec } from '../../common/schemas/spec';
import { light, quick } from './activity-options';
import { ApprovalState } from './approval-state';
import { renderDetails } from './details';
import { statusQuery } from './messages';
import { notifyQuietly } from './notify';
import type {
  Outcome,
  PipelineInput,
  PipelineOutput,
  PipelineStatus,
  Stage,
  Step,
  StepOutput,
  StepState,
} from './types';
import { now } from './util';

export interface PipelineRunOptions {
  /** The steps of the table, in order (more appear as the run reaches them). */
  steps: readonly string[];
  /** The stage before the first block sets one. @default the first step */
  stage?: Stage;
  /** The run's `kind` tag in the experiment tracker. @default 'pipeline' */
  kind?: string;
  /** How notifications name the run: "<noun> of <pipeline> started". @default 'Run' */
  noun?: string;
}

/** What a step's result says for the table. */
export interface StepReport {
  summary?: string;
  metrics?: Record<string, number>;
  /** @default 'done' */
  state?: StepState;
}

/** The metrics a run's output carries. */
export interface OutcomeMetrics {
  candidateMetrics?: Record<string, number>;
  championMetrics?: Record<string, number>;
}

/**
 * The patch of the lean run (bench/pipeline.bench.ts measures it): quick reads and the tracked
 * run's writes as local activities (`quick`), notifications alongside the steps rather than before
 * them, the evaluation report written while the version is registered.
 */
export const LEAN_PATCH = 'lean-bookkeeping';

const FINAL_STAGE: Record<Outcome, Stage> = {
  approved: 'done',
  unchanged: 'unchanged',
  rejected: 'rejected',
  'rolled-back': 'rejected',
};

export class PipelineRun {
  /** The run's workflow id (its run id in the tracker and the registry). */
  readonly id: string;
  readonly spec: PipelineSpec;
  /** What the `status` query returns. */
  readonly status: PipelineStatus;
  /** The `approve` / `reject` updates' state (installed with the run; opened by `awaitApproval`). */
  readonly approval: ApprovalState;
  /** The outputs of the run's `runStep`s, in order: `register` records them in the lineage. */
  readonly outputs: StepOutput[] = [];
  /** Whether the run takes the lean path (`LEAN_PATCH`): false when replaying a run recorded before it. */
  readonly lean: boolean;

  constructor(
    readonly input: PipelineInput,
    private readonly options: PipelineRunOptions,
  ) {
    this.id = workflowInfo().workflowId;
    this.spec = input.spec;
    this.status = {
      pipeline: this.spec.name,
      model: this.spec.model,
      stage: options.stage ?? options.steps[0] ?? 'started',
      trigger: input.trigger,
      steps: options.steps.map((name) => ({ name, state: 'pending' })),
      links: {},
    };
    this.lean = patched(LEAN_PATCH);
    this.approval = new ApprovalState(this.spec.name, this.spec.approval?.approvers, () => this.status.stage);
    setHandler(statusQuery, () => this.status);
    this.approval.install();
  }

  /** Sets the stage: `status.stage`, `MlStage` and the details. */
  stage(stage: Stage): void {
    this.status.stage = stage;
    upsertSearchAttributes([{ key: MlStage, value: stage }]);
    this.show();
  }

  /** Marks a step running (it is added to the table when it is not there yet). */
  begin(name: string, summary?: string): void {
    Object.assign(this.row(name), { state: 'running', startedAt: now(), summary });
    this.show();
  }

  /** Marks a step ended with `state`; a summary given replaces the running one. */
  end(name: string, state: StepState, summary?: string, metrics?: Record<string, number>): void {
    Object.assign(this.row(name), { state, endedAt: now(), ...(summary !== undefined ? { summary } : {}), metrics });
    this.show();
  }

  /** Marks a step skipped, saying why. */
  skip(name: string, why: string): void {
    this.end(name, 'skipped', why);
  }

  /**
   * Runs `fn` as the step `name`: running while it runs, then done (or what `report` says); a
   * failure leaves it running for `execute` to mark failed or cancelled.
   */
  async step<T>(name: string, summary: string, fn: () => Promise<T>, report?: (result: T) => StepReport): Promise<T> {
    this.begin(name, summary);
    const result = await fn();
    const r = report?.(result) ?? {};
    this.end(name, r.state ?? 'done', r.summary, r.metrics);
    return result;
  }

  /** Adds a link (a report URI, a child's workflow id) to the status and the details. */
  link(key: string, value: string): void {
    this.status.links[key] = value;
    this.show();
  }

  /** Posts a notification when the spec subscribes to `event`; never fails the run (cancellation passes). */
  async notify(
    event: NotificationEvent,
    title: string,
    text: string,
    fields: Record<string, string> = {},
  ): Promise<void> {
    const n = this.spec.notifications;
    if (!n || !n.events.includes(event)) return;
    await notifyQuietly({
      webhookEnv: n.webhookEnv,
      event,
      pipeline: this.spec.name,
      run: this.id,
      title,
      text,
      fields,
      link: this.status.links.report,
    });
  }

  /**
   * Runs the pipeline's body: sets the search attributes, tracks the run, posts `started`; when the
   * body fails or is cancelled, marks the running steps, records the run failed or cancelled, posts
   * `failed` and rethrows.
   */
  async execute(body: () => Promise<PipelineOutput>): Promise<PipelineOutput> {
    const { spec, input } = this;
    upsertSearchAttributes([
      { key: MlPipeline, value: spec.name },
      { key: MlModel, value: spec.model },
      { key: MlTrigger, value: input.trigger },
      { key: MlStage, value: this.status.stage },
    ]);
    this.show();
    const noun = this.options.noun ?? 'Run';
    let started: Promise<void> | undefined;
    try {
      await (this.lean ? quick : light).startRun.executeWithOptions({ summary: `track run of ${spec.name}` }, [
        {
          pipeline: spec.name,
          run: this.id,
          params: { spec, specFile: input.specFile ?? null, force: input.force ?? false },
          tags: {
            kind: this.options.kind ?? 'pipeline',
            trigger: input.trigger,
            actor: input.actor,
            ...(input.reason ? { reason: input.reason } : {}),
          },
        },
      ]);
      started = this.notify(
        'started',
        `${noun} of ${spec.name} started`,
        `${input.trigger} run by ${input.actor}${input.reason ? `: ${input.reason}` : ''}`,
      );
      // lean: the first step runs while the notification is posted (it never fails the run)
      if (!this.lean) await started;
      const [out] = await Promise.all([body(), started]);
      return out;
    } catch (err) {
      const cancelled = isCancellation(err);
      for (const s of this.status.steps) {
        if (s.state === 'running') Object.assign(s, { state: cancelled ? 'cancelled' : 'failed', endedAt: now() });
      }
      await CancellationScope.nonCancellable(async () => {
        this.stage('failed');
        await light.finishRun
          .executeWithOptions({ summary: 'record run result' }, [
            { pipeline: spec.name, run: this.id, status: cancelled ? 'cancelled' : 'failed' },
          ])
          .catch(() => undefined);
        // `failed` is posted after `started` (a cancelled `started` is not waited for again)
        await started?.catch(() => undefined);
        await this.notify(
          'failed',
          `${noun} of ${spec.name} ${cancelled ? 'cancelled' : 'failed'}`,
          innermostMessage(err),
        );
      });
      throw err;
    }
  }

  /**
   * Ends the run well: steps it never reached are marked skipped, the final stage of `outcome`, the
   * tracked run succeeded; returns the output.
   */
  async finish(outcome: Outcome, metrics: OutcomeMetrics = {}): Promise<PipelineOutput> {
    for (const step of this.status.steps)
      if (step.state === 'pending') Object.assign(step, { state: 'skipped', summary: `not reached: ${outcome}` });
    this.stage(FINAL_STAGE[outcome]);
    await (this.lean ? quick : light).finishRun.executeWithOptions({ summary: 'record run result' }, [
      { pipeline: this.spec.name, run: this.id, status: 'succeeded' },
    ]);
    return this.output(outcome, metrics);
  }

  /** What the run returns: its status now, with the outcome and the metrics. */
  output(outcome: Outcome, metrics: OutcomeMetrics = {}): PipelineOutput {
    return { ...this.status, outcome, ...metrics };
  }

  private row(name: string): Step {
    let row = this.status.steps.find((s) => s.name === name);
    if (!row) {
      row = { name, state: 'pending' };
      this.status.steps.push(row);
    }
    return row;
  }

  private show(): void {
    setCurrentDetails(renderDetails(this.status));
  }
}

/** The run context of a pipeline: call once, first, in the workflow function. */
export function pipelineRun(input: PipelineInput, options: PipelineRunOptions): PipelineRun {
  return new PipelineRun(input, options);
}
