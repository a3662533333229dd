import assert from 'node:assert/strict';
import { checkPutEndpoint } from '../../common/schemas/gateway-api';
import { captureKey } from '../../gateway/capture';
import { checkInferRequest, chooseVariant, firstNumericOutput } from '../../gateway/inference';
import type { EndpointState } from '../../common/schemas/gateway-api';

const endpoint: EndpointState = {
  name: 'churn',
  revision: 1,
  variants: [
    { name: 'a', upstream: 'http://127.0.0.1:1', modelName: 'm' },
    { name: 'b', upstream: 'http://127.0.0.1:2', modelName: 'm' },
    { name: 'c', upstream: 'http://127.0.0.1:3', modelName: 'm' },
  ],
  weights: { a: 80, b: 0, c: 20 },
  capture: { sampleRate: 1, maxBatch: 100, flushSeconds: 10 },
  faults: {},
  updatedAt: new Date(0).toISOString(),
};

describe('gateway request rules (pure)', () => {
  it('accepts flat and exactly nested data, refuses ragged nesting', () => {
    const tensor = (data: unknown[]) => ({ inputs: [{ name: 'x', shape: [2, 2], datatype: 'INT32', data }] });
    assert.ok(checkInferRequest(tensor([1, 2, 3, 4])).ok);
    assert.ok(
      checkInferRequest(
        tensor([
          [1, 2],
          [3, 4],
        ]),
      ).ok,
    );
    const ragged = checkInferRequest(tensor([[1, 2, 3], [4]]));
    assert.ok(!ragged.ok && /nested arrays must follow shape/.test(ragged.error));
    const float = checkInferRequest(tensor([1.5, 2, 3, 4]));
    assert.ok(!float.ok && /data\[0\]: 1.5 is not a valid INT32/.test(float.error));
  });

  it('chooses variants by cumulative weight and never one at weight 0', () => {
    const pick = (r: number) => {
      const choice = chooseVariant(endpoint, undefined, r);
      return choice.ok ? choice.variant.name : choice.error;
    };
    assert.equal(pick(0), 'a');
    assert.equal(pick(0.7999), 'a');
    assert.equal(pick(0.8), 'c');
    assert.equal(pick(0.99999), 'c');
    const forced = chooseVariant(endpoint, 'b', 0.5);
    assert.ok(forced.ok && forced.variant.name === 'b');
    const none = chooseVariant({ ...endpoint, weights: { a: 0, b: 0, c: 0 } }, undefined, 0.5);
    assert.ok(!none.ok && none.status === 503);
  });

  it('takes the first numeric output as the prediction values', () => {
    const response = {
      outputs: [
        { name: 'label', datatype: 'BYTES', shape: [2], data: ['yes', 'no'] },
        { name: 'proba', datatype: 'FP32', shape: [2, 1], data: [[0.9], [0.1]] },
      ],
    };
    assert.deepEqual(firstNumericOutput(response), [0.9, 0.1]);
    assert.deepEqual(firstNumericOutput({ nope: 1 }), []);
  });

  it('fills missing weights with 0 and capture defaults', () => {
    const checked = checkPutEndpoint({
      variants: [
        { name: 'a', upstream: 'http://127.0.0.1:1/', modelName: 'm' },
        { name: 'b', upstream: 'http://127.0.0.1:2', modelName: 'm' },
      ],
      weights: { a: 100 },
      capture: { sampleRate: 0.1 },
    });
    assert.ok(checked.ok);
    assert.deepEqual(checked.value.weights, { a: 100, b: 0 });
    assert.deepEqual(checked.value.capture, { sampleRate: 0.1, maxBatch: 100, flushSeconds: 10 });
    assert.equal(checked.value.variants[0]?.upstream, 'http://127.0.0.1:1');
  });

  it('names capture objects by endpoint, kind, UTC day and hour', () => {
    const key = captureKey('churn', 'feedback', new Date('2026-01-02T03:04:05.678Z'));
    assert.match(key, /^endpoints\/churn\/feedback\/2026-01-02\/03\/030405678-[0-9a-f]{8}\.ndjson$/);
  });
});
