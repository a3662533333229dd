/**
 * Properties over arbitrary input (fast-check): the parsers answer bad input with issues, never a
 * throw, and the statistics stay in their ranges whatever finite samples and valid counts they get.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { ksTwoSample, populationStabilityIndex } from '../../activities/monitoring';
import { checkPipelineSpec } from '../../client/pipeline-spec';
import { decideAbTest, twoProportionZTest, type Proportion } from '../../common/abtest-stats';
import { cronProblem } from '../../common/cron';
import { isDuration, MAX_DURATION_MS, parseDuration } from '../../common/duration';
import { pipelineSpecSchema } from '../../common/schemas/spec';

const RUNS = { numRuns: 200 };

/** A valid minimal spec with `value` put at a random path: most such specs are wrong somewhere deep. */
const mutatedSpec = fc
  .tuple(
    fc.constantFrom(
      ['name'],
      ['dataset', 'source'],
      ['training', 'backend'],
      ['training', 'params'],
      ['evaluation', 'gates'],
      ['rollout'],
      ['rollout', 'steps'],
      ['monitoring'],
      ['approval', 'timeout'],
      ['schedule', 'cron'],
      ['notifications'],
    ),
    fc.jsonValue({ maxDepth: 3 }),
  )
  .map(([at, value]) => {
    const spec: Record<string, unknown> = {
      name: 'churn',
      model: 'churn',
      dataset: { name: 'churn', source: 'data' },
      training: { entrypoint: ['python', 'train.py'] },
      evaluation: { entrypoint: ['python', 'evaluate.py'], primaryMetric: 'auc' },
      approval: { required: true },
      schedule: { cron: '0 3 * * *' },
    };
    let node = spec;
    for (const key of at.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
    node[at.at(-1)!] = value;
    return spec;
  });

const durationText = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc
    .array(
      fc.tuple(
        fc.oneof(fc.nat(), fc.stringMatching(/^\d{1,30}(\.\d{1,3})?$/)),
        fc.constantFrom('ms', 's', 'm', 'h', 'd'),
      ),
      {
        minLength: 1,
        maxLength: 3,
      },
    )
    .map((parts) => parts.map(([n, unit]) => `${n}${unit}`).join('')),
);

const finiteSample = fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { maxLength: 60 });
const proportion = (minTrials: number) =>
  fc.nat({ max: 1_000_000 }).chain((trials) => {
    const t = Math.max(trials, minTrials);
    return fc.nat({ max: t }).map((successes): Proportion => ({ successes, trials: t }));
  });

describe('bad input: properties over arbitrary input', function () {
  this.timeout(60_000);

  it('the spec schema returns issues for any JSON value, never throws', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), mutatedSpec), (value) => {
        const result = pipelineSpecSchema.safeParse(value);
        if (!result.success) assert.ok(result.error.issues.length > 0);
      }),
      RUNS,
    );
  });

  it('checkPipelineSpec answers any file text with ok or issues that have a message, never throws', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-spec-prop-'));
    try {
      const file = path.join(dir, 'spec.yaml');
      fc.assert(
        fc.property(
          fc.oneof(
            fc.string(),
            mutatedSpec.map((s) => stringify(s)),
          ),
          (text) => {
            fs.writeFileSync(file, text);
            const check = checkPipelineSpec(file);
            if (!check.ok) {
              assert.ok(check.errors.length > 0);
              for (const e of check.errors) assert.ok(e.message.length > 0 && typeof e.path === 'string');
            }
          },
        ),
        { numRuns: 100 },
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('isDuration and parseDuration agree, and a duration is a whole number of ms up to the maximum', () => {
    fc.assert(
      fc.property(durationText, fc.constantFrom('', ' '), (text, pad) => {
        const padded = `${pad}${text}${pad}`;
        let ms: number | undefined;
        try {
          ms = parseDuration(padded);
        } catch {
          ms = undefined;
        }
        assert.equal(isDuration(padded), ms !== undefined, padded);
        if (ms !== undefined) assert.ok(Number.isInteger(ms) && ms >= 0 && ms <= MAX_DURATION_MS, `${padded}: ${ms}`);
      }),
      { numRuns: 500 },
    );
  });

  it('cronProblem answers any text with a problem or none, never throws', () => {
    const field = fc.oneof(
      fc.constantFrom('*', '*/5', '1-5', '0', '59', '60', 'MON', 'JAN-DEC', '1,2,3', '?', 'L'),
      fc.string({ maxLength: 4 }),
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.array(field, { maxLength: 7 }).map((f) => f.join(' ')),
        ),
        (text) => {
          const problem = cronProblem(text);
          assert.ok(problem === undefined || (typeof problem === 'string' && problem.length > 0));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('PSI is finite and at least 0 on any finite samples', () => {
    fc.assert(
      fc.property(finiteSample, finiteSample, fc.integer({ min: 1, max: 20 }), (a, b, bins) => {
        const psi = populationStabilityIndex(a, b, { bins });
        assert.ok(Number.isFinite(psi) && psi >= 0, String(psi));
      }),
      RUNS,
    );
  });

  it('the KS test gives D and p in [0, 1] on any finite samples', () => {
    fc.assert(
      fc.property(finiteSample, finiteSample, (a, b) => {
        const { statistic, pvalue } = ksTwoSample(a, b);
        assert.ok(statistic >= 0 && statistic <= 1, `D ${statistic}`);
        assert.ok(pvalue >= 0 && pvalue <= 1, `p ${pvalue}`);
      }),
      RUNS,
    );
  });

  it('the two-proportion z-test gives p in [0, 1] on any valid counts', () => {
    fc.assert(
      fc.property(
        proportion(1),
        proportion(1),
        fc.constantFrom('two-sided', 'greater', 'less') as fc.Arbitrary<'two-sided'>,
        (a, b, alternative) => {
          const { pValue, confidenceInterval } = twoProportionZTest(a, b, { alternative });
          assert.ok(pValue >= 0 && pValue <= 1, `p ${pValue}`);
          assert.ok(confidenceInterval[0] <= confidenceInterval[1]);
        },
      ),
      RUNS,
    );
  });

  it('decideAbTest never throws on valid counts, through a run of sequential looks', () => {
    const looks = fc.array(fc.tuple(proportion(0), proportion(0)), { minLength: 1, maxLength: 5 });
    fc.assert(
      fc.property(
        looks,
        fc.constantFrom('fixed-horizon', 'sequential') as fc.Arbitrary<'sequential'>,
        fc.double({ min: 0.001, max: 0.5, noNaN: true }),
        fc.boolean(),
        (steps, method, alpha, horizonReached) => {
          let state: ReturnType<typeof decideAbTest>['sequentialState'];
          for (const [control, treatment] of steps) {
            const d = decideAbTest({ control, treatment, alpha, method, horizonReached, sequentialState: state });
            assert.ok(['control', 'treatment', 'none'].includes(d.winner));
            assert.ok(d.pValue >= 0 && d.pValue <= 1, `p ${d.pValue}`);
            assert.ok(d.reason.length > 0);
            state = d.sequentialState;
          }
        },
      ),
      RUNS,
    );
  });
});
