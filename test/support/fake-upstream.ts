/**
 * Fake of a model server (a variant the gateway routes to), for the gateway tests: answers
 * `POST /v2/models/<model>/infer` as an Open Inference Protocol v2 server would, with a deterministic
 * output (`value` for every row), and can be told to fail or to answer slowly. It stands in for
 * the project's model server so that routing, capture and error handling are tested in milliseconds
 * without the venv, with predictions a test can assert exactly; test/support/serving.ts runs the real one.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeUpstream {
  url: string;
  /** Request bodies received, newest last. */
  received: { model: string; body: { id?: string; inputs: { data: unknown[]; shape: number[] }[] } }[];
  /** Answer every request with this status (and an error body) instead of a prediction. */
  failWith: number | undefined;
  /** Wait this long before answering. */
  delayMs: number;
  close(): Promise<void>;
}

/** Starts a fake upstream on a free loopback port whose predictions are all `value`. */
export async function startFakeUpstream(value: number): Promise<FakeUpstream> {
  const fake: FakeUpstream = {
    url: '',
    received: [],
    failWith: undefined,
    delayMs: 0,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const match = /^\/v2\/models\/([^/]+)\/infer$/.exec(req.url ?? '');
      const answer = () => {
        if (!match || req.method !== 'POST') {
          res.writeHead(404).end();
          return;
        }
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as FakeUpstream['received'][number]['body'];
        fake.received.push({ model: decodeURIComponent(match[1] ?? ''), body });
        if (fake.failWith !== undefined) {
          res
            .writeHead(fake.failWith, { 'content-type': 'application/json' })
            .end('{"error":"fake upstream told to fail"}');
          return;
        }
        const rows = body.inputs[0]?.shape[0] ?? 1;
        const reply = {
          model_name: match[1],
          id: body.id,
          outputs: [
            { name: 'predict', shape: [rows], datatype: 'FP64', data: Array.from({ length: rows }, () => value) },
          ],
        };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(reply));
      };
      if (fake.delayMs > 0) setTimeout(answer, fake.delayMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = fake.close;
  fake.close = () => {
    server.closeAllConnections();
    return close();
  };
  return fake;
}
