/**
 * Keepalive heartbeats for activities that report no progress of their own (registry, tracking,
 * reports, evaluation reads, analyses…): while one runs, it heartbeats every few seconds, so a
 * workflow can give it a short `heartbeatTimeout` and a worker that dies mid-activity is noticed
 * within that timeout rather than at the end of `startToCloseTimeout`. An activity shorter than
 * the interval sends no heartbeat at all.
 *
 * Not for activities that heartbeat details of their own (a resume point, a job id): a bare
 * heartbeat would replace them.
 */
import { heartbeat } from '@temporalio/activity';

/** Keep well under the shortest `heartbeatTimeout` a workflow gives these activities. */
export const KEEPALIVE_MS = 5_000;

type AsyncFn = (...args: never[]) => Promise<unknown>;

const KEPT_ALIVE = Symbol('keepalive');

/** The same activities, each heartbeating every `intervalMs` while it runs. */
export function withKeepalive<T extends Record<string, AsyncFn>>(activities: T, intervalMs = KEEPALIVE_MS): T {
  const wrapped: Record<string, AsyncFn> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (...args: never[]) => {
      const timer = setInterval(beat, intervalMs);
      timer.unref();
      try {
        return await fn(...args);
      } finally {
        clearInterval(timer);
      }
    };
    Object.defineProperty(wrapped[name], 'name', { value: name });
    Object.defineProperty(wrapped[name], KEPT_ALIVE, { value: true });
  }
  return wrapped as T;
}

/** Whether `fn` came out of `withKeepalive`. */
export function isKeptAlive(fn: unknown): boolean {
  return typeof fn === 'function' && KEPT_ALIVE in fn;
}

function beat(): void {
  try {
    heartbeat();
  } catch {
    // called outside an activity (a unit test calling the function directly): nothing to keep alive
  }
}
