/**
 * Following long operations from the CLI. `follow` waits for a workflow's result while it polls the
 * workflow's state about once a second and prints what changed (on stderr, through `out.info`: silent
 * with machine output); `watch` re-prints a status command's document on change until the workflow
 * ends. Ctrl-C stops the waiting, never the workflow. The `…Changes` functions say, for each kind of
 * workflow, which lines a change of its state is worth.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { Option } from 'commander';
import { UserError } from '../common/errors';
import type { SweepProgress } from '../workflows/hyperparameter-sweep';
import type { AbTestStatus } from '../workflows/ab-test';
import type { RolloutStatus } from '../workflows/progressive-rollout';
import type { Output } from './output';
import { EXIT } from './exit-codes';
import { explainWorkflowFailure } from './workflow-errors';

/** How often a follower reads the workflow's state. */
export const POLL_MS = 1000;

/** Exit code when Ctrl-C stops the waiting (128 + SIGINT, as shells report it). */
export const EXIT_INTERRUPTED = EXIT.interrupted;

/** Thrown when Ctrl-C stops a command waiting for a workflow; the workflow goes on. Exit 130. */
export class WaitInterrupted extends UserError {
  override readonly name = 'WaitInterrupted';
  constructor(
    readonly workflowId: string,
    readonly followWith: string,
  ) {
    super(`stopped waiting; ${workflowId} goes on. Follow it again with: ${followWith}`, EXIT_INTERRUPTED);
  }
}

/** `--wait`, hidden: long operations wait by default; scripts that still say `--wait` keep working. */
export function hiddenWaitOption(): Option {
  return new Option('--wait', 'wait until it ends (the default)').hideHelp();
}

/** What `follow` needs: the workflow to wait for, and how to read and describe its state meanwhile. */
export interface Following<S> {
  handle: WorkflowHandle;
  /** The command that follows the workflow again, shown when Ctrl-C stops the waiting. */
  followWith: string;
  /** The state now (a query, a heartbeat); undefined or a rejection: not readable now, skipped. */
  read: () => Promise<S | undefined>;
  /** The lines worth printing for the change from `prev` (undefined: the first state read) to `next`. */
  changes: (next: S, prev: S | undefined) => string[];
  /** @default POLL_MS */
  intervalMs?: number;
}

/**
 * Waits for the workflow's result (a failed run throws `WorkflowRunFailed`), printing the lines
 * `f.changes` gives for each new state meanwhile. Ctrl-C stops the waiting with `WaitInterrupted`
 * (exit 130), naming how to follow the workflow again; the calls still pending are cancelled, so the
 * CLI ends at once.
 */
export async function follow<R, S>(out: Output, f: Following<S>): Promise<R> {
  const { handle } = f;
  const abort = new AbortController();
  const scoped = <T>(fn: () => Promise<T>) => handle.client.withAbortSignal(abort.signal, fn);
  const interrupt = onInterrupt();
  let finished = false;
  const settled = scoped(() => handle.result() as Promise<R>)
    .catch((err: unknown) => {
      throw explainWorkflowFailure(err, handle.workflowId);
    })
    .finally(() => {
      finished = true;
    });
  const poll = async () => {
    let prev: S | undefined;
    while (!finished && !interrupt.fired) {
      const next = await scoped(f.read).catch(() => undefined);
      if (next !== undefined && !finished && !interrupt.fired) {
        for (const line of f.changes(next, prev)) out.info(line);
        prev = next;
      }
      await Promise.race([settled.catch(() => undefined), interrupt.sleep(f.intervalMs ?? POLL_MS)]);
    }
  };
  try {
    return await Promise.race([
      Promise.all([settled, poll()]).then(([r]) => r),
      interrupt.promise.then(() => {
        throw new WaitInterrupted(handle.workflowId, f.followWith);
      }),
    ]);
  } finally {
    interrupt.dispose();
    abort.abort();
  }
}

