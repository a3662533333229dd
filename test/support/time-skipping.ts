/**
 * Temporal's time-skipping test server for fast workflow tests: the Java test server that
 * `npm run setup` installs as `.tools/bin/temporal-test-server` (or TEMPORAL_TEST_SERVER_PATH), started
 * once per test file, with one worker, by `timeSkippingEnvironment()`. While a test awaits a
 * workflow's result the server jumps over every timer, so a 24-hour approval timeout passes in
 * milliseconds.
 *
 * It is a separate process from the shared dev server (test/support/stack.ts), needs none of it,
 * and has neither Schedules nor a UI: tests of those stay on the dev server. It starts a server, so
 * a file using it is not in the unit lane (.mocharc.unit.js); `npm test` runs it.
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import type { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { Activities } from '../../activities';
import { ML_SEARCH_ATTRIBUTES } from '../../common/search-attributes';
import { requireTool } from '../../lib/tools';
import { buildWorkflowBundle } from '../../worker/workflow-bundle';
import { statusQuery, type PipelineStatus } from '../../workflows/sdk';
import { workflowBundle } from './stack';
import { suiteTeardown } from './teardown';

/** Starts a time-skipping test server with the project's search attributes registered. */
export async function startTimeSkipping(): Promise<TestWorkflowEnvironment> {
  const options = {
    server: { executable: { type: 'existing-path' as const, path: requireTool('temporal-test-server') } },
  };
  // the SDK gives the server 5 s to come up, which a JVM on a loaded machine can miss: one more try
  const env = await TestWorkflowEnvironment.createTimeSkipping(options).catch((err: unknown) => {
    if (!/did not start within/.test(String(err))) throw err;
    return TestWorkflowEnvironment.createTimeSkipping(options);
  });
  // the workflows upsert these; a workflow task upserting an unregistered one fails (and is retried forever)
  const searchAttributes: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
  for (const key of ML_SEARCH_ATTRIBUTES) {
    const type = encodeSearchAttributeIndexedValueType(key.type);
    if (type === undefined) throw new Error(`search attribute ${key.name}: unknown type ${key.type}`);
    searchAttributes[key.name] = type;
  }
  try {
    await env.connection.operatorService.addSearchAttributes({
      namespace: env.namespace ?? 'default',
      searchAttributes,
    });
  } catch (err) {
    await env.teardown().catch(() => undefined);
    throw err;
  }
  return env;
}

/** A file's time-skipping server and its one worker, whose activities each test sets. */
export interface TimeSkipping {
  /** The environment (from the file's `before` hook on). */
  env(): TestWorkflowEnvironment;
  /** The task queue the worker polls (workflows and activities). */
  readonly taskQueue: string;
  /** Makes the worker run `activities` from now on: each test sets its own fakes. */
  use(activities: Partial<Activities>): void;
}

export interface TimeSkippingOptions {
  /**
   * Workflow modules bundled with the built-in workflows, as `mlops worker --workflows` bundles them
   * (e.g. examples/forecast/workflows.ts, or a test pipeline in test/fixtures/). @default none
   */
  workflowFiles?: readonly string[];
}

/**
 * Registers mocha hooks that start a time-skipping server and one worker with the bundled
 * workflows/ (and `options.workflowFiles`) before the file's first test, and stop both after its
 * last. The worker registers `activityNames`; each call goes to the activities of the latest `use()`
 * (one worker per file: creating a worker costs more than most of these tests).
 */
export function timeSkippingEnvironment(
  activityNames: readonly (keyof Activities)[],
  options: TimeSkippingOptions = {},
): TimeSkipping {
  const files = options.workflowFiles ?? [];
  const taskQueue = `time-skipping-${randomUUID().slice(0, 8)}`;
  let env: TestWorkflowEnvironment | undefined;
  let current: Partial<Activities> = {};
  const dispatch = Object.fromEntries(
    activityNames.map((name) => [
      name,
      (...args: unknown[]) => {
        const fn = current[name] as ((...a: unknown[]) => Promise<unknown>) | undefined;
        if (!fn) throw ApplicationFailure.nonRetryable(`activity ${name} is not faked in this test`, 'NotFaked');
        return fn(...args);
      },
    ]),
  );
  const teardown = suiteTeardown(30_000);
  before(async function () {
    this.timeout(120_000);
    const [started, bundle] = await Promise.all([
      teardown.start('the time-skipping test server', startTimeSkipping, (e) => e.teardown()),
      files.length > 0 ? buildWorkflowBundle(files).then(({ code }) => ({ code })) : workflowBundle(),
    ]);
    env = started;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      taskQueue,
      workflowBundle: bundle,
      activities: dispatch,
    });
    const running = worker.run();
    teardown.add('its worker', async () => {
      worker.shutdown();
      await running;
    });
  });
  return {
    env: () => {
      if (!env) throw new Error('the time-skipping environment is not started yet (use it inside a test)');
      return env;
    },
    taskQueue,
    use: (activities) => {
      current = activities;
    },
  };
}

/**
 * Polls until a pipeline run waits for a decision: its stage is awaiting-approval and its approval
 * timer has started (so the awaiting-approval notification is done: the test server refuses a cancel
 * that races an activity's completion).
 */
export async function awaitingApproval(handle: WorkflowHandle): Promise<PipelineStatus> {
  for (let i = 0; i < 200; i++) {
    const status = await handle.query(statusQuery);
    if (status.stage === 'awaiting-approval') {
      const { events } = await handle.fetchHistory();
      if (events?.some((e) => e.timerStartedEventAttributes)) return status;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the run never awaited approval');
}
