/**
 * The demo's synthetic customers: rows of a churn CSV sent through the gateway as inference
 * requests at a steady rate, each followed by its true outcome as a feedback label.
 */
import fs from 'node:fs';
import { toInferenceRequest } from '../../../activities/serving/inference-request';
import { ENDPOINT, TRAFFIC_PER_SECOND } from './example';

/** One CSV row: column → cell text. */
export type Row = Record<string, string>;

/** The rows of a churn CSV (examples/churn/generate_data.py writes no quoted cells). */
export function readRows(file: string): Row[] {
  const [header, ...lines] = fs.readFileSync(file, 'utf8').trim().split('\n');
  const names = header!.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((cell, i) => [names[i]!, cell])));
}

/**
 * Synthetic customers: one request per row through the gateway, then its true outcome as a label,
 * posted with the endpoint's feedback token (`feedbackToken` reads it from the gateway's admin API).
 */
export class Traffic {
  requests = 0;
  labels = 0;
  private running = false;
  private loops: Promise<void>[] = [];
  private next = 0;
  private token: Promise<string> | undefined;

  constructor(
    private readonly gatewayUrl: string,
    private rows: Row[],
    private readonly feedbackToken: () => Promise<string>,
  ) {}

  start(): void {
    this.running = true;
    const senders = 4;
    for (let i = 0; i < senders; i++) this.loops.push(this.loop((1000 * senders) / TRAFFIC_PER_SECOND));
  }

  /** Sends these rows from now on (the customers have changed). */
  switchTo(rows: Row[]): void {
    this.rows = rows;
    this.next = 0;
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async loop(pauseMs: number): Promise<void> {
    while (this.running) {
      const started = Date.now();
      const row = this.rows[this.next++ % this.rows.length]!;
      const { churned, customer_id: _id, ...features } = row;
      const values = Object.fromEntries(
        Object.entries(features).map(([k, v]) => [k, /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v]),
      );
      try {
        const res = await fetch(`${this.gatewayUrl}/v2/models/${ENDPOINT}/infer`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(toInferenceRequest([values])),
        });
        await res.arrayBuffer();
        this.requests += 1;
        const requestId = res.headers.get('x-request-id');
        if (res.ok && requestId) {
          this.token ??= this.feedbackToken();
          const fb = await fetch(`${this.gatewayUrl}/v2/models/${ENDPOINT}/feedback`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${await this.token}` },
            body: JSON.stringify({ requestId, label: Number(churned) }),
          });
          await fb.arrayBuffer();
          if (fb.ok) this.labels += 1;
          else if (fb.status === 401 || fb.status === 403) this.token = undefined; // read it again next time
        }
      } catch {
        // the gateway restarting or a variant moving: the next request tries again
        this.token = undefined;
      }
      await new Promise((r) => setTimeout(r, Math.max(0, pauseMs - (Date.now() - started))));
    }
  }
}
