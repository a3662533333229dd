/**
 * Following long operations (client/progress.ts): which lines a change of a rollout, an A/B test or a
 * sweep is worth, `follow` printing only changes and stopping at Ctrl-C while the workflow goes on, and
 * `watch` re-printing a status on change until the workflow ends.
 */
import assert from 'node:assert/strict';
import type { WorkflowHandle } from '@temporalio/client';
import type { Output } from '../../client/output';
import { abTestChanges, follow, rolloutChanges, sweepChanges, WaitInterrupted, watch } from '../../client/progress';
import { retrainChanges } from '../../client/retrain-run';
import type { AbTestStatus } from '../../workflows/ab-test';
import type { SweepProgress } from '../../workflows/hyperparameter-sweep';
import type { RolloutStatus } from '../../workflows/progressive-rollout';
import type { RetrainStatus } from '../../workflows/retrain-pipeline';

/**
 * Ctrl-C as the CLI gets it, given only to the listeners added since `before` listeners were there
 * (mocha has its own, which would end the test run).
 */
function pressCtrlC(before: number): void {
  for (const listener of process.listeners('SIGINT').slice(before)) (listener as () => void)();
}

/** A handle whose result is `result` and whose client runs calls as they come (no server). */
function handleOf(workflowId: string, result: Promise<unknown>): WorkflowHandle {
  return {
    workflowId,
    result: () => result,
    client: { withAbortSignal: <T>(_signal: AbortSignal, fn: () => Promise<T>) => fn() },
  } as unknown as WorkflowHandle;
}

/** An Output that keeps what it was given: info lines, and results rendered as text or JSON. */
function recordingOutput(json = false) {
  const info: string[] = [];
  const results: string[] = [];
  const out: Output = {
    json,
    format: json ? 'json' : 'table',
    result: (data, human) => void results.push(json ? JSON.stringify(data) : human(data)),
    info: (line) => void (json || info.push(line)),
  };
  return { out, info, results };
}

const rollout = (over: Partial<RolloutStatus> = {}): RolloutStatus => ({
  endpoint: 'churn',
  model: 'churn',
  version: 2,
  phase: 'baking',
  weights: { 'churn-v2': 10, 'churn-v1': 90 },
  step: 1,
  steps: [10, 50, 100],
  consecutiveFailures: 0,
  extensions: 0,
  paused: false,
  analyses: [],
  ...over,
});

const analysis = (at: string, verdict: 'pass' | 'fail', weight = 10) => ({
  at,
  step: 1,
  weight,
  verdict,
  checks: verdict === 'fail' ? [{ check: 'errorRate', passed: false, message: 'error rate 100.00% > 1.00%' }] : [],
  candidate: { requests: 120, errorRate: verdict === 'fail' ? 1 : 0, p95: 12.4 },
});

