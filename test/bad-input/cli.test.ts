/**
 * Bad CLI arguments: each a usage error (exit 2) naming the flag or argument, without a stack
 * trace, and nothing started or stored. Most run in-process through client/cli.ts `main` (the code
 * bin/mlops.js runs); two through the real binary to pin the exit code a shell sees.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { cliEnv, runCli } from '../support/cli';
import { assertUsageError, filesUnder, runMain, workflowsOn } from './support';

interface CliCase {
  what: string;
  args: string[];
  error: RegExp;
}

describe('bad input: CLI arguments', function () {
  this.timeout(60_000);
  const prefix = `bad-cli-${process.pid}`;
  const dir = path.join(os.tmpdir(), `mlops-bad-cli-${process.pid}`);
  const storeDir = path.join(dir, 'store');
  const file = (name: string) => path.join(dir, name);
  let env: NodeJS.ProcessEnv;

  before(() => {
    fs.mkdirSync(dir, { recursive: true });
    env = cliEnv(prefix, { MLOPS_STORE: `file://${storeDir}` });
    fs.writeFileSync(file('job.yaml'), 'name: j\npipeline: churn\ncommand: [python, train.py]\n');
    fs.writeFileSync(file('alias-job.yaml'), 'name: j\npipeline: churn\ncommand: *cmd\n');
    fs.writeFileSync(file('train.py'), '# script\n');
    fs.writeFileSync(file('evaluate.py'), '# script\n');
    fs.writeFileSync(
      file('churn.yaml'),
      stringify({
        name: 'churn',
        model: 'churn',
        dataset: { name: 'churn', source: 'data' },
        training: { entrypoint: ['python', 'train.py'] },
        evaluation: { entrypoint: ['python', 'evaluate.py'], primaryMetric: 'auc' },
      }),
    );
    fs.writeFileSync(file('expect-list.json'), '["churned"]');
    fs.writeFileSync(file('expect-shape.json'), JSON.stringify({ requiredColumns: ['churned'], minRows: -1 }));
    fs.writeFileSync(file('expect-broken.json'), '{"minRows": 10,');
  });

  const abtest = ['abtest', 'start', '--endpoint', 'churn', '--control', 'churn:1', '--treatment', 'churn:2'];
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const cases: CliCase[] = [
    { what: 'an unknown command', args: ['deplyo'], error: /unknown command 'deplyo'/ },
    { what: 'an unknown option', args: ['runs', 'list', '--bogus'], error: /unknown option '--bogus'/ },
    { what: 'a missing argument', args: ['monitor', 'start'], error: /missing required argument 'endpoint'/ },
    { what: 'a missing required option', args: ['deploy', 'churn', '1'], error: /'--endpoint <name>' not specified/ },
    { what: 'a non-numeric --limit', args: ['runs', 'list', '--limit', 'ten'], error: /--limit: expected an integer/ },
    { what: '--limit 0', args: ['runs', 'list', '--limit', '0'], error: /--limit: expected an integer from 1/ },
    {
      what: 'an unknown training backend',
      args: ['train', file('job.yaml'), '--backend', 'nope'],
      error: /--backend: must be local or ray \(got "nope"\)/,
    },
    {
      what: 'a job file with an alias without its anchor',
      args: ['train', file('alias-job.yaml')],
      error: /alias-job\.yaml:3: Unresolved alias .*: cmd/,
    },
    {
      what: '--set without =',
      args: ['train', file('job.yaml'), '--set', 'lr'],
      error: /--set lr: expected key=value/,
    },
    {
      what: '--max-trials 0 for a sweep',
      args: ['sweep', file('job.yaml'), '--max-trials', '0'],
      error: /--max-trials: expected a positive integer, got 0/,
    },
    {
      what: 'a non-numeric --split',
      args: [...abtest, '--duration', '7d', '--split', 'half'],
      error: /--split: expected a number, got half/,
    },
    { what: 'a --split of 150%', args: [...abtest, '--duration', '7d', '--split', '150'], error: /--split: .*<=99/ },
    {
      what: 'an A/B test without a horizon',
      args: abtest,
      error: /--duration or --samples-per-arm: give the horizon/,
    },
    {
      what: 'a duration in words',
      args: [...abtest, '--duration', '7 days'],
      error: /--duration: not a duration: use a number and a unit/,
    },
    {
      what: 'an arm without a version',
      args: [
        'abtest',
        'start',
        '--endpoint',
        'churn',
        '--control',
        'churn',
        '--treatment',
        'churn:2',
        '--duration',
        '7d',
      ],
      error: /--control: expected <model>:<version or alias>/,
    },
    {
      what: 'an unknown rollout strategy',
      args: ['deploy', 'churn', '1', '--endpoint', 'churn', '--strategy', 'yolo'],
      error: /--strategy: .*canary/,
    },
    {
      what: 'canary steps that go down and do not end at 100',
      args: ['deploy', 'churn', '1', '--endpoint', 'churn', '--steps', '50,20'],
      error: /--steps: must be greater than 50\n--steps: the last step must be 100/,
    },
    {
      what: 'relative rollout thresholds out of range',
      args: [
        'deploy',
        'churn',
        '1',
        '--endpoint',
        'churn',
        '--max-error-rate-increase',
        '2',
        '--max-latency-increase',
        '-0.5',
      ],
      error: /--max-error-rate-increase: .*1\n--max-latency-increase: .*0/,
    },
    {
      what: 'a webhook URL given to --notify instead of the name of its variable',
      args: ['deploy', 'churn', '1', '--endpoint', 'churn', '--notify', 'https://hooks.slack.com/services/T0/B0/x'],
      error: /--notify: looks like a URL: keep the webhook URL in an environment variable/,
    },
    {
      what: 'a backfill from a time that is not one',
      args: ['schedule', 'backfill', 'churn', '--from', 'yesterday', '--to', '2026-01-02'],
      error: /--from: expected an ISO 8601 time .*got "yesterday"/,
    },
    {
      what: 'a backfill that ends before it starts',
      args: ['schedule', 'backfill', 'churn', '--from', '2026-01-02', '--to', '2026-01-01'],
      error: /--to: must be after --from/,
    },
    {
      what: '--max-windows-per-run 0 for a monitor',
      args: ['monitor', 'start', 'churn', '--spec', file('churn.yaml'), '--max-windows-per-run', '0'],
      error: /--max-windows-per-run: expected a positive integer, got 0/,
    },
    {
      what: 'monitor start without --spec or --pipeline',
      args: ['monitor', 'start', 'churn'],
      error: /give --pipeline <name> or --spec <file>/,
    },
    {
      what: 'a trigger that is not a word',
      args: ['run', 'churn', '--spec', file('churn.yaml'), '--trigger', 'cron job!'],
      error: /--trigger: expected a word/,
    },
    {
      what: 'a model name that breaks the naming rule',
      args: ['models', 'show', 'Churn Model', '1'],
      error: /model: "Churn Model" is not a valid name/,
    },
    {
      what: 'a port that is not a number',
      args: ['gateway', '--port', 'http'],
      error: /option '--port <port>' argument 'http' is invalid\. expected a port from 1 to 65535/,
    },
    {
      what: 'a metrics port of 0',
      args: ['worker', '--metrics-port', '0'],
      error: /option '--metrics-port <port>' argument '0' is invalid/,
    },
    {
      what: 'a health check timeout in words',
      args: ['health', '--queue-timeout', 'a while'],
      error: /--queue-timeout: a duration such as 20s or 1m, got "a while"/,
    },
    { what: 'a dataset name with a slash', args: ['data', 'list', 'a/b'], error: /dataset: must be .*\(got "a\/b"\)/ },
    {
      what: 'a snapshot id that is not one',
      args: ['data', 'diff', 'churn', 'x', 'latest'],
      error: /id: must be "latest" or 6 to 64 hex characters/,
    },
    {
      what: 'an expectations file that is missing',
      args: ['data', 'validate', 'churn', 'latest', '--expectations', file('nope.json')],
      error: /--expectations: cannot read .*nope\.json/,
    },
    {
      what: 'an expectations file that is not JSON',
      args: ['data', 'validate', 'churn', 'latest', '--expectations', file('expect-broken.json')],
      error: /--expectations: .*expect-broken\.json is not JSON/,
    },
    {
      what: 'an expectations file of the wrong shape',
      args: ['data', 'validate', 'churn', 'latest', '--expectations', file('expect-shape.json')],
      error: /expect-shape\.json: requiredColumns\.0: .*\n.*expect-shape\.json: minRows: /,
    },
    {
      what: 'an expectations file that is a list',
      args: ['data', 'validate', 'churn', 'latest', '--expectations', file('expect-list.json')],
      error: /expect-list\.json: \(top\): .*expected object/,
    },
  ];

  for (const c of cases) {
    it(`refuses ${c.what} with exit 2, naming it, without a stack trace`, async () => {
      assertUsageError(await runMain(c.args, env), c.error);
    });
  }

  it('refuses a bad setting in the environment, naming the variable', async () => {
    const r = await runMain(['runs', 'list'], { ...env, MLOPS_STORE: 'bucket/prefix' });
    assertUsageError(r, /MLOPS_STORE: unsupported store "bucket\/prefix"/);
  });

  it('exits 2 from the real binary too', async () => {
    const [unknown, horizon] = await Promise.all([runCli(['deplyo'], env), runCli([...abtest, '--split', '30'], env)]);
    assertUsageError({ ...unknown, code: unknown.code ?? -1 }, /unknown command 'deplyo'/);
    assertUsageError({ ...horizon, code: horizon.code ?? -1 }, /--duration or --samples-per-arm/);
  });

  it('started no workflow and wrote nothing to the store', async () => {
    assert.deepEqual(await workflowsOn(env.MLOPS_TASK_QUEUE!), []);
    assert.deepEqual(await workflowsOn(env.MLOPS_TRAINING_TASK_QUEUE!), []);
    assert.deepEqual(filesUnder(storeDir), []);
  });
});
