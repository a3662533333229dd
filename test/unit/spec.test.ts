import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { cronProblem } from '../../common/cron';
import { parseDuration, pipelineSpecSchema, rolloutWeights, type PipelineSpecInput } from '../../common/spec';
import { PIPELINE_SPEC_SCHEMA_FILE, pipelineSpecJsonSchema } from '../../scripts/gen-spec-schema';

const EXAMPLE = path.join(__dirname, '..', '..', 'examples', 'churn', 'pipeline.yaml');

function minimal(): PipelineSpecInput {
  return {
    name: 'churn',
    model: 'churn',
    dataset: { name: 'churn', source: 'data/churn' },
    training: { entrypoint: ['python', 'train.py'] },
    evaluation: { entrypoint: ['python', 'evaluate.py'], primaryMetric: 'auc' },
  };
}

/** The `path: message` lines zod reports for `spec`, or [] when it is valid. */
function problems(spec: unknown): string[] {
  const result = pipelineSpecSchema.safeParse(spec);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

function withSection(section: string, value: unknown): unknown {
  return { ...minimal(), [section]: value };
}

describe('pipeline spec schema', () => {
  it('parses the churn example and fills in the defaults', () => {
    const spec = pipelineSpecSchema.parse(parse(fs.readFileSync(EXAMPLE, 'utf8')));
    assert.equal(spec.name, 'churn');
    assert.equal(spec.model, 'churn');
    assert.equal(spec.dataset.source, '../../data/churn');
    assert.deepEqual(spec.training.entrypoint, ['python', 'train.py']);
    assert.equal(spec.training.params.max_iter, 100);
    assert.deepEqual(spec.evaluation.holdout, { file: 'holdout.csv' });
    assert.equal(spec.evaluation.primaryMetric, 'auc');
    assert.equal(spec.evaluation.direction, 'maximize');
    assert.deepEqual(spec.evaluation.gates, {
      thresholds: { auc: { min: 0.75 } },
      minImprovement: 0,
      maxSegmentRegression: 0.05,
      maxCalibrationError: 0.1,
    });
    assert.equal(spec.approval?.required, false);
    assert.equal(spec.notifications?.webhookEnv, 'MLOPS_SLACK_WEBHOOK');
    assert.equal(spec.notifications?.events.length, 7);
    assert.deepEqual(spec.schedule, {
      cron: '0 3 * * *',
      timezone: 'UTC',
      overlap: 'skip',
      catchupWindow: '1h',
      pauseOnFailure: false,
      jitter: '0s',
    });
  });

  it('gives a minimal spec sensible defaults', () => {
    const spec = pipelineSpecSchema.parse(minimal());
    assert.equal(spec.training.backend, 'local');
    assert.equal(spec.training.codeDir, '.');
    assert.deepEqual(spec.evaluation.holdout, { file: 'holdout.csv' });
    assert.deepEqual(spec.evaluation.metrics, ['auc', 'accuracy', 'f1', 'log_loss', 'expected_calibration_error']);
    assert.deepEqual(spec.evaluation.gates, { thresholds: {} });
    assert.equal(spec.approval, undefined);
    assert.equal(spec.schedule, undefined);
  });

  it('takes a holdout from another dataset, latest by default', () => {
    const spec = pipelineSpecSchema.parse({
      ...minimal(),
      evaluation: { entrypoint: ['python', 'evaluate.py'], primaryMetric: 'auc', holdout: { dataset: 'churn-gold' } },
    });
    assert.deepEqual(spec.evaluation.holdout, { dataset: 'churn-gold', snapshot: 'latest' });
  });

  it('accepts a sweep as the training section of the sweep file', () => {
    const spec = pipelineSpecSchema.parse({
      ...minimal(),
      training: {
        entrypoint: ['python', 'train.py'],
        sweep: {
          algorithm: 'random',
          maxTrials: 4,
          objective: { metric: 'val_auc', direction: 'maximize' },
          space: { max_depth: { type: 'int', min: 2, max: 6 } },
        },
      },
    });
    assert.equal(spec.training.sweep?.parallelism, 2);
  });

  it('fills in approval, rollout and monitoring defaults', () => {
    const spec = pipelineSpecSchema.parse({
      ...minimal(),
      approval: { approvers: ['alice', 'bob'] },
      rollout: { endpoint: 'churn' },
      monitoring: {},
    });
    assert.deepEqual(spec.approval, {
      required: true,
      approvers: ['alice', 'bob'],
      timeout: '24h',
      onTimeout: 'reject',
    });
    assert.equal(spec.rollout?.strategy, 'canary');
    assert.deepEqual(rolloutWeights(spec.rollout!), [10, 50, 100]);
    assert.equal(spec.monitoring?.thresholds.psi, 0.2);
    assert.deepEqual(spec.monitoring?.retrain, { enabled: true, cooldown: '6h' });
  });

  it('turns each rollout strategy into traffic weights ending at 100', () => {
    const linear = pipelineSpecSchema.parse({
      ...minimal(),
      rollout: { endpoint: 'churn', strategy: 'linear', stepSize: 30, interval: '5m' },
    });
    assert.deepEqual(rolloutWeights(linear.rollout!), [30, 60, 90, 100]);
    const all = pipelineSpecSchema.parse({ ...minimal(), rollout: { endpoint: 'churn', strategy: 'all-at-once' } });
    assert.deepEqual(rolloutWeights(all.rollout!), [100]);
  });

  for (const [what, spec, expected] of [
    ['an unknown top-level key', { ...minimal(), owner: 'ml-team' }, /^: unknown key "owner" \(allowed: name, /],
    [
      'an unknown nested key',
      withSection('training', { entrypoint: ['python', 'train.py'], entrypiont: ['x'] }),
      /^training: unknown key "entrypiont"/,
    ],
    [
      'a wrong type',
      withSection('training', { entrypoint: 'python train.py' }),
      /^training\.entrypoint: .*expected array/,
    ],
    ['a missing entrypoint', withSection('training', { codeDir: '.' }), /^training\.entrypoint: required/],
    ['an empty entrypoint', withSection('training', { entrypoint: [] }), /^training\.entrypoint: needs at least/],
    ['a missing section', { ...minimal(), evaluation: undefined }, /^evaluation: required/],
    ['a bad pipeline name', { ...minimal(), name: 'Churn Model' }, /^name: lowercase letters/],
    ['an unknown backend', withSection('training', { entrypoint: ['x'], backend: 'k8s' }), /^training\.backend: /],
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
      'a threshold with min above max',
      {
        ...minimal(),
        evaluation: { entrypoint: ['x'], primaryMetric: 'auc', gates: { thresholds: { auc: { min: 0.9, max: 0.8 } } } },
      },
      /^evaluation\.gates\.thresholds\.auc\.max: must be >= min/,
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
    [
      'a bad time zone',
      withSection('schedule', { cron: '@daily', timezone: 'Mars/Olympus' }),
      /^schedule\.timezone: not an IANA time zone/,
    ],
    ['a bad overlap policy', withSection('schedule', { cron: '@daily', overlap: 'queue' }), /^schedule\.overlap: /],
    ['a bad duration', withSection('approval', { timeout: '1 day' }), /^approval\.timeout: not a duration/],
    ['a zero timeout', withSection('approval', { timeout: '0s' }), /^approval\.timeout: must be longer than zero/],
    [
      'a reminder as long as the timeout',
      withSection('approval', { timeout: '4h', remindEvery: '240m' }),
      /^approval\.remindEvery: must be shorter than timeout \(4h\)/,
    ],
    ['a bad onTimeout', withSection('approval', { onTimeout: 'escalate' }), /^approval\.onTimeout: /],
    [
      'canary steps that do not increase',
      withSection('rollout', { endpoint: 'churn', steps: [10, 50, 50, 100] }),
      /^rollout\.steps\.2: must be greater than 50/,
    ],
    [
      'canary steps that do not end at 100',
      withSection('rollout', { endpoint: 'churn', steps: [10, 50] }),
      /^rollout\.steps: the last step must be 100/,
    ],
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
      'an error rate above 1',
      withSection('rollout', { endpoint: 'churn', maxErrorRate: 5 }),
      /^rollout\.maxErrorRate: /,
    ],
    [
      'monitoring without a rollout',
      withSection('monitoring', { interval: '5m' }),
      /^monitoring: needs a rollout section/,
    ],
    [
      'a webhook URL instead of an environment variable name',
      withSection('notifications', { webhookEnv: 'https://hooks.slack.com/services/T000/B000/XXX' }),
      /^notifications\.webhookEnv: looks like a URL: .*environment variable/,
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
      /^dataset\.source: use a folder, s3:\/\/ or file:\/\//,
    ],
  ] as const) {
    it(`refuses ${what}, naming the field`, () => {
      const found = problems(spec);
      assert.ok(
        found.some((p) => expected.test(p)),
        `expected ${expected} among:\n${found.join('\n') || '(no problems)'}`,
      );
    });
  }
});

describe('cron expressions', () => {
  for (const ok of [
    '0 3 * * *',
    '*/15 * * * *',
    '0 9-17/2 * * MON-FRI',
    '0 0 1,15 * *',
    '30 4 * JAN,jul 0',
    '0 0 * * 7',
    '@daily',
    '@hourly',
    '@weekly',
    '@monthly',
  ]) {
    it(`accepts ${ok}`, () => assert.equal(cronProblem(ok), undefined));
  }
  it('names the bad field', () => {
    assert.match(cronProblem('0 24 * * *')!, /^hour field "24": 24 is out of range 0-23/);
    assert.match(cronProblem('0 0 0 * *')!, /^day-of-month field "0": 0 is out of range 1-31/);
    assert.match(cronProblem('0 0 * 13 *')!, /^month field "13"/);
    assert.match(cronProblem('0 0 * * 8')!, /^day-of-week field "8"/);
    assert.match(cronProblem('0 0 * * MON,')!, /^day-of-week field "MON,": empty list item/);
    assert.match(cronProblem('')!, /needs 5 fields .*got 0/);
  });
});

describe('durations', () => {
  it('reads Temporal-style durations in milliseconds', () => {
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('5m'), 300_000);
    assert.equal(parseDuration('24h'), 86_400_000);
    assert.equal(parseDuration('7d'), 604_800_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('1.5h'), 5_400_000);
  });
  it('refuses anything else with the expected form', () => {
    for (const bad of ['', '10', 'm', '1 day', '-5m', '5w']) {
      assert.throws(() => parseDuration(bad), /is not a duration: use a number and a unit/, bad);
    }
  });
});

