/** Bounded concurrency for per-file work: the first failure (or an abort) stops new tasks from starting. */

/** Runs `task(0)` … `task(count - 1)` with at most `concurrency` at once; rejects with the first error once in-flight tasks settle. */
export async function forEachLimit(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (failure === undefined && next < count) {
      if (signal?.aborted) {
        failure ??= { error: signal.reason };
        return;
      }
      const index = next++;
      try {
        await task(index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, lane));
  if (failure !== undefined) throw failure.error;
}

/** Throws the signal's reason if it was aborted (a `CancelledFailure` inside an activity). */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason;
}

/** Lets other callbacks run (timers, heartbeats) during a long synchronous loop. */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
