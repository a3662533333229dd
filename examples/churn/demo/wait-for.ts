/** Polling until something the demo waits for has happened, bounded by the demo's deadline. */
import { UserError } from '../../../common/errors';

/** Polls `probe` every second until it returns a value; throws naming `what` (or saying `failure()`) at the deadline. */
export async function waitFor<T>(
  deadline: number,
  what: string,
  probe: () => Promise<T | undefined>,
  failure?: () => string,
): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new UserError(failure?.() ?? `gave up waiting for ${what} (--timeout)`, 1);
    await new Promise((r) => setTimeout(r, 1000));
  }
}
