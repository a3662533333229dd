import assert from 'node:assert/strict';
import { sweepSectionSchema, sweepSpecSchema } from '../../common/schemas/sweep';
import { medianStoppingDecision, sweepTrials } from '../../common/sweep-plan';

const base = {
  objective: { metric: 'val_auc', direction: 'maximize' as const },
};

function section(extra: Record<string, unknown>) {
  return sweepSectionSchema.parse({ ...base, ...extra });
}

describe('sweep search spaces', () => {
  it('expands a grid into every combination, first param (by name) varying slowest', () => {
    const trials = sweepTrials(
      section({
        algorithm: 'grid',
        space: { depth: { type: 'int', min: 2, max: 6, step: 2 }, act: { type: 'choice', values: ['relu', 'tanh'] } },
      }),
    );
    assert.deepEqual(trials, [
      { act: 'relu', depth: 2 },
      { act: 'relu', depth: 4 },
      { act: 'relu', depth: 6 },
      { act: 'tanh', depth: 2 },
      { act: 'tanh', depth: 4 },
      { act: 'tanh', depth: 6 },
    ]);
  });

  it('spaces continuous grid points evenly, in log space for loguniform, and caps at maxTrials', () => {
    const trials = sweepTrials(
      section({ algorithm: 'grid', space: { lr: { type: 'loguniform', min: 0.001, max: 0.1, gridPoints: 3 } } }),
    );
    assert.deepEqual(
      trials.map((t) => t.lr),
      [0.001, 0.01, 0.1],
    );
    const capped = sweepTrials(
      section({
        algorithm: 'grid',
        maxTrials: 2,
        space: { x: { type: 'uniform', min: 0, max: 1, gridPoints: 5 } },
      }),
    );
    assert.deepEqual(
      capped.map((t) => t.x),
      [0, 0.25],
    );
  });

  it('samples random trials reproducibly from the seed, within each range and type', () => {
    const space = {
      lr: { type: 'loguniform', min: 0.001, max: 0.3 },
      depth: { type: 'int', min: 2, max: 8 },
      l2: { type: 'uniform', min: -1, max: 1 },
      leaf: { type: 'choice', values: [10, 20, 40] },
    };
    const a = sweepTrials(section({ algorithm: 'random', seed: 42, maxTrials: 400, space }));
    const b = sweepTrials(section({ algorithm: 'random', seed: 42, maxTrials: 400, space }));
    const c = sweepTrials(section({ algorithm: 'random', seed: 43, maxTrials: 400, space }));
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    assert.equal(a.length, 400);
    for (const t of a) {
      assert.ok((t.lr as number) >= 0.001 && (t.lr as number) <= 0.3);
      assert.ok(Number.isInteger(t.depth) && (t.depth as number) >= 2 && (t.depth as number) <= 8);
      assert.ok((t.l2 as number) >= -1 && (t.l2 as number) <= 1);
      assert.ok([10, 20, 40].includes(t.leaf as number));
    }
    // every int and choice value is reached, and loguniform spreads over decades (not bunched at the top)
    assert.equal(new Set(a.map((t) => t.depth)).size, 7);
    assert.equal(new Set(a.map((t) => t.leaf)).size, 3);
    const belowHundredth = a.filter((t) => (t.lr as number) < 0.01).length / a.length;
    // P(lr < 0.01) = log(10) / log(300) ≈ 0.40 for loguniform (a uniform draw would give ≈ 0.03)
    assert.ok(belowHundredth > 0.3 && belowHundredth < 0.5, String(belowHundredth));
  });

  it('rejects bad sections with the field path', () => {
    const problems = (extra: Record<string, unknown>) =>
      (sweepSectionSchema.safeParse({ ...base, ...extra }).error?.issues ?? []).map(
        (i) => `${i.path.join('.')}: ${i.message}`,
      );
    assert.deepEqual(problems({ algorithm: 'random', space: { x: { type: 'uniform', min: 0, max: 1 } } }), [
      'maxTrials: required for random search',
    ]);
    assert.match(
      problems({ algorithm: 'grid', space: { x: { type: 'uniform', min: 0, max: 1 } } }).join('\n'),
      /space\.x\.gridPoints: required/,
    );
    assert.match(
      problems({ algorithm: 'random', maxTrials: 3, space: { x: { type: 'loguniform', min: 0, max: 1 } } }).join(),
      /space\.x\.min: must be > 0/,
    );
    assert.match(
      problems({ algorithm: 'random', maxTrials: 3, space: { x: { type: 'int', min: 5, max: 5 } } }).join(),
      /space\.x\.max: must be > min/,
    );
    assert.match(
      problems({ algorithm: 'random', maxTrials: 3, space: { x: { type: 'normal', min: 0, max: 1 } } }).join(),
      /space\.x/,
    );
    assert.match(problems({ algorithm: 'random', maxTrials: 3, space: {} }).join(), /space: needs at least one param/);
    assert.match(
      problems({
        algorithm: 'random',
        maxTrials: 3,
        parallelism: 0,
        space: { x: { type: 'choice', values: [1] } },
      }).join(),
      /parallelism/,
    );
  });

  it('parses a whole sweep file: a training job plus the sweep section, unknown keys refused', () => {
    const file = {
      name: 'churn-sweep',
      pipeline: 'churn',
      entrypoint: ['python', 'train.py'],
      sweep: { ...base, algorithm: 'random', maxTrials: 2, space: { x: { type: 'choice', values: [1, 2] } } },
    };
    const parsed = sweepSpecSchema.parse(file);
    assert.equal(parsed.sweep.parallelism, 2);
    assert.equal(parsed.backend, 'local');
    assert.equal(sweepSpecSchema.safeParse({ ...file, sweeps: {} }).success, false);
  });
});

