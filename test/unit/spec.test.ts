import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { cronProblem } from '../../common/cron';
import { parseDuration, pipelineSpecSchema, type PipelineSpecInput } from '../../common/schemas/spec';
import { rolloutWeights } from '../../common/rollout-steps';
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

// Specs the schema refuses are listed in the bad-input corpus, test/bad-input/spec.test.ts.
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
    assert.equal(spec.notifications?.webhookEnv, 'MLOPS_WEBHOOK_SLACK');
    assert.equal(spec.notifications?.events.length, 8);
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

  it('picks the default metrics by the evaluation task, binary when none is named', () => {
    const withTask = (task: 'binary' | 'regression' | 'multiclass', primaryMetric: string) =>
      pipelineSpecSchema.parse({
        ...minimal(),
        evaluation: { entrypoint: ['python', 'evaluate.py'], task, primaryMetric, direction: 'minimize' },
      }).evaluation;
    assert.deepEqual(withTask('regression', 'rmse').metrics, ['rmse', 'mae', 'r2']);
    assert.deepEqual(withTask('multiclass', 'log_loss').metrics, ['accuracy', 'macro_f1', 'log_loss']);
    assert.deepEqual(withTask('binary', 'log_loss').metrics, pipelineSpecSchema.parse(minimal()).evaluation.metrics);
    assert.equal(withTask('regression', 'rmse').task, 'regression');
    const listed = pipelineSpecSchema.parse({
      ...minimal(),
      evaluation: { entrypoint: ['x'], task: 'regression', primaryMetric: 'r2', metrics: ['r2', 'rmse'] },
    }).evaluation;
    assert.deepEqual(listed.metrics, ['r2', 'rmse'], 'metrics the spec lists win');
  });

  it('parses a spec without task exactly as before: same fields, same order', () => {
    const evaluation = pipelineSpecSchema.parse(minimal()).evaluation;
    assert.equal('task' in evaluation, false);
    assert.deepEqual(Object.keys(evaluation), [
      'entrypoint',
      'codeDir',
      'holdout',
      'primaryMetric',
      'direction',
      'metrics',
      'gates',
    ]);
  });

  it('refuses an unknown task and a maximized loss of a named task, naming the field', () => {
    const issues = (evaluation: Record<string, unknown>) => {
      const result = pipelineSpecSchema.safeParse({
        ...minimal(),
        evaluation: { entrypoint: ['x'], primaryMetric: 'rmse', ...evaluation },
      });
      assert.equal(result.success, false);
      return result.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    const [unknown] = issues({ task: 'ranking' });
    assert.match(unknown!, /^evaluation\.task: .*"binary"\|"multiclass"\|"regression"/);
    assert.deepEqual(issues({ task: 'regression' }), [
      'evaluation.direction: rmse is better lower: set direction: minimize',
    ]);
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
