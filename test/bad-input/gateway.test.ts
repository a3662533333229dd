/**
 * Bad requests to the inference gateway (in-process, upstreams faked as in test/gateway): each
 * answered with the right 4xx and an error naming the field, the endpoint state and its state file
 * unchanged, no label counted, and the gateway still serving.
 */
import assert from 'node:assert/strict';
import { inferBody, startHarness, TOKEN, type Harness } from '../gateway/harness';

interface BadRequest {
  what: string;
  port: 'public' | 'admin';
  method?: string;
  path: string;
  /** An object is sent as JSON, a string as is; a function gets the harness (for the upstreams' URLs). */
  body?: unknown;
  headers?: Record<string, string>;
  /** Admin only: the bearer token (default: the right one; null: none). */
  token?: string | null;
  status: number;
  error: RegExp;
}

const infer = '/v2/models/churn/infer';
const feedback = '/v2/models/churn/feedback';
const variant = (name: string, upstream: string) => ({ name, upstream, modelName: 'churn' });

const PUBLIC: BadRequest[] = [
  { what: 'malformed JSON', port: 'public', path: infer, body: '{"inputs": [', status: 400, error: /not valid JSON/ },
  {
    what: 'a content type other than JSON',
    port: 'public',
    path: infer,
    body: JSON.stringify(inferBody()),
    headers: { 'content-type': 'text/plain' },
    status: 415,
    error: /content-type/,
  },
  {
    what: 'no inputs',
    port: 'public',
    path: infer,
    body: { inputs: [] },
    status: 400,
    error: /inputs: must not be empty/,
  },
  {
    what: 'inputs that are not a list',
    port: 'public',
    path: infer,
    body: { id: 'x' },
    status: 400,
    error: /inputs: must be an array/,
  },
  {
    what: 'data that does not fill its shape',
    port: 'public',
    path: infer,
    body: { inputs: [{ name: 'x', shape: [2, 2], datatype: 'FP64', data: [1, 2, 3] }] },
    status: 400,
    error: /inputs\[0\]\.data: has 3 elements but shape \[2, 2\] needs 4/,
  },
  {
    what: 'a value out of its datatype’s range',
    port: 'public',
    path: infer,
    body: { inputs: [{ name: 'x', shape: [1], datatype: 'INT8', data: [1000] }] },
    status: 400,
    error: /inputs\[0\]\.data\[0\]/,
  },
  {
    what: 'an unknown datatype',
    port: 'public',
    path: infer,
    body: { inputs: [{ name: 'x', shape: [1], datatype: 'FP99', data: [1] }] },
    status: 400,
    error: /inputs\[0\]\.datatype/,
  },
  {
    what: 'an input without a name',
    port: 'public',
    path: infer,
    body: { inputs: [{ shape: [1], datatype: 'FP32', data: [1] }] },
    status: 400,
    error: /inputs\[0\]\.name/,
  },
  {
    what: 'a body over the limit',
    port: 'public',
    path: infer,
    body: 'x'.repeat(70 * 1024),
    status: 413,
    error: /limit/,
  },
  {
    what: 'a request id with a line break',
    port: 'public',
    path: infer,
    body: { ...inferBody(), id: 'line\nbreak' },
    status: 400,
    error: /^id: /,
  },
  {
    what: 'an unknown endpoint',
    port: 'public',
    path: '/v2/models/nope/infer',
    body: inferBody(),
    status: 404,
    error: /"nope" not found|nope/,
  },
  {
    what: 'an unknown path',
    port: 'public',
    path: '/v2/models/churn/explain',
    body: inferBody(),
    status: 404,
    error: /no such path: POST \/v2\/models\/churn\/explain/,
  },
  { what: 'GET on the inference path', port: 'public', method: 'GET', path: infer, status: 405, error: /POST/ },
  {
    what: 'feedback without a request id',
    port: 'public',
    path: feedback,
    body: { label: 1 },
    status: 400,
    error: /^body\.requestId: must be a non-empty string/,
  },
  {
    what: 'feedback with an object as its label',
    port: 'public',
    path: feedback,
    body: [
      { requestId: 'r1', label: 1 },
      { requestId: 'r2', label: { churned: true } },
    ],
    status: 400,
    error: /^\[1\]\.label: must be a finite number or a string/,
  },
  {
    what: 'feedback of no labels',
    port: 'public',
    path: feedback,
    body: [],
    status: 400,
    error: /^body: must hold at least one/,
  },
  {
    what: 'feedback that is a bare string',
    port: 'public',
    path: feedback,
    body: '"churned"',
    status: 400,
    error: /^body: must be an object/,
  },
];