describe('the median stopping rule', () => {
  const curve = (values: number[]) => values.map((value, i) => ({ step: i + 1, value }));
  const opts = { direction: 'maximize' as const, minSteps: 3, minTrials: 2 };

  it('stops a trial whose best is worse than the median of the peers running averages at its step', () => {
    const peers = [curve([0.6, 0.7, 0.8, 0.9]), curve([0.5, 0.6, 0.7, 0.8]), curve([0.1, 0.1, 0.1, 0.1])];
    // running averages up to step 3: 0.7, 0.6, 0.1 → median 0.6
    const decision = medianStoppingDecision(curve([0.3, 0.5, 0.55]), peers, opts);
    assert.deepEqual(decision, { stop: true, step: 3, best: 0.55, median: 0.6, peers: 3 });
    assert.equal(medianStoppingDecision(curve([0.3, 0.65, 0.5]), peers, opts)?.stop, false);
  });

  it('mirrors for minimize', () => {
    const peers = [curve([1, 0.9, 0.8]), curve([1.2, 1.1, 1.0])];
    const decision = medianStoppingDecision(curve([2, 1.5, 1.4]), peers, { ...opts, direction: 'minimize' });
    assert.equal(decision?.stop, true);
    // running averages up to step 3: 0.9 and 1.1
    assert.ok(Math.abs(decision!.median - 1.0) < 1e-12, String(decision?.median));
    assert.equal(medianStoppingDecision(curve([2, 0.5, 1.4]), peers, { ...opts, direction: 'minimize' })?.stop, false);
  });

  it('decides nothing before minSteps or with too few peers that reached the step', () => {
    const peers = [curve([0.9, 0.9, 0.9, 0.9]), curve([0.9, 0.9])];
    assert.equal(medianStoppingDecision(curve([0.1, 0.1]), peers, opts), undefined);
    // only one peer reached step 3
    assert.equal(medianStoppingDecision(curve([0.1, 0.1, 0.1]), peers, opts), undefined);
    assert.equal(medianStoppingDecision([], peers, opts), undefined);
  });

  it('ignores NaN values and counts a repeated step once (the last written)', () => {
    const peers = [[...curve([0.9, 0.9, 0.9]), { step: 3, value: 0.9 }], curve([0.8, Number.NaN, 0.8])];
    const decision = medianStoppingDecision(curve([0.1, Number.NaN, 0.2]), peers, opts);
    assert.deepEqual(
      { ...decision, median: decision?.median.toFixed(12) },
      {
        stop: true,
        step: 3,
        best: 0.2,
        median: '0.850000000000',
        peers: 2,
      },
    );
  });
});
