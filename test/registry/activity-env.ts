/** A typed `MockActivityEnvironment` for one-object-argument activities, quiet about the failures tests expect. */
import type { Info } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';

export interface ActivityEnv {
  /** Runs `fn(input)` in an activity context and returns its typed result. */
  run<I, O>(fn: (input: I) => Promise<O>, input: I): Promise<O>;
}

/** An activity environment with `info` (activity id, attempt, workflow execution …); "Activity failed" warnings muted. */
export function activityEnv(info?: Partial<Info>): ActivityEnv {
  const env = new MockActivityEnvironment(info, { logger: new DefaultLogger('ERROR') });
  return { run: (fn, input) => env.run(fn, input) };
}