describe('pipeline spec JSON Schema', () => {
  it('is committed exactly as the zod schema generates it (run `npm run spec:schema`)', async () => {
    const committed = fs.readFileSync(PIPELINE_SPEC_SCHEMA_FILE, 'utf8');
    assert.equal(committed, await pipelineSpecJsonSchema(), 'docs/pipeline-spec.schema.json is stale');
  });

  it('describes every section of the spec, strictly', () => {
    const schema = JSON.parse(fs.readFileSync(PIPELINE_SPEC_SCHEMA_FILE, 'utf8'));
    assert.match(schema.$schema, /json-schema\.org/);
    assert.equal(schema.additionalProperties, false);
    for (const section of [
      'name',
      'model',
      'dataset',
      'training',
      'evaluation',
      'approval',
      'rollout',
      'monitoring',
      'notifications',
      'schedule',
    ]) {
      assert.ok(schema.properties[section], `no ${section} in the schema`);
      assert.ok(schema.properties[section].description, `${section} has no description`);
    }
    assert.deepEqual(schema.required, ['name', 'model', 'dataset', 'training', 'evaluation']);
    assert.deepEqual(schema.properties.training.required, ['entrypoint']);
  });

  it('knows every key the example uses', () => {
    const schema = JSON.parse(fs.readFileSync(PIPELINE_SPEC_SCHEMA_FILE, 'utf8'));
    const example = parse(fs.readFileSync(EXAMPLE, 'utf8')) as Record<string, Record<string, unknown>>;
    for (const [section, body] of Object.entries(example)) {
      const props = schema.properties[section];
      assert.ok(props, `the schema has no ${section}`);
      if (typeof body === 'object' && body !== null && props.properties) {
        for (const key of Object.keys(body)) assert.ok(props.properties[key], `the schema has no ${section}.${key}`);
      }
    }
  });
});