/** What `watch` needs: how to read the status while the workflow runs, and its last one when it ended. */
export interface Watching<S> {
  handle: WorkflowHandle;
  /** The status while the workflow runs (a query). */
  read: () => Promise<S>;
  /** The document once it ended (its result); throws as the command should fail. */
  final: () => Promise<S>;
  render: (status: S) => string;
  /** The exit code the ended workflow's document means (undefined: 0). */
  exitCode?: (final: S) => number | undefined;
  /** @default POLL_MS */
  intervalMs?: number;
}

/**
 * `--watch` of a status command: prints the status (`out.result`: text, or one JSON document per
 * change) each time it changes until the workflow ends, then its final document, and sets the exit
 * code that ending means. Ctrl-C ends the watch (exit 0); the workflow goes on.
 */
/**
 * Re-prints `read()` each time it changes, every `intervalMs`, until Ctrl-C (exit 0): `--watch` of a
 * status that is no workflow (the local stack).
 */
export async function watchLocal<S>(
  out: Output,
  read: () => S | Promise<S>,
  render: (s: S) => string,
  intervalMs = 2 * POLL_MS,
): Promise<void> {
  const interrupt = onInterrupt();
  let last: string | undefined;
  let printed = 0;
  try {
    while (!interrupt.fired) {
      const status = await read();
      const key = JSON.stringify(status);
      if (key !== last) {
        last = key;
        out.result(status, (s) => (printed++ > 0 ? '\n' : '') + render(s));
      }
      await interrupt.sleep(intervalMs);
    }
  } finally {
    interrupt.dispose();
  }
}

export async function watch<S>(out: Output, w: Watching<S>): Promise<void> {
  const interrupt = onInterrupt();
  let last: string | undefined;
  let printed = 0;
  let unanswered = false;
  const print = (status: S) => {
    const key = JSON.stringify(status);
    if (key === last) return;
    last = key;
    out.result(status, (s) => (printed++ > 0 ? '\n' : '') + w.render(s));
  };
  try {
    while (!interrupt.fired) {
      const description = await w.handle.describe();
      if (description.status.name !== 'RUNNING') {
        const final = await w.final();
        print(final);
        if (description.status.name !== 'COMPLETED')
          out.info(`${w.handle.workflowId} is ${description.status.name.toLowerCase().replace(/_/g, ' ')}`);
        const code = w.exitCode?.(final);
        if (code !== undefined) process.exitCode = code;
        return;
      }
      const status = await w.read().catch(() => undefined);
      if (status !== undefined) print(status);
      else if (!unanswered) {
        unanswered = true;
        out.info(`${w.handle.workflowId} runs, but its status query has no answer yet (is a worker running?)`);
      }
      await interrupt.sleep(w.intervalMs ?? POLL_MS);
    }
  } finally {
    interrupt.dispose();
  }
}

/** The lines a rollout's change is worth: its step and weights, its phase, each new analysis. */
export function rolloutChanges(next: RolloutStatus, prev: RolloutStatus | undefined): string[] {
  const lines: string[] = [];
  const weights = formatWeights(next.weights);
  const stepChanged = !prev || prev.step !== next.step || prev.phase !== next.phase || prev.paused !== next.paused;
  if (stepChanged) {
    const at = next.step > 0 ? next.steps[next.step - 1] : undefined;
    const trail = next.steps.map((w, i) => (i + 1 === next.step ? `[${w}%]` : `${w}%`)).join(' → ');
    lines.push(
      `${next.model} v${next.version} ${next.phase}${next.paused ? ' (paused)' : ''}` +
        (at !== undefined ? ` · step ${next.step}/${next.steps.length} at ${at}%: ${trail}` : '') +
        (weights ? ` · ${weights}` : ''),
    );
  } else if (weights !== formatWeights(prev.weights)) lines.push(`weights: ${weights}`);
  const seen = prev?.analyses.at(-1)?.at ?? '';
  for (const a of next.analyses.filter((x) => x.at > seen)) {
    const failed = a.checks.filter((c) => !c.passed).map((c) => c.message);
    const c = a.candidate;
    lines.push(
      `analysis at ${a.weight}%: ${a.verdict} (${c.requests} requests, error rate ${(100 * c.errorRate).toFixed(2)}%, p95 ${Math.round(c.p95)} ms)` +
        (failed.length > 0 ? ` — ${failed.join('; ')}` : ''),
    );
  }
  if (next.reason && next.reason !== prev?.reason) lines.push(`reason: ${next.reason}`);
  return lines;
}

