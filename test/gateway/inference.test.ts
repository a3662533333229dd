import assert from 'node:assert/strict';
import { checkPutEndpoint } from '../../common/schemas/gateway-api';
import { captureKey } from '../../gateway/capture';
import { checkInferRequest, chooseVariant, firstNumericOutput, requestForModel } from '../../gateway/inference';
import type { EndpointState, VariantSpec } from '../../common/schemas/gateway-api';

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

  it("sends a pandas request's columns in the order the variant's model recorded, leaving the others out", () => {
    const column = (name: string, data: unknown[]) => ({ name, shape: [data.length], datatype: 'INT64', data });
    const request = {
      parameters: { content_type: 'pd' },
      inputs: [column('id', [7]), column('a', [1]), column('b', [2]), column('label', [0])],
    };
    const variant: VariantSpec = {
      name: 'm-v1',
      upstream: 'http://127.0.0.1:1',
      modelName: 'm-v1',
      inputs: ['b', 'a'],
    };
    assert.deepEqual(requestForModel(request, variant), {
      parameters: { content_type: 'pd' },
      inputs: [column('b', [2]), column('a', [1])],
    });
    // another model, trained with the other order, gets its own
    assert.deepEqual(
      requestForModel(request, { ...variant, inputs: ['a', 'b'] }).inputs.map((i) => i.name),
      ['a', 'b'],
    );
    // as sent: a variant that recorded no inputs, a request lacking one of them, or one that is not a DataFrame
    assert.equal(requestForModel(request, { ...variant, inputs: undefined }), request);
    assert.equal(requestForModel(request, { ...variant, inputs: ['b', 'c'] }), request);
    const tensors = { ...request, parameters: {} };
    assert.equal(requestForModel(tensors, variant), tensors);
  });

  it("keeps a variant's recorded inputs, and refuses a column named twice", () => {
    const body = (inputs: unknown) => ({
      variants: [{ name: 'a', upstream: 'http://127.0.0.1:1', modelName: 'm', inputs }],
      weights: { a: 100 },
    });
    const checked = checkPutEndpoint(body(['y', 'x']));
    assert.ok(checked.ok);
    assert.deepEqual(checked.value.variants[0]?.inputs, ['y', 'x']);
    const twice = checkPutEndpoint(body(['x', 'x']));
    assert.ok(
      !twice.ok && /variants\.0\.inputs: must not name a column twice/.test(twice.error),
      JSON.stringify(twice),
    );
  });

  it('names capture objects by endpoint, kind, UTC day and hour', () => {
    const key = captureKey('churn', 'feedback', new Date('2026-01-02T03:04:05.678Z'));
    assert.match(key, /^endpoints\/churn\/feedback\/2026-01-02\/03\/030405678-[0-9a-f]{8}\.ndjson$/);
  });
});
