/**
 * Bad pipeline spec files: each refused with `file:line: path: message` naming the field, exit 2,
 * and no run started. Most cases go through `checkPipelineSpec` (what `mlops pipeline validate`
 * runs); a few through the real CLI, including `mlops run --spec`, which must start no workflow.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { checkPipelineSpec, formatSpecIssues } from '../../client/pipeline-spec';
import { cliEnv, runCli } from '../support/cli';
import { testStack } from '../support/stack';
import { runMain, workflowsOn } from './support';

type Spec = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A valid spec with every section, which each case breaks in one place. */
function validSpec(): Spec {
  return {
    name: 'churn',
    model: 'churn',
    dataset: { name: 'churn', source: 'data' },
    training: { backend: 'local', entrypoint: ['python', 'train.py'], params: { max_iter: 10 } },
    evaluation: {
      entrypoint: ['python', 'evaluate.py'],
      primaryMetric: 'auc',
      gates: { thresholds: { auc: { min: 0.7 } } },
    },
    approval: { required: true, timeout: '24h', remindEvery: '4h' },
    rollout: { endpoint: 'churn', strategy: 'canary', steps: [25, 100], bake: '20s', analysisInterval: '5s' },
    monitoring: { interval: '10m', thresholds: { psi: 0.2 } },
    notifications: { webhookEnv: 'MLOPS_WEBHOOK_SLACK' },
    schedule: { cron: '0 3 * * *', timezone: 'UTC' },
  };
}

interface SpecCase {
  what: string;
  /** The file's text, or a change to the valid spec. */
  spec: string | ((s: Spec) => void);
  /** The field path reported ('' for the whole file). */
  path: string;
  message: RegExp;
  /** The line reported, when the case pins it. */
  line?: number;
}