/** The lines an A/B test's change is worth: its phase and counts per arm, and the latest analysis. */
export function abTestChanges(next: AbTestStatus, prev: AbTestStatus | undefined): string[] {
  const lines: string[] = [];
  const counts = abTestLine(next);
  if (!prev || counts !== abTestLine(prev)) lines.push(counts);
  if (next.decision && next.decision.reason !== prev?.decision?.reason) lines.push(next.decision.reason);
  return lines;
}

function abTestLine(s: AbTestStatus): string {
  const arm = (name: string, a: AbTestStatus['control']) =>
    `${name} ${a.variant} ${a.captured} captured, ${a.trials} labelled` +
    (a.trials > 0 ? `, ${((100 * a.successes) / a.trials).toFixed(1)}% success` : '');
  const look = s.decision ? ` · look ${s.looks}, p=${s.decision.pValue.toPrecision(3)}` : '';
  return `${s.phase}: ${arm('control', s.control)} · ${arm('treatment', s.treatment)}${look}`;
}

/** The lines a sweep's change is worth: one line of trials done, running, failed and the best so far. */
export function sweepChanges(metric: string): (next: SweepProgress, prev: SweepProgress | undefined) => string[] {
  return (next, prev) => {
    const line = sweepLine(next, metric);
    return prev && sweepLine(prev, metric) === line ? [] : [line];
  };
}

function sweepLine(p: SweepProgress, metric: string): string {
  const done = p.counts.succeeded + p.counts['stopped-early'] + p.counts.failed + p.counts.cancelled;
  const parts = [`trials ${done}/${p.total} done`, `${p.counts.succeeded} succeeded`];
  if (p.counts['stopped-early'] > 0) parts.push(`${p.counts['stopped-early']} stopped early`);
  if (p.counts.failed > 0) parts.push(`${p.counts.failed} failed`);
  if (p.running.length > 0) parts.push(`running ${p.running.join(',')}`);
  if (p.best) parts.push(`best trial ${p.best.trial} ${metric}=${formatNumber(p.best.objective)}`);
  return parts.join(', ');
}

function formatWeights(weights: Record<string, number>): string {
  return Object.entries(weights)
    .map(([v, w]) => `${v} ${w}%`)
    .join(', ');
}

/** A metric as people read it: integers whole, others to four significant digits; `—` when absent. */
export function formatNumber(value: number | undefined): string {
  if (value === undefined) return '—';
  return Number.isInteger(value) ? String(value) : value.toPrecision(4);
}

/**
 * Ctrl-C while waiting: `fired` once SIGINT came; `sleep` resolves after `ms` or at Ctrl-C; `dispose`
 * gives SIGINT back to its default and clears the pending sleep (so nothing holds the process).
 */
/** Ctrl-C as a flag and an interruptible sleep, for any loop that follows something until it ends. */
export function onInterrupt(): {
  promise: Promise<void>;
  readonly fired: boolean;
  sleep: (ms: number) => Promise<void>;
  dispose: () => void;
} {
  let fired = false;
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  const timers = new Set<NodeJS.Timeout>();
  const handler = () => {
    fired = true;
    resolve();
  };
  process.once('SIGINT', handler);
  return {
    promise,
    get fired() {
      return fired;
    },
    sleep: (ms) =>
      Promise.race([
        promise,
        new Promise<void>((r) => {
          const timer = setTimeout(() => {
            timers.delete(timer);
            r();
          }, ms);
          timers.add(timer);
        }),
      ]),
    dispose: () => {
      process.removeListener('SIGINT', handler);
      for (const timer of timers) clearTimeout(timer);
      resolve();
    },
  };
}