describe('progress lines', () => {
  it('shows a rollout step with its weights, then each new analysis once, then the next step', () => {
    const first = rollout();
    assert.deepEqual(rolloutChanges(first, undefined), [
      'churn v2 baking · step 1/3 at 10%: [10%] → 50% → 100% · churn-v2 10%, churn-v1 90%',
    ]);
    const analysed = rollout({ analyses: [analysis('2026-01-01T00:01:00Z', 'pass')] });
    assert.deepEqual(rolloutChanges(analysed, first), [
      'analysis at 10%: pass (120 requests, error rate 0.00%, p95 12 ms)',
    ]);
    assert.deepEqual(rolloutChanges(analysed, analysed), [], 'nothing changed, nothing printed');
    const next = rollout({ step: 2, weights: { 'churn-v2': 50, 'churn-v1': 50 }, analyses: analysed.analyses });
    assert.deepEqual(rolloutChanges(next, analysed), [
      'churn v2 baking · step 2/3 at 50%: 10% → [50%] → 100% · churn-v2 50%, churn-v1 50%',
    ]);
    const failed = rollout({
      ...next,
      phase: 'rolling-back',
      analyses: [...analysed.analyses, analysis('2026-01-01T00:02:00Z', 'fail', 50)],
      reason: '2 failed analyses in a row: error rate 100.00% > 1.00%',
    });
    assert.deepEqual(rolloutChanges(failed, next), [
      'churn v2 rolling-back · step 2/3 at 50%: 10% → [50%] → 100% · churn-v2 50%, churn-v1 50%',
      'analysis at 50%: fail (120 requests, error rate 100.00%, p95 12 ms) — error rate 100.00% > 1.00%',
      'reason: 2 failed analyses in a row: error rate 100.00% > 1.00%',
    ]);
  });

  it('shows an A/B test’s counts per arm when they change, and each new analysis', () => {
    const arm = (variant: string, trials: number, successes: number) => ({
      model: 'churn',
      version: 1,
      variant,
      captured: trials * 2,
      trials,
      successes,
    });
    const status = (trials: number, decision?: AbTestStatus['decision']): AbTestStatus =>
      ({
        endpoint: 'churn',
        phase: 'running',
        settings: {} as AbTestStatus['settings'],
        control: arm('churn-v1', trials, trials / 2),
        treatment: arm('churn-v2', trials, trials / 4),
        looks: 3,
        unmatchedLabels: 0,
        history: [],
        ...(decision && { decision }),
      }) as AbTestStatus;
    const first = status(0);
    assert.deepEqual(abTestChanges(first, undefined), [
      'running: control churn-v1 0 captured, 0 labelled · treatment churn-v2 0 captured, 0 labelled',
    ]);
    assert.deepEqual(abTestChanges(status(0), first), []);
    const decided = status(40, { pValue: 0.0123, reason: 'control leads: p=0.0123' } as AbTestStatus['decision']);
    assert.deepEqual(abTestChanges(decided, first), [
      'running: control churn-v1 80 captured, 40 labelled, 50.0% success · treatment churn-v2 80 captured, 40 labelled, 25.0% success · look 3, p=0.0123',
      'control leads: p=0.0123',
    ]);
  });

  it('shows a sweep’s trials done, running and failed and the best so far, once per change', () => {
    const progress = (succeeded: number, failed: number, running: number[]): SweepProgress => ({
      total: 4,
      running,
      counts: { succeeded, failed, 'stopped-early': 0, cancelled: 0 } as SweepProgress['counts'],
      ...(succeeded > 0 && { best: { trial: 2, objective: 0.81234 } as SweepProgress['best'] }),
    });
    const changes = sweepChanges('val_auc');
    const a = progress(0, 0, [1, 2]);
    assert.deepEqual(changes(a, undefined), ['trials 0/4 done, 0 succeeded, running 1,2']);
    assert.deepEqual(changes(progress(0, 0, [1, 2]), a), []);
    assert.deepEqual(changes(progress(1, 1, [3]), a), [
      'trials 2/4 done, 1 succeeded, 1 failed, running 3, best trial 2 val_auc=0.8123',
    ]);
  });

  it('shows each retrain step as it changes, and how to approve when the run waits for it', () => {
    const status = (stage: string, train: string): RetrainStatus =>
      ({
        stage,
        steps: [
          { name: 'snapshot', state: 'done', summary: '3 files' },
          { name: 'train', state: train },
          { name: 'evaluate', state: 'pending' },
        ],
      }) as unknown as RetrainStatus;
    const first = status('training', 'running');
    assert.deepEqual(retrainChanges('retrain/churn/1', first, undefined), [
      'snapshot: done — 3 files',
      'train: running',
    ]);
    assert.deepEqual(retrainChanges('retrain/churn/1', status('awaiting-approval', 'done'), first), [
      'train: done',
      'awaiting approval: mlops approve retrain/churn/1 --reason "…"  (or mlops reject … --reason "…")',
    ]);
  });
});

