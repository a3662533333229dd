/**
 * Reading evaluation.json beyond binary classification: a regression's residuals and a multiclass
 * confusion matrix come back as written; a malformed or oversized one is refused naming the file
 * and the field.
 */
import assert from 'node:assert/strict';
import { MAX_RESIDUALS, parseEvaluation } from '../../activities/evaluation';
import { EvaluationInvalidError } from '../../common/failures';

const KEY = 'experiments/forecast/run/eval/output/evaluation.json';

function parse(value: object) {
  return parseEvaluation(JSON.stringify(value), KEY);
}

function refuses(value: object, message: RegExp) {
  assert.throws(
    () => parse(value),
    (error: unknown) => {
      assert.ok(error instanceof EvaluationInvalidError, `an EvaluationInvalidError, got ${String(error)}`);
      assert.ok(error.message.startsWith(`${KEY}: `), `names the file: ${error.message}`);
      assert.match(error.message, message);
      return true;
    },
  );
}

const regression = { task: 'regression', rmse: 10.2, mae: 7.7, r2: 0.88, n: 3 };
const multiclass = { task: 'multiclass', accuracy: 0.8, macro_f1: 0.74, log_loss: 0.6 };

describe('evaluation.json of every task', () => {
  it('reads a file without task as binary, and leaves task out of its summary', () => {
    const file = parse({ auc: 0.8 });
    assert.equal(file.task, 'binary');
    assert.deepEqual(file.summary, { metrics: { auc: 0.8 }, segments: {} });
  });

  it('reads a regression: its metrics, task and residual points', () => {
    const residuals = [
      { predicted: 10, actual: 12 },
      { predicted: 5.5, actual: 5 },
    ];
    const file = parse({ ...regression, residuals, segments: { store: { s1: { count: 2, rmse: 1.5 } } } });
    assert.equal(file.task, 'regression');
    assert.deepEqual(file.summary.metrics, { rmse: 10.2, mae: 7.7, r2: 0.88, n: 3 });
    assert.equal(file.summary.task, 'regression');
    assert.deepEqual(file.residuals, residuals);
    assert.deepEqual(file.summary.segments.store, { s1: { count: 2, rmse: 1.5 } });
  });

  it('reads a multiclass confusion matrix', () => {
    const confusion_matrix = {
      labels: ['a', 'b'],
      counts: [
        [5, 1],
        [2, 7],
      ],
    };
    const file = parse({ ...multiclass, confusion_matrix });
    assert.equal(file.task, 'multiclass');
    assert.deepEqual(file.confusionMatrix, confusion_matrix);
  });

  it('refuses an unknown task, naming the field', () => {
    refuses({ ...regression, task: 'ranking' }, /task must be one of binary, multiclass, regression, got "ranking"/);
  });

  it('refuses malformed residuals, naming the point', () => {
    refuses({ ...regression, residuals: { predicted: 1 } }, /residuals must be an array/);
    refuses(
      {
        ...regression,
        residuals: [
          { predicted: 1, actual: 2 },
          { predicted: 'x', actual: 2 },
        ],
      },
      /residuals\[1\]/,
    );
    const many = Array.from({ length: MAX_RESIDUALS + 1 }, (_, i) => ({ predicted: i, actual: i }));
    refuses({ ...regression, residuals: many }, /residuals has 501 points, at most 500/);
  });

  it('refuses a malformed confusion matrix, naming the field', () => {
    const bad = (confusion_matrix: unknown) => ({ ...multiclass, confusion_matrix });
    refuses(bad([[1]]), /confusion_matrix must be an object \{ labels, counts \}/);
    refuses(bad({ labels: [], counts: [] }), /confusion_matrix\.labels must be a non-empty array/);
    refuses(
      bad({
        labels: ['a', 'a'],
        counts: [
          [1, 0],
          [0, 1],
        ],
      }),
      /confusion_matrix\.labels names a class twice/,
    );
    refuses(
      bad({ labels: ['a', 'b'], counts: [[1, 0]] }),
      /confusion_matrix\.counts must have one row per label \(2\)/,
    );
    refuses(
      bad({ labels: ['a', 'b'], counts: [[1, 0], [1]] }),
      /confusion_matrix\.counts\[1\] must have one count per label/,
    );
    refuses(
      bad({
        labels: ['a', 'b'],
        counts: [
          [1, 0],
          [1, -2],
        ],
      }),
      /confusion_matrix\.counts\[1\]\[1\] must be a count/,
    );
    refuses(
      bad({
        labels: ['a', 'b'],
        counts: [
          [1, 0.5],
          [1, 2],
        ],
      }),
      /confusion_matrix\.counts\[0\]\[1\] must be a count/,
    );
  });
});
