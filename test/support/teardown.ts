/**
 * Teardown that follows what really started. A suite that starts servers or processes in `before`
 * registers each one's stop the moment it starts (`teardown.start(...)`), so its `after` stops
 * whatever did start, even when `before` threw midway, and nothing it did not start. A start still
 * under way when `stopAll` runs (one of several started in parallel, when another failed) is
 * awaited, then stopped: a dev server whose start outlived a failed browser launch is not left behind.
 *
 * Helpers that start several pieces (a gateway and its upstreams) use `stopOnError`, so a failure
 * halfway through stops what they had started before it reaches the suite.
 */

type Stop = () => unknown;

interface Entry {
  name: string;
  piece: unknown;
  stop: Stop;
}

/** The stops of the pieces a suite (or a helper) started, run newest first by `stopAll`. */
export class Teardown {
  private entries: Entry[] = [];
  private pending = new Set<Promise<unknown>>();

  /** Starts a piece and registers `stop(piece)` as soon as it is up; returns the piece. */
  async start<T>(name: string, start: () => T | Promise<T>, stop: (piece: T) => unknown): Promise<T> {
    const starting = (async () => start())();
    this.pending.add(starting);
    try {
      const piece = await starting;
      this.entries.push({ name, piece, stop: () => stop(piece) });
      return piece;
    } finally {
      this.pending.delete(starting);
    }
  }

  /** Registers the stop of something already started (a child process, a temp folder). */
  add(name: string, stop: Stop, piece?: unknown): void {
    this.entries.push({ name, piece, stop });
  }

  /** Stops one piece now (a test that stops a server on purpose), so `stopAll` does not stop it again. */
  async stop(piece: unknown): Promise<void> {
    const index = this.entries.findIndex((e) => e.piece === piece);
    if (index < 0) return;
    const [entry] = this.entries.splice(index, 1);
    await entry!.stop();
  }

  /** Runs `fn` (which starts pieces on this teardown); if it throws, stops what it started, then rethrows. */
  async stopOnError<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      await this.stopAll().catch(() => undefined);
      throw err;
    }
  }

  /**
   * Waits for starts under way to settle, then stops every registered piece, newest first, each once.
   * A stop that fails does not keep the others from running; the failures are thrown together after.
   */
  async stopAll(): Promise<void> {
    const failures: Error[] = [];
    while (this.pending.size > 0 || this.entries.length > 0) {
      await Promise.allSettled([...this.pending]);
      for (let entry = this.entries.pop(); entry; entry = this.entries.pop()) {
        try {
          await entry.stop();
        } catch (err) {
          failures.push(new Error(`stopping ${entry.name}: ${err instanceof Error ? err.message : String(err)}`));
        }
      }
    }
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) throw new AggregateError(failures, failures.map((f) => f.message).join('; '));
  }
}

/**
 * A `Teardown` whose `stopAll` runs in an `after` hook of the suite it is made in (call it in the
 * `describe` body, before the `before` that starts things).
 */
export function suiteTeardown(timeoutMs = 60_000): Teardown {
  const teardown = new Teardown();
  after(async function () {
    this.timeout(timeoutMs);
    await teardown.stopAll();
  });
  return teardown;
}
