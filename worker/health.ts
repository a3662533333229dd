/**
 * The worker's health endpoint (`mlops worker --health-port`), for Kubernetes probes and load
 * balancers: `GET /healthz` (liveness) answers 200 while no worker of the process has failed;
 * `GET /readyz` (readiness) answers 200 once every worker polls, 503 while starting or draining.
 * Both carry `{ workers: [{ taskQueue, state }] }`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Worker } from '@temporalio/worker';

export interface HealthServer {
  url: string;
  close(): Promise<void>;
}

export async function startHealthServer(
  workers: () => readonly Worker[],
  host: string,
  port: number,
): Promise<HealthServer> {
  const server = http.createServer((req, res) => {
    const path = req.url?.split('?')[0];
    const states = workers().map((w) => ({ taskQueue: w.options.taskQueue, state: w.getState() }));
    const send = (ok: boolean) => {
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok, workers: states }));
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET' });
      res.end();
    } else if (path === '/healthz') send(!states.some((s) => s.state === 'FAILED'));
    else if (path === '/readyz') send(states.length > 0 && states.every((s) => s.state === 'RUNNING'));
    else {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'GET /healthz or /readyz' }));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${address.address}]` : address.address}:${address.port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
