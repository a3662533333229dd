/** Reading log text and the metric stream out of one Ray job log by byte offsets. */
import assert from 'node:assert/strict';
import { logTextFrom, metricPointsFrom, metricStream, tailOf } from '../../activities/training/ray-log';

const metric = (step: number, value: number) => `MLOPS_METRIC {"step": ${step}, "name": "loss", "value": ${value}}\n`;

describe('ray job log', function () {
  it('gives log text without metric lines, and metric points from complete lines only', function () {
    const log = Buffer.from(`first\n${metric(1, 0.5)}second\nMLOPS_METRIC {"step": 2,`);
    const text = logTextFrom(log, 0);
    assert.equal(text.text, 'first\nsecond\n', 'the partial metric line is held back');
    const points = metricPointsFrom(log, 0);
    assert.deepEqual(points.points, [{ step: 1, name: 'loss', value: 0.5 }]);
    const grown = Buffer.concat([log, Buffer.from(` "name": "loss", "value": 0.25}\nthird`)]);
    assert.deepEqual(logTextFrom(grown, text.next), { text: 'third', next: grown.length });
    assert.deepEqual(metricPointsFrom(grown, points.next).points, [{ step: 2, name: 'loss', value: 0.25 }]);
    assert.deepEqual(metricPointsFrom(grown, metricPointsFrom(grown, points.next).next).points, []);
  });

  it('finds a metric appended to a line the job left unfinished, and skips malformed ones', function () {
    const log = `partial${metric(3, 0.1)}MLOPS_METRIC not json\n`;
    assert.deepEqual(metricPointsFrom(Buffer.from(log), 0).points, [{ step: 3, name: 'loss', value: 0.1 }]);
    assert.equal(metricStream(`a\n${metric(1, 0.5)}b\n`), '{"step": 1, "name": "loss", "value": 0.5}\n');
  });

  it('never cuts a UTF-8 character in two', function () {
    const log = Buffer.from('héllo\n');
    const cut = log.subarray(0, 2); // 'h' and the first byte of 'é'
    assert.deepEqual(logTextFrom(cut, 0), { text: 'h', next: 1 });
  });

  it('quotes the last lines of a log without its metric lines', function () {
    assert.equal(tailOf(`one\ntwo\n${metric(1, 1)}three\n`, 2), 'two\nthree');
  });
});
