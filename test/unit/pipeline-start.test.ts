/**
 * Which workflow a pipeline's runs start: the spec's `workflow` (a pipeline written in TypeScript),
 * else the built-in `retrainPipeline` — for `mlops run`, the pipeline's Schedule and a monitor's
 * drift retrain alike (common/pipeline-start.ts), shown here on the Schedule `pipeline apply` makes.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadPipelineSpec } from '../../client/pipeline-spec';
import { desiredSchedule } from '../../client/schedules/settings';
import { pipelineWorkflowType, type PipelineInput } from '../../common/pipeline-start';
import { loadConfig } from '../../lib/config';
import { REPO_ROOT } from '../../lib/tools';

describe('the workflow a pipeline starts', () => {
  let home: string;
  before(() => (home = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-pipeline-start-'))));
  after(() => fs.rmSync(home, { recursive: true, force: true }));

  const scheduleOf = (example: string) =>
    desiredSchedule(
      loadPipelineSpec(path.join(REPO_ROOT, 'examples', example, 'pipeline.yaml')),
      loadConfig({ MLOPS_HOME: home }, home),
    );

  it("schedules the spec's workflow, with the spec as its input", () => {
    const { action } = scheduleOf('forecast').options;
    assert.equal(action.type, 'startWorkflow');
    assert.equal(action.workflowType, 'forecastPipeline');
    const [input] = action.args as [PipelineInput];
    assert.equal(input.spec.workflow, 'forecastPipeline');
    assert.deepEqual([input.trigger, input.actor], ['schedule', 'schedule']);
  });

  it('schedules the built-in retrainPipeline for a spec naming no workflow', () => {
    assert.equal(scheduleOf('churn').options.action.workflowType, 'retrainPipeline');
    assert.equal(pipelineWorkflowType({}), 'retrainPipeline');
  });
});
