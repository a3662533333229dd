/** Reads the latest heartbeat of a run's pending activities, for CLI progress lines. */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';

/** The heartbeat details of the first pending activity of `handle`'s run, decoded, or undefined. */
export async function pendingHeartbeat<T>(client: Client, handle: WorkflowHandle): Promise<T | undefined> {
  const description = await handle.describe();
  for (const activity of description.raw.pendingActivities ?? []) {
    const payloads = activity.heartbeatDetails?.payloads;
    if (payloads && payloads.length > 0) {
      return decodeFromPayloadsAtIndex<T>(client.options.loadedDataConverter, 0, payloads);
    }
  }
  return undefined;
}

/** Polls `progress` every `intervalMs` while `done` is pending, calling `onProgress` with each value. */
export async function followProgress<T, R>(
  done: Promise<R>,
  progress: () => Promise<T | undefined>,
  onProgress: (value: T) => void,
  intervalMs = 500,
): Promise<R> {
  let finished = false;
  const settled = done.finally(() => {
    finished = true;
  });
  const poll = async () => {
    while (!finished) {
      await Promise.race([settled.catch(() => undefined), new Promise((r) => setTimeout(r, intervalMs))]);
      if (finished) return;
      const value = await progress().catch(() => undefined);
      if (value !== undefined && !finished) onProgress(value);
    }
  };
  const [result] = await Promise.all([settled, poll()]);
  return result;
}
