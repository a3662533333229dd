/** The CI example (examples/ci/mlops.yml) uses commands and flags the CLI has, with their exit-code contract. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '../../lib/tools';
import { runCli } from '../support/cli';

interface Job {
  if?: string;
  steps: { run?: string; name?: string }[];
}

describe('the CI/CD example', () => {
  const file = path.join(REPO_ROOT, 'examples', 'ci', 'mlops.yml');
  const workflow = parse(fs.readFileSync(file, 'utf8')) as { on: Record<string, unknown>; jobs: Record<string, Job> };
  const runs = (job: string) => workflow.jobs[job]!.steps.flatMap((s) => (s.run ? [s.run] : []));

  it('validates on pull requests, applies on merge, and gates on the outcome of a waiting mlops run', () => {
    assert.ok(workflow.on.pull_request && workflow.on.push);
    assert.ok(runs('validate').some((r) => /^mlops pipeline validate pipelines\/\*\.yaml$/.test(r)));
    assert.ok(runs('apply').some((r) => /^mlops pipeline apply pipelines\/ --prune$/.test(r)));
    const retrain = runs('retrain').find((r) => r.startsWith('mlops run'));
    assert.match(retrain ?? '', /--trigger ci /);
    assert.doesNotMatch(retrain ?? '', /--no-wait/, 'the run waits: its exit code gates the merge');
  });

  it('uses flags the CLI accepts', async function () {
    this.timeout(30_000);
    const help = async (...args: string[]) => (await runCli([...args, '--help'])).stdout;
    const run = await help('run');
    for (const flag of ['--trigger <kind>', '--reason <text>', '--no-wait']) assert.ok(run.includes(flag), flag);
    assert.match(await help('pipeline', 'apply'), /--prune/);
    assert.match(await help('pipeline', 'validate'), /validate/);
  });
});