describe('follow', () => {
  it('prints the lines of each change while it waits, and returns the result', async () => {
    const { out, info } = recordingOutput();
    const states = [1, 1, 2, 2, 3];
    let reads = 0;
    let finish!: (v: string) => void;
    const result = new Promise<string>((r) => (finish = r));
    const done = follow<string, number>(out, {
      handle: handleOf('w/1', result),
      followWith: 'mlops status w/1 --watch',
      read: () => {
        const s = states[Math.min(reads++, states.length - 1)];
        if (reads === states.length) setTimeout(() => finish('ended'), 5);
        return reads === 2 ? Promise.reject(new Error('no answer')) : Promise.resolve(s);
      },
      changes: (next, prev) => (next === prev ? [] : [`state ${next}`]),
      intervalMs: 5,
    });
    assert.equal(await done, 'ended');
    assert.deepEqual(info, ['state 1', 'state 2', 'state 3']);
  });

  it('prints nothing with machine output', async () => {
    const { out, info } = recordingOutput(true);
    const value = await follow(out, {
      handle: handleOf('w/1', new Promise((r) => setTimeout(() => r(7), 30))),
      followWith: 'x',
      read: () => Promise.resolve(1),
      changes: () => ['a line'],
      intervalMs: 5,
    });
    assert.equal(value, 7);
    assert.deepEqual(info, []);
  });

  it('stops waiting at Ctrl-C, naming how to follow the workflow again, and leaves SIGINT as it was', async () => {
    const { out } = recordingOutput();
    const listeners = process.listenerCount('SIGINT');
    const waiting = follow(out, {
      handle: handleOf('rollout/churn', new Promise<never>(() => undefined)),
      followWith: 'mlops rollout status churn --watch',
      read: () => Promise.resolve(1),
      changes: () => [],
      intervalMs: 5,
    });
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(process.listenerCount('SIGINT'), listeners + 1);
    pressCtrlC(listeners);
    await assert.rejects(waiting, (err: unknown) => {
      assert.ok(err instanceof WaitInterrupted);
      assert.equal(err.exitCode, 130);
      assert.match(
        err.message,
        /stopped waiting; rollout\/churn goes on\. Follow it again with: mlops rollout status churn --watch/,
      );
      return true;
    });
    assert.equal(process.listenerCount('SIGINT'), listeners);
  });
});

describe('watch', () => {
  afterEach(() => {
    process.exitCode = undefined;
  });

  /** A handle whose describe() says RUNNING for the first `running` calls, then COMPLETED. */
  const handleRunning = (running: number) => {
    let calls = 0;
    return {
      workflowId: 'rollout/churn',
      describe: () => Promise.resolve({ status: { name: calls++ < running ? 'RUNNING' : 'COMPLETED' } }),
    } as unknown as WorkflowHandle;
  };

  it('re-prints the status each time it changes, then the final document, and exits as the ending means', async () => {
    const { out, results } = recordingOutput();
    const statuses = ['baking 10%', 'baking 10%', 'baking 50%'];
    let reads = 0;
    await watch<string>(out, {
      handle: handleRunning(3),
      read: () => Promise.resolve(statuses[reads++]!),
      final: () => Promise.resolve('rolled-back'),
      render: (s) => s,
      exitCode: (s) => (s === 'rolled-back' ? 4 : undefined),
      intervalMs: 5,
    });
    assert.deepEqual(results, ['baking 10%', '\nbaking 50%', '\nrolled-back']);
    assert.equal(process.exitCode, 4);
  });

  it('prints one JSON document per change with machine output', async () => {
    const { out, results } = recordingOutput(true);
    await watch<{ phase: string }>(out, {
      handle: handleRunning(1),
      read: () => Promise.resolve({ phase: 'baking' }),
      final: () => Promise.resolve({ phase: 'promoted' }),
      render: () => 'unused',
      intervalMs: 5,
    });
    assert.deepEqual(results, ['{"phase":"baking"}', '{"phase":"promoted"}']);
    assert.equal(process.exitCode, undefined);
  });

  it('ends at Ctrl-C without an error (a monitor never ends by itself)', async () => {
    const { out, results } = recordingOutput();
    const listeners = process.listenerCount('SIGINT');
    const watching = watch<string>(out, {
      handle: handleRunning(Infinity),
      read: () => Promise.resolve('watching'),
      final: () => Promise.reject(new Error('not reached')),
      render: (s) => s,
      intervalMs: 5,
    });
    await new Promise((r) => setTimeout(r, 20));
    pressCtrlC(listeners);
    await watching;
    assert.equal(process.listenerCount('SIGINT'), listeners);
    assert.deepEqual(results, ['watching']);
  });
});
