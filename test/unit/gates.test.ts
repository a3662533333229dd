import assert from 'node:assert/strict';
import { configuredGates, evaluateGates, type EvaluationSummary, type GateInput } from '../../common/gates';
import type { GatesSpec } from '../../common/schemas/spec';

function gates(extra: Partial<GatesSpec>): GatesSpec {
  return { thresholds: {}, ...extra };
}

function decide(input: Partial<GateInput> & { gates: GatesSpec; candidate: EvaluationSummary }) {
  return evaluateGates({ primaryMetric: 'auc', direction: 'maximize', ...input });
}

function reason(decision: ReturnType<typeof evaluateGates>, gate: string) {
  const found = decision.reasons.find((r) => r.gate === gate);
  assert.ok(found, `no result for ${gate} in ${JSON.stringify(decision.reasons)}`);
  return found;
}

const segments = (auc: Record<string, number | null>, count = 100) => ({
  plan: Object.fromEntries(Object.entries(auc).map(([value, a]) => [value, { count, auc: a, accuracy: 0.8 }])),
});

describe('evaluation gates', () => {
  it('passes thresholds the candidate meets, with the numbers', () => {
    const decision = decide({
      gates: gates({ thresholds: { auc: { min: 0.75 }, log_loss: { max: 0.6 } } }),
      candidate: { metrics: { auc: 0.812, log_loss: 0.52 } },
    });
    assert.equal(decision.passed, true);
    assert.deepEqual(reason(decision, 'thresholds.auc.min'), {
      gate: 'thresholds.auc.min',
      passed: true,
      message: 'auc 0.812 ≥ 0.75',
      actual: 0.812,
      limit: 0.75,
    });
    assert.equal(reason(decision, 'thresholds.log_loss.max').message, 'log_loss 0.52 ≤ 0.6');
  });

  it('fails a threshold the candidate misses, and says which bound', () => {
    const decision = decide({
      gates: gates({ thresholds: { auc: { min: 0.75, max: 0.99 }, log_loss: { max: 0.6 } } }),
      candidate: { metrics: { auc: 0.712, log_loss: 0.71 } },
    });
    assert.equal(decision.passed, false);
    assert.equal(reason(decision, 'thresholds.auc.min').message, 'auc 0.712 < 0.75 (the minimum)');
    assert.equal(reason(decision, 'thresholds.auc.max').passed, true);
    assert.equal(reason(decision, 'thresholds.log_loss.max').message, 'log_loss 0.71 > 0.6 (the maximum)');
    assert.equal(decision.reasons.length, 3);
  });

  it('treats a value exactly at the limit as meeting it, despite floating-point noise', () => {
    const decision = decide({
      gates: gates({ thresholds: { auc: { min: 0.3 } } }),
      candidate: { metrics: { auc: 0.1 + 0.2 - 1e-15 } },
    });
    assert.equal(decision.passed, true);
  });

  it('fails a gate whose metric is missing or null, saying so', () => {
    const decision = decide({
      gates: gates({ thresholds: { f1: { min: 0.5 }, auc: { min: 0.7 } }, maxCalibrationError: 0.1 }),
      candidate: { metrics: { auc: null } },
    });
    assert.equal(decision.passed, false);
    assert.equal(reason(decision, 'thresholds.f1.min').message, "f1 is missing from the candidate's evaluation");
    assert.equal(reason(decision, 'thresholds.auc.min').passed, false);
    assert.equal(
      reason(decision, 'maxCalibrationError').message,
      "expected_calibration_error is missing from the candidate's evaluation",
    );
  });

  it('checks the calibration error', () => {
    const ok = decide({
      gates: gates({ maxCalibrationError: 0.1 }),
      candidate: { metrics: { expected_calibration_error: 0.04 } },
    });
    assert.equal(ok.passed, true);
    assert.equal(reason(ok, 'maxCalibrationError').message, 'expected_calibration_error 0.04 ≤ 0.1');
    const bad = decide({
      gates: gates({ maxCalibrationError: 0.1 }),
      candidate: { metrics: { expected_calibration_error: 0.153 } },
    });
    assert.equal(bad.passed, false);
    assert.deepEqual(reason(bad, 'maxCalibrationError'), {
      gate: 'maxCalibrationError',
      passed: false,
      message: 'expected_calibration_error 0.153 > 0.1 (the maximum)',
      actual: 0.153,
      limit: 0.1,
    });
  });

  it('requires the primary metric to beat the champion by minImprovement', () => {
    const better = decide({
      gates: gates({ minImprovement: 0.005 }),
      candidate: { metrics: { auc: 0.83 } },
      champion: { metrics: { auc: 0.815 } },
    });
    assert.equal(better.passed, true);
    assert.equal(
      reason(better, 'minImprovement').message,
      "auc 0.83 improves on the champion's 0.815 by 0.015, at least the required 0.005",
    );
    const worse = decide({
      gates: gates({ minImprovement: 0.005 }),
      candidate: { metrics: { auc: 0.801 } },
      champion: { metrics: { auc: 0.815 } },
    });
    assert.equal(worse.passed, false);
    assert.equal(
      reason(worse, 'minImprovement').message,
      "auc 0.801 improves on the champion's 0.815 by -0.014, less than the required 0.005",
    );
    assert.equal(reason(worse, 'minImprovement').limit, 0.005);
  });

  it('reads improvement downwards for a metric to minimize', () => {
    const lower = decide({
      primaryMetric: 'log_loss',
      direction: 'minimize',
      gates: gates({ minImprovement: 0.01 }),
      candidate: { metrics: { log_loss: 0.4 } },
      champion: { metrics: { log_loss: 0.45 } },
    });
    assert.equal(lower.passed, true);
    assert.equal(
      reason(lower, 'minImprovement').message,
      "log_loss 0.4 improves on the champion's 0.45 by 0.05, at least the required 0.01",
    );
    const higher = decide({
      primaryMetric: 'log_loss',
      direction: 'minimize',
      gates: gates({ minImprovement: 0 }),
      candidate: { metrics: { log_loss: 0.47 } },
      champion: { metrics: { log_loss: 0.45 } },
    });
    assert.equal(higher.passed, false);
    assert.match(reason(higher, 'minImprovement').message, /by -0\.02, less than the required 0$/);
  });

  it('skips the champion gates when there is no champion, and says so', () => {
    const decision = decide({
      gates: gates({ minImprovement: 0.01, maxSegmentRegression: 0.03 }),
      candidate: { metrics: { auc: 0.7 }, segments: segments({ basic: 0.7 }) },
    });
    assert.equal(decision.passed, true);
    assert.match(reason(decision, 'minImprovement').message, /^skipped: no champion/);
    assert.match(reason(decision, 'maxSegmentRegression').message, /^skipped: no champion/);
  });

  it('fails minImprovement when the candidate lacks the primary metric', () => {
    const decision = decide({
      gates: gates({ minImprovement: 0 }),
      candidate: { metrics: {} },
      champion: { metrics: { auc: 0.8 } },
    });
    assert.equal(decision.passed, false);
    assert.equal(reason(decision, 'minImprovement').message, "auc is missing from the candidate's evaluation");
  });

  it('bounds the primary metric’s regression in every segment, naming each', () => {
    const decision = decide({
      gates: gates({ maxSegmentRegression: 0.03 }),
      candidate: {
        metrics: { auc: 0.82 },
        segments: segments({ basic: 0.81, premium: 0.7, standard: 0.79 }),
      },
      champion: {
        metrics: { auc: 0.81 },
        segments: segments({ basic: 0.8, premium: 0.78, standard: 0.8 }),
      },
    });
    assert.equal(decision.passed, false);
    assert.deepEqual(
      decision.reasons.map((r) => [r.gate, r.passed]),
      [
        ['maxSegmentRegression.plan=basic', true],
        ['maxSegmentRegression.plan=premium', false],
        ['maxSegmentRegression.plan=standard', true],
      ],
    );
    assert.equal(
      reason(decision, 'maxSegmentRegression.plan=premium').message,
      "plan=premium: auc 0.7 is 0.08 worse than the champion's 0.78, more than the allowed 0.03",
    );
    assert.equal(
      reason(decision, 'maxSegmentRegression.plan=standard').message,
      "plan=standard: auc 0.79 is 0.01 worse than the champion's 0.8, within the allowed 0.03",
    );
    assert.equal(
      reason(decision, 'maxSegmentRegression.plan=basic').message,
      "plan=basic: auc 0.81, no worse than the champion's 0.8",
    );
  });

  it('judges segment regression in the direction of the metric', () => {
    const decision = evaluateGates({
      primaryMetric: 'log_loss',
      direction: 'minimize',
      gates: gates({ maxSegmentRegression: 0.02 }),
      candidate: { metrics: { log_loss: 0.4 }, segments: { region: { north: { count: 50, log_loss: 0.5 } } } },
      champion: { metrics: { log_loss: 0.4 }, segments: { region: { north: { count: 50, log_loss: 0.45 } } } },
    });
    assert.equal(decision.passed, false);
    assert.match(reason(decision, 'maxSegmentRegression.region=north').message, /0\.05 worse/);
  });

  it('skips small segments and segments without the metric, listing them', () => {
    const decision = decide({
      gates: gates({ maxSegmentRegression: 0.01 }),
      candidate: {
        metrics: { auc: 0.8 },
        segments: {
          plan: { tiny: { count: 12, auc: 0.5 }, oneclass: { count: 200, auc: null }, basic: { count: 300, auc: 0.8 } },
        },
      },
      champion: {
        metrics: { auc: 0.8 },
        segments: {
          plan: { tiny: { count: 12, auc: 0.9 }, oneclass: { count: 200, auc: null }, basic: { count: 300, auc: 0.8 } },
        },
      },
    });
    assert.equal(decision.passed, true);
    assert.equal(reason(decision, 'maxSegmentRegression.plan=basic').passed, true);
    assert.equal(
      reason(decision, 'maxSegmentRegression').message,
      'skipped (fewer than 30 rows or no auc): plan=oneclass, plan=tiny',
    );
  });

  it('says so when no segment is in both evaluations', () => {
    const decision = decide({
      gates: gates({ maxSegmentRegression: 0.01 }),
      candidate: { metrics: { auc: 0.8 } },
      champion: { metrics: { auc: 0.8 } },
    });
    assert.equal(decision.passed, true);
    assert.equal(reason(decision, 'maxSegmentRegression').message, 'skipped: no segment is in both evaluations');
  });

  it('lists every gate in the decision, passed or not, and passes only when all do', () => {
    const spec = gates({
      thresholds: { auc: { min: 0.75 } },
      minImprovement: 0,
      maxSegmentRegression: 0.05,
      maxCalibrationError: 0.1,
    });
    assert.deepEqual(configuredGates(spec), [
      'thresholds.auc.min',
      'maxCalibrationError',
      'minImprovement',
      'maxSegmentRegression',
    ]);
    const decision = decide({
      gates: spec,
      candidate: { metrics: { auc: 0.8, expected_calibration_error: 0.2 }, segments: segments({ basic: 0.8 }) },
      champion: { metrics: { auc: 0.79 }, segments: segments({ basic: 0.79 }) },
    });
    assert.equal(decision.passed, false);
    assert.deepEqual(
      decision.reasons.map((r) => [r.gate, r.passed]),
      [
        ['thresholds.auc.min', true],
        ['maxCalibrationError', false],
        ['minImprovement', true],
        ['maxSegmentRegression.plan=basic', true],
      ],
    );
  });

  it('passes an empty set of gates', () => {
    assert.deepEqual(decide({ gates: gates({}), candidate: { metrics: {} } }), { passed: true, reasons: [] });
  });
  describe('regression', () => {
    const regression = (rmse: number, r2: number, stores: Record<string, number> = {}): EvaluationSummary => ({
      task: 'regression',
      metrics: { rmse, mae: rmse * 0.7, r2 },
      segments: { store: Object.fromEntries(Object.entries(stores).map(([s, v]) => [s, { count: 56, rmse: v }])) },
    });
    const rmse = { primaryMetric: 'rmse', direction: 'minimize' as const };

    it('requires rmse to fall by minImprovement below the champion’s', () => {
      const better = decide({
        ...rmse,
        gates: gates({ minImprovement: 0.5 }),
        candidate: regression(10.2, 0.88),
        champion: regression(14.1, 0.77),
      });
      assert.equal(better.passed, true);
      assert.equal(
        reason(better, 'minImprovement').message,
        "rmse 10.2 improves on the champion's 14.1 by 3.9, at least the required 0.5",
      );
      const worse = decide({
        ...rmse,
        gates: gates({ minImprovement: 0.5 }),
        candidate: regression(14.0, 0.78),
        champion: regression(14.1, 0.77),
      });
      assert.equal(worse.passed, false);
      assert.match(reason(worse, 'minImprovement').message, /by 0\.1, less than the required 0\.5/);
    });

    it('bounds r2 and rmse with thresholds', () => {
      const decision = decide({
        ...rmse,
        gates: gates({ thresholds: { r2: { min: 0.8 }, rmse: { max: 12 } } }),
        candidate: regression(13, 0.75),
      });
      assert.equal(decision.passed, false);
      assert.equal(reason(decision, 'thresholds.r2.min').message, 'r2 0.75 < 0.8 (the minimum)');
      assert.equal(reason(decision, 'thresholds.rmse.max').message, 'rmse 13 > 12 (the maximum)');
      const ok = decide({ ...rmse, gates: gates({ thresholds: { r2: { min: 0.8 } } }), candidate: regression(9, 0.9) });
      assert.equal(ok.passed, true);
    });

    it('judges per-store regression of rmse downwards', () => {
      const decision = decide({
        ...rmse,
        gates: gates({ maxSegmentRegression: 1 }),
        candidate: regression(10, 0.9, { s1: 9, s2: 13 }),
        champion: regression(11, 0.85, { s1: 10, s2: 11 }),
      });
      assert.equal(reason(decision, 'maxSegmentRegression.store=s1').passed, true);
      const s2 = reason(decision, 'maxSegmentRegression.store=s2');
      assert.equal(s2.passed, false);
      assert.equal(s2.actual, 2);
      assert.match(s2.message, /store=s2: rmse 13 is 2 worse than the champion's 11, more than the allowed 1/);
    });

    it('reports maxCalibrationError as not applicable instead of failing', () => {
      const decision = decide({
        ...rmse,
        gates: gates({ maxCalibrationError: 0.1 }),
        candidate: regression(10, 0.9),
      });
      assert.equal(decision.passed, true);
      const result = reason(decision, 'maxCalibrationError');
      assert.equal(result.notApplicable, true);
      assert.match(result.message, /^not applicable: .*this is a regression evaluation$/);
    });

    it('takes the task from the spec over the evaluation file', () => {
      const decision = decide({
        ...rmse,
        task: 'multiclass',
        gates: gates({ maxCalibrationError: 0.1 }),
        candidate: { metrics: { rmse: 1 } },
      });
      assert.match(reason(decision, 'maxCalibrationError').message, /this is a multiclass evaluation/);
      const binary = decide({ gates: gates({ maxCalibrationError: 0.1 }), candidate: { metrics: { auc: 0.8 } } });
      assert.equal(binary.passed, false, 'a binary evaluation without the calibration error still fails the gate');
    });
  });

  describe('multiclass', () => {
    const multiclass = (accuracy: number, macroF1: number, logLoss: number): EvaluationSummary => ({
      task: 'multiclass',
      metrics: { accuracy, macro_f1: macroF1, log_loss: logLoss },
    });

    it('gates macro F1 against the champion and log loss by a threshold', () => {
      const decision = evaluateGates({
        primaryMetric: 'macro_f1',
        direction: 'maximize',
        gates: gates({ minImprovement: 0.01, thresholds: { log_loss: { max: 0.9 } }, maxCalibrationError: 0.05 }),
        candidate: multiclass(0.81, 0.74, 0.62),
        champion: multiclass(0.8, 0.7, 0.7),
      });
      assert.equal(decision.passed, true);
      assert.equal(
        reason(decision, 'minImprovement').message,
        "macro_f1 0.74 improves on the champion's 0.7 by 0.04, at least the required 0.01",
      );
      assert.equal(reason(decision, 'thresholds.log_loss.max').message, 'log_loss 0.62 ≤ 0.9');
      assert.equal(reason(decision, 'maxCalibrationError').notApplicable, true);
      const worse = evaluateGates({
        primaryMetric: 'macro_f1',
        direction: 'maximize',
        gates: gates({ minImprovement: 0.01 }),
        candidate: multiclass(0.81, 0.69, 0.62),
        champion: multiclass(0.8, 0.7, 0.7),
      });
      assert.equal(worse.passed, false);
    });
  });
});