const ADMIN: BadRequest[] = [
  {
    what: 'an admin call without a token',
    port: 'admin',
    path: '/admin/endpoints',
    token: null,
    status: 401,
    error: /authorization: a valid `Bearer <token>`/,
  },
  {
    what: 'an admin change with a wrong token',
    port: 'admin',
    method: 'PUT',
    path: '/admin/endpoints/churn/weights',
    body: { weights: { blue: 0, green: 100 } },
    token: 'wrong',
    status: 401,
    error: /authorization/,
  },
  {
    what: 'weights that do not sum to 100',
    port: 'admin',
    method: 'PUT',
    path: '/admin/endpoints/churn/weights',
    body: { weights: { blue: 50, green: 40 } },
    status: 400,
    error: /weights: must sum to 100, got 90/,
  },
  {
    what: 'fractional weights',
    port: 'admin',
    method: 'PUT',
    path: '/admin/endpoints/churn/weights',
    body: { weights: { blue: 50.5, green: 49.5 } },
    status: 400,
    error: /weights/,
  },
  {
    what: 'a weight for a variant the endpoint lacks',
    port: 'admin',
    method: 'PUT',
    path: '/admin/endpoints/churn/weights',
    body: { weights: { blue: 50, purple: 50 } },
    status: 400,
    error: /weights: "purple" is not a variant/,
  },
  {
    what: 'a variant with a bad name',
    port: 'admin',
    method: 'PUT',
    path: '/admin/endpoints/churn',
    body: (h: Harness) => ({ variants: [variant('Blue!', h.blue.url)], weights: { 'Blue!': 100 } }),
    status: 400,
    error: /variants\.0\.name/,
  },
  {
    what: 'a variant upstream that is not http',
    port: 'admin',
    method: 'PUT',
    path: '/admin/endpoints/churn',
    body: { variants: [variant('a', 'ftp://x')], weights: { a: 100 } },
    status: 400,
    error: /variants\.0\.upstream/,
  },
  {
    what: 'malformed JSON to the admin API',
    port: 'admin',
    method: 'PUT',
    path: '/admin/endpoints/churn/weights',
    body: '{"weights": {',
    status: 400,
    error: /JSON/,
  },
  {
    what: 'an endpoint name with a space',
    port: 'admin',
    method: 'PUT',
    path: '/admin/endpoints/my%20model',
    body: (h: Harness) => ({ variants: [variant('a', h.blue.url)], weights: { a: 100 } }),
    status: 400,
    error: /^endpoint: /,
  },
];

describe('bad input: the inference gateway', function () {
  this.timeout(60_000);

  let h: Harness;
  let state: unknown;
  let stateEtag: string | undefined;

  before(async () => {
    h = await startHarness();
    state = await h.admin.listEndpoints();
    stateEtag = (await h.store.head('gateway/state.json'))?.etag;
  });
  after(async () => {
    await h?.close();
  });

  async function send(c: BadRequest): Promise<Response> {
    const base = c.port === 'public' ? h.gateway.url : h.gateway.adminUrl;
    const token = c.token === undefined ? TOKEN : c.token;
    const body = typeof c.body === 'function' ? (c.body as (h: Harness) => unknown)(h) : c.body;
    return fetch(`${base}${c.path}`, {
      method: c.method ?? 'POST',
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        // the admin token is also good for feedback: these cases are about the body, not the credential
        ...((c.port === 'admin' || c.path === feedback) && token !== null ? { authorization: `Bearer ${token}` } : {}),
        ...c.headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
  }

  async function feedbackCount(): Promise<string[]> {
    const text = await (await fetch(`${h.gateway.url}/metrics`)).text();
    return text.split('\n').filter((l) => l.startsWith('mlops_gateway_feedback_total'));
  }

  async function assertRefused(c: BadRequest) {
    const labels = await feedbackCount();
    const res = await send(c);
    const body = (await res.json()) as { error?: string };
    assert.equal(res.status, c.status, `${c.what}: ${JSON.stringify(body)}`);
    assert.match(body.error ?? '', c.error);
    assert.deepEqual(await h.admin.listEndpoints(), state, 'the endpoint state changed');
    assert.equal((await h.store.head('gateway/state.json'))?.etag, stateEtag, 'the stored state changed');
    assert.deepEqual(await feedbackCount(), labels, 'a label was counted');
  }

  for (const c of PUBLIC) it(`answers ${c.status} to ${c.what}, naming the problem`, () => assertRefused(c));
  for (const c of ADMIN)
    it(`refuses ${c.what} with ${c.status}, leaving the endpoints as they were`, () => assertRefused(c));

  it('keeps serving and counting labels after all of them', async () => {
    const requestId = await h.issuedId('churn', 'after-bad-input');
    const labelled = await send({
      what: 'a good label',
      port: 'public',
      path: feedback,
      body: { requestId, label: 1 },
      status: 202,
      error: /./,
    });
    assert.equal(labelled.status, 202);
    assert.match((await feedbackCount()).join('\n'), /mlops_gateway_feedback_total\{endpoint="churn"\} 1/);
  });
});