const CASES: SpecCase[] = [
  { what: 'a name of the wrong type', spec: (s) => (s.name = 42), path: 'name', message: /expected string/ },
  {
    what: 'an unknown top-level key',
    spec: (s) => (s.retries = 3),
    path: '',
    message: /unknown key "retries" \(allowed: name, /,
  },
  {
    what: 'an unknown key in a section (a typo)',
    spec: (s) => (s.training.entrypont = ['python', 'train.py']),
    path: 'training',
    message: /unknown key "entrypont" \(allowed: backend, entrypoint, /,
  },
  {
    what: 'a bad cron expression',
    spec: (s) => (s.schedule.cron = '0 25 * * *'),
    path: 'schedule.cron',
    message: /hour/,
  },
  {
    what: 'an unknown time zone',
    spec: (s) => (s.schedule.timezone = 'Mars/Olympus'),
    path: 'schedule.timezone',
    message: /IANA time zone/,
  },
  {
    what: 'canary steps that do not end at 100',
    spec: (s) => (s.rollout.steps = [10, 50]),
    path: 'rollout.steps',
    message: /the last step must be 100/,
  },
  {
    what: 'canary steps that do not increase',
    spec: (s) => (s.rollout.steps = [50, 20, 100]),
    path: 'rollout.steps.1',
    message: /must be greater than 50/,
  },
  {
    what: 'steps for a strategy that has none',
    spec: (s) => (s.rollout.strategy = 'all-at-once'),
    path: 'rollout.steps',
    message: /only for strategy canary/,
  },
  {
    what: 'a negative drift threshold',
    spec: (s) => (s.monitoring.thresholds.psi = -0.1),
    path: 'monitoring.thresholds.psi',
    message: />=0/,
  },
  {
    what: 'an error rate above 1',
    spec: (s) => (s.rollout.maxErrorRate = 1.5),
    path: 'rollout.maxErrorRate',
    message: /<=1/,
  },
  {
    what: 'an unknown training backend',
    spec: (s) => (s.training.backend = 'kubernetes'),
    path: 'training.backend',
    message: /local|ray/,
  },
  { what: 'monitoring without a rollout', spec: (s) => delete s.rollout, path: 'monitoring', message: /rollout/ },
  {
    what: 'a webhook URL where the name of a variable belongs',
    spec: (s) => (s.notifications.webhookEnv = 'https://hooks.slack.com/services/T0/B0/x'),
    path: 'notifications.webhookEnv',
    message: /variable/,
  },
  {
    what: 'a duration written in words',
    spec: (s) => (s.rollout.bake = '10 minutes'),
    path: 'rollout.bake',
    message: /e\.g\. 30s/,
  },
  {
    what: 'a duration too long to be meant',
    spec: (s) => (s.monitoring.interval = '99999999999999d'),
    path: 'monitoring.interval',
    message: /too long: at most 3650d/,
  },
  {
    what: 'an approval reminder not shorter than its timeout',
    spec: (s) => (s.approval.remindEvery = '24h'),
    path: 'approval.remindEvery',
    message: /must be shorter than timeout \(24h\)/,
  },
  {
    what: 'an analysis interval longer than the bake',
    spec: (s) => (s.rollout.analysisInterval = '1m'),
    path: 'rollout.analysisInterval',
    message: /must not be longer than bake \(20s\)/,
  },
  {
    what: 'a gate whose min is above its max',
    spec: (s) => (s.evaluation.gates.thresholds.auc = { min: 0.9, max: 0.8 }),
    path: 'evaluation.gates.thresholds.auc.max',
    message: /must be >= min/,
  },
  {
    what: 'an expectations file outside the snapshot',
    spec: (s) => (s.dataset.expectations = { file: '../secret.csv' }),
    path: 'dataset.expectations.file',
    message: /inside the snapshot/,
  },
  {
    what: 'a missing required section',
    spec: (s) => delete s.evaluation,
    path: 'evaluation',
    message: /required/,
  },
  {
    what: 'a training script that is not in its code folder',
    spec: (s) => (s.training.entrypoint = ['python', 'trian.py']),
    path: 'training.entrypoint',
    message: /trian\.py not found/,
  },
  {
    what: 'a YAML syntax error',
    spec: 'name: churn\nmodel: churn\ntraining:\n  entrypoint: [python, train.py\n',
    path: '',
    message: /./,
    line: 5,
  },
  {
    what: 'an alias without its anchor',
    spec: 'name: churn\nmodel: *model\n',
    path: '',
    message: /^Unresolved alias \(the anchor must be set before the alias\): model$/,
    line: 2,
  },
  {
    what: 'aliases that expand a billion times',
    spec: [
      'a: &a [x, x, x, x, x, x, x, x, x]',
      ...Array.from(
        { length: 9 },
        (_, i) =>
          `l${i + 1}: &l${i + 1} [${Array(9)
            .fill(i === 0 ? '*a' : `*l${i}`)
            .join(', ')}]`,
      ),
    ].join('\n'),
    path: '',
    message: /Excessive alias count/,
  },
  { what: 'an empty file', spec: '', path: '', message: /expected object/ },
  { what: 'a file that is a list, not a mapping', spec: '- name: churn\n', path: '', message: /expected object/ },
];

/** The smallest valid spec, for the schema cases below. */
function minimal(): Spec {
  return {
    name: 'churn',
    model: 'churn',
    dataset: { name: 'churn', source: 'data' },
    training: { entrypoint: ['python', 'train.py'] },
    evaluation: { entrypoint: ['python', 'evaluate.py'], primaryMetric: 'auc' },
  };
}

function withSection(section: string, value: unknown): Spec {
  return { ...minimal(), [section]: value };
}

/** More schema cases, each a spec and the `path: message` it must be refused with. */
const SCHEMA_CASES: [what: string, spec: Spec, expected: RegExp][] = [
  [
    'a wrong type',
    withSection('training', { entrypoint: 'python train.py' }),
    /^training\.entrypoint: .*expected array/,
  ],
  ['a missing entrypoint', withSection('training', { codeDir: '.' }), /^training\.entrypoint: required/],
  ['an empty entrypoint', withSection('training', { entrypoint: [] }), /^training\.entrypoint: needs at least/],
  ['a bad pipeline name', { ...minimal(), name: 'Churn Model' }, /^name: lowercase letters/],
  [
    'a holdout that is neither a file nor a dataset',
    { ...minimal(), evaluation: { entrypoint: ['x'], primaryMetric: 'auc', holdout: { file: 'a', dataset: 'b' } } },
    /^evaluation\.holdout: either \{ file/,
  ],
  [
    'a threshold without bounds',
    { ...minimal(), evaluation: { entrypoint: ['x'], primaryMetric: 'auc', gates: { thresholds: { auc: {} } } } },
    /^evaluation\.gates\.thresholds\.auc: needs min, max or both/,
  ],
  [
    'a minute out of range',
    withSection('schedule', { cron: '61 * * * *' }),
    /^schedule\.cron: minute field "61": 61 is out of range 0-59/,
  ],
  ['four cron fields', withSection('schedule', { cron: '* * * *' }), /^schedule\.cron: needs 5 fields .*got 4/],
  ['a bad month name', withSection('schedule', { cron: '0 3 * FOO *' }), /^schedule\.cron: month field "FOO"/],
  ['a bad step', withSection('schedule', { cron: '*/0 * * * *' }), /^schedule\.cron: minute field "\*\/0": step/],
  [
    'a backwards range',
    withSection('schedule', { cron: '0 5-2 * * *' }),
    /^schedule\.cron: hour field "5-2": range 5-2 runs backwards/,
  ],
  ['an unknown shorthand', withSection('schedule', { cron: '@fortnightly' }), /^schedule\.cron: unknown shorthand/],
  ['a bad overlap policy', withSection('schedule', { cron: '@daily', overlap: 'queue' }), /^schedule\.overlap: /],
  ['a bad duration', withSection('approval', { timeout: '1 day' }), /^approval\.timeout: not a duration/],
  ['a zero timeout', withSection('approval', { timeout: '0s' }), /^approval\.timeout: must be longer than zero/],
  ['a bad onTimeout', withSection('approval', { onTimeout: 'escalate' }), /^approval\.onTimeout: /],
  ['a step above 100', withSection('rollout', { endpoint: 'churn', steps: [50, 150] }), /^rollout\.steps\.1: /],
  [
    'a linear rollout without a step size',
    withSection('rollout', { endpoint: 'churn', strategy: 'linear' }),
    /^rollout\.stepSize: required for strategy linear/,
  ],
  [
    'a step size on a canary',
    withSection('rollout', { endpoint: 'churn', stepSize: 10 }),
    /^rollout\.stepSize: only for strategy linear \(this is canary\)/,
  ],
  [
    'a lowercase environment variable name',
    withSection('notifications', { webhookEnv: 'slack_hook' }),
    /^notifications\.webhookEnv: an environment variable name/,
  ],
  [
    'an unknown event',
    withSection('notifications', { webhookEnv: 'HOOK', events: ['deployed'] }),
    /^notifications\.events\.0: /,
  ],
  [
    'an expectation that is not one',
    withSection('dataset', { name: 'churn', source: 'x', expectations: { minRows: 10, maxRows: 20 } }),
    /^dataset\.expectations: unknown key "maxRows"/,
  ],
  [
    'a source of an unsupported scheme',
    withSection('dataset', { name: 'churn', source: 'gs://bucket/churn' }),
    /^dataset\.source: use a folder, s3:\/\/, file:\/\/ or upload:\/\//,
  ],
];

/** A folder with the training and evaluation scripts a valid spec points at. */
function codeFolder(): string {
  const dir = fs.mkdtempSync(path.join(testStack().tmpDir, 'bad-spec-'));
  for (const f of ['train.py', 'evaluate.py']) fs.writeFileSync(path.join(dir, f), '# script\n');
  fs.mkdirSync(path.join(dir, 'data'));
  return dir;
}

function specText(spec: SpecCase['spec']): string {
  if (typeof spec === 'string') return spec;
  const s = validSpec();
  spec(s);
  return stringify(s);
}

describe('bad input: pipeline spec files', function () {
  let dir: string;
  before(() => {
    dir = codeFolder();
  });

  it('accepts the valid spec the cases start from', () => {
    const file = path.join(dir, 'valid.yaml');
    fs.writeFileSync(file, stringify(validSpec()));
    const check = checkPipelineSpec(file);
    assert.ok(check.ok, JSON.stringify(check));
  });

  CASES.forEach((c, i) => {
    it(`refuses ${c.what}, naming the field and its line`, () => {
      const file = path.join(dir, `case-${i}.yaml`);
      const text = specText(c.spec);
      fs.writeFileSync(file, text);
      const check = checkPipelineSpec(file);
      assert.equal(check.ok, false, `accepted:\n${text}`);
      if (check.ok) return;
      const issue = check.errors.find((e) => e.path === c.path && c.message.test(e.message));
      assert.ok(issue, `no ${c.path}: ${String(c.message)} in ${JSON.stringify(check.errors)}`);
      if (c.line !== undefined) assert.equal(issue.line, c.line);
      else if (text !== '' && !/Excessive alias/.test(issue.message))
        assert.ok(issue.line && issue.line >= 1, `no line for ${JSON.stringify(issue)}`);
      const formatted = formatSpecIssues(file, [issue]);
      const prefix = `${file}${issue.line ? `:${issue.line}` : ''}: ${c.path ? `${c.path}: ` : ''}`;
      assert.ok(formatted.startsWith(prefix), formatted);
    });
  });

  SCHEMA_CASES.forEach(([what, spec, expected], i) => {
    it(`refuses ${what}, naming the field and its line`, () => {
      const file = path.join(dir, `schema-${i}.yaml`);
      fs.writeFileSync(file, stringify(spec));
      const check = checkPipelineSpec(file);
      assert.equal(check.ok, false, `accepted ${JSON.stringify(spec)}`);
      const found = check.ok ? [] : check.errors;
      const issue = found.find((e) => expected.test(`${e.path}: ${e.message}`));
      assert.ok(
        issue,
        `expected ${String(expected)} among:\n${found.map((e) => `${e.path}: ${e.message}`).join('\n')}`,
      );
      assert.ok(issue.line && issue.line >= 1, `no line for ${JSON.stringify(issue)}`);
    });
  });

  it('points at the line of the bad field, not the top of the file', () => {
    const file = path.join(dir, 'lines.yaml');
    const s = validSpec();
    s.rollout.steps = [10, 50];
    const text = stringify(s);
    fs.writeFileSync(file, text);
    const check = checkPipelineSpec(file);
    assert.equal(check.ok, false);
    const issue = check.ok ? undefined : check.errors.find((e) => e.path === 'rollout.steps');
    // the list's first item, on the line after `steps:`
    const line = text.split('\n').findIndex((l) => /^\s+steps:/.test(l)) + 2;
    assert.ok(line > 20);
    assert.equal(issue?.line, line, JSON.stringify(issue));
  });

  it('names a missing file', () => {
    const check = checkPipelineSpec(path.join(dir, 'nope.yaml'));
    assert.deepEqual(check, { ok: false, errors: [{ path: '', message: 'cannot read the file' }] });
  });

  describe('through the CLI', function () {
    this.timeout(60_000);
    const prefix = `bad-spec-${process.pid}`;
    let env: NodeJS.ProcessEnv;
    let files: Record<'good' | 'badSteps' | 'syntax' | 'empty' | 'webhook', string>;

    before(() => {
      env = cliEnv(prefix);
      const write = (name: string, text: string) => {
        const file = path.join(dir, `${name}.yaml`);
        fs.writeFileSync(file, text);
        return file;
      };
      files = {
        good: write('good', stringify(validSpec())),
        badSteps: write(
          'bad-steps',
          specText((s) => (s.rollout.steps = [10, 50])),
        ),
        syntax: write('syntax', 'name: churn\nmodel: [churn\n'),
        empty: write('empty', ''),
        webhook: write(
          'webhook',
          specText((s) => (s.notifications.webhookEnv = 'https://hooks.example/x')),
        ),
      };
    });

    it('`pipeline validate` lists every problem of every file as file:line: path: message and exits 2', async () => {
      const missing = path.join(dir, 'missing.yaml');
      const r = await runCli(
        ['pipeline', 'validate', files.good, files.badSteps, files.syntax, files.empty, files.webhook, missing],
        env,
      );
      assert.equal(r.code, 2, r.stderr);
      const lines = r.stderr.split('\n');
      const has = (re: RegExp) =>
        assert.ok(
          lines.some((l) => re.test(l)),
          `no ${String(re)} in\n${r.stderr}`,
        );
      const q = (f: string) => f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      has(new RegExp(`^${q(files.badSteps)}:\\d+: rollout\\.steps: the last step must be 100$`));
      has(new RegExp(`^${q(files.syntax)}:\\d+: `));
      has(new RegExp(`^${q(files.empty)}: .*expected object`));
      has(new RegExp(`^${q(files.webhook)}:\\d+: notifications\\.webhookEnv: `));
      has(new RegExp(`^${q(missing)}: cannot read the file$`));
      assert.doesNotMatch(r.stderr, new RegExp(`^${q(files.good)}:`, 'm'));
      assert.match(r.stderr, /5 of 6|not a valid|invalid/);
      assert.doesNotMatch(r.stderr, /unexpected error|\n\s+at /);
    });

    it('`run --spec` with a bad spec, a bad --set or the wrong pipeline name exits 2 and starts no workflow', async () => {
      // the real CLI for one, the same code in-process for the others (faster)
      const results = [
        await runCli(['run', 'churn', '--spec', files.badSteps], env),
        await runMain(['run', 'churn', '--spec', files.good, '--set', 'max_iter'], env),
        await runMain(['run', 'other', '--spec', files.good], env),
        await runMain(['run', 'churn', '--spec', path.join(dir, 'missing.yaml')], env),
      ];
      const expected = [
        /rollout\.steps: the last step must be 100/,
        /--set max_iter: expected key=value/,
        /declares pipeline churn, not other/,
        /missing\.yaml: cannot read/,
      ];
      results.forEach((r, i) => {
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, expected[i]!);
        assert.doesNotMatch(r.stderr, /unexpected error|\n\s+at /);
      });
      // the same command with a good spec and files in its data folder does start a run: the listing below would see one
      const noData = await runMain(['run', 'churn', '--spec', files.good], env);
      assert.equal(noData.code, 2, noData.stderr);
      assert.match(noData.stderr, /dataset\.source: folder .*\/data has no files/);
      fs.mkdirSync(path.join(path.dirname(files.good), 'data'), { recursive: true });
      fs.writeFileSync(path.join(path.dirname(files.good), 'data', 'train.csv'), 'a,b\n1,2\n');
      const good = await runCli(['run', 'churn', '--spec', files.good, '--no-wait'], env);
      assert.equal(good.code, 0, good.stderr);
      const started = good.stdout.trim();
      let listed: string[] = [];
      for (let i = 0; i < 50 && !listed.includes(started); i++) {
        listed = await workflowsOn(env.MLOPS_TASK_QUEUE!);
        if (!listed.includes(started)) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.deepEqual(listed, [started]);
      await testStack().env.client.workflow.getHandle(started).terminate('bad-input corpus: the control run');
    });
  });
});
