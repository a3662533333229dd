/**
 * `healthCheck`: proves worker + server + store together. Runs a store round-trip activity on each
 * task queue given, so it also shows which queues have a polling worker. A queue without a worker
 * is reported (schedule-to-start timeout), not waited on forever.
 */
import { ActivityFailure, TimeoutFailure, proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { StoreProbeResult } from '../activities/health';

export interface HealthCheckInput {
  nonce: string;
  taskQueues: string[];
  /** How long a queue may go without a worker picking up the probe. @default '20s' */
  queueTimeout?: string;
}

export type QueueHealth =
  { taskQueue: string; ok: true; probe: StoreProbeResult } | { taskQueue: string; ok: false; error: string };

export interface HealthCheckResult {
  ok: boolean;
  queues: QueueHealth[];
}

export async function healthCheck(input: HealthCheckInput): Promise<HealthCheckResult> {
  const queues: QueueHealth[] = [];
  const render = () =>
    setCurrentDetails(
      ['| task queue | store round-trip |', '|---|---|']
        .concat(
          input.taskQueues.map((q) => {
            const r = queues.find((x) => x.taskQueue === q);
            return `| ${q} | ${r === undefined ? 'running…' : r.ok ? `ok (${r.probe.roundTripMs} ms, ${r.probe.worker.host})` : `failed: ${r.error}`} |`;
          }),
        )
        .join('\n'),
    );
  render();
  await Promise.all(
    input.taskQueues.map(async (taskQueue) => {
      const acts = proxyActivities<Activities>({
        taskQueue,
        scheduleToStartTimeout: input.queueTimeout ?? '20s',
        startToCloseTimeout: '30s',
        retry: { maximumAttempts: 3 },
        summary: `store round-trip on ${taskQueue}`,
      });
      try {
        queues.push({ taskQueue, ok: true, probe: await acts.storeRoundTrip(input.nonce) });
      } catch (err) {
        queues.push({ taskQueue, ok: false, error: describeFailure(err, taskQueue) });
      }
      render();
    }),
  );
  queues.sort((a, b) => input.taskQueues.indexOf(a.taskQueue) - input.taskQueues.indexOf(b.taskQueue));
  return { ok: queues.every((q) => q.ok), queues };
}

function describeFailure(err: unknown, taskQueue: string): string {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof TimeoutFailure) return `no worker picked up the probe on ${taskQueue}`;
  return cause instanceof Error ? cause.message : String(cause);
}
