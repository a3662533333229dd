/**
 * Replays every recorded history in test/replay/histories/ against the current workflow code: a
 * change to a workflow that would break runs in flight fails here (use `patched()`; docs/development.md,
 * "Changing workflow code"). Record fresh histories with `npm run record-histories`. The example
 * pipelines written in TypeScript (examples/forecast/workflows.ts) replay with them.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { REPO_ROOT } from '../../lib/tools';
import { buildWorkflowBundle } from '../../worker/workflow-bundle';
import * as workflows from '../../workflows';

/** The example pipelines written in TypeScript, bundled with the built-in workflows as a worker run with `--workflows` does. */
const EXAMPLE_WORKFLOWS = [path.join(REPO_ROOT, 'examples', 'forecast', 'workflows.ts')];

const DIR = path.join(__dirname, 'histories');

describe('recorded histories replay against the current workflow code', function () {
  this.timeout(120_000);

  it('replays every history in test/replay/histories, one or more of each workflow type, without nondeterminism', async () => {
    const files = fs.existsSync(DIR)
      ? fs
          .readdirSync(DIR)
          .filter((f) => f.endsWith('.json'))
          .sort()
      : [];
    assert.ok(files.length > 0, `no recorded histories in ${DIR}`);
    const histories = files.map((file) => {
      const history = historyFromJSON(JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8')));
      // the run's own id where the history has it: workflows derive child ids from it
      const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
      return { workflowId: started?.workflowId || file.replace(/\.json$/, ''), history };
    });
    // every workflow the worker registers has at least one recorded history
    const recorded = new Set(
      histories.map(({ history }) => history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name),
    );
    const bundle = await buildWorkflowBundle(EXAMPLE_WORKFLOWS);
    const registered = [...Object.keys(workflows), ...bundle.userModules.flatMap((m) => m.workflows)];
    const missing = registered.filter((name) => !recorded.has(name));
    assert.deepEqual(missing, [], `no recorded history of ${missing.join(', ')}: run npm run record-histories`);
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle: { code: bundle.code } }, histories)) {
      if (result.error) failures.push(`${result.workflowId}: ${String(result.error)}`);
    }
    assert.deepEqual(failures, []);
  });
});
