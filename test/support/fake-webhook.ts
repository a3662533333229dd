/**
 * Fake of a chat webhook (Slack's incoming webhooks, or anything that takes their JSON body): a
 * real HTTP server on 127.0.0.1 that records every request and answers with the statuses a test
 * queues (200 otherwise), or never answers. It stands in for the service the notify activity
 * posts to, which tests cannot reach, so what was posted and how each kind of answer is handled
 * can be asserted exactly.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** The body of a Slack-compatible post. */
export interface WebhookPost {
  text: string;
  blocks?: unknown[];
}

/** One request the fake received. */
export interface WebhookRequest {
  method: string;
  url: string;
  contentType: string | undefined;
  body: unknown;
}

export interface FakeWebhook {
  /** The URL to post to: the server's address and the path it was started with. */
  url: string;
  /** Every request received, in order. */
  received: WebhookRequest[];
  /** The bodies posted, in order (the same requests as `received`). */
  posts: WebhookPost[];
  /** Statuses to answer the next requests with, in order; 200 once they run out. */
  answers: number[];
  /** From now on, read requests but never answer them. */
  hangForever(): void;
  close(): Promise<void>;
}

/** Starts a fake webhook on a free loopback port whose URL ends in `urlPath`. */
export async function startFakeWebhook(urlPath = '/hooks/test'): Promise<FakeWebhook> {
  let hang = false;
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      const body = JSON.parse(text) as unknown;
      fake.received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        contentType: req.headers['content-type'],
        body,
      });
      fake.posts.push(body as WebhookPost);
      if (hang) return;
      const status = fake.answers.shift() ?? 200;
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status === 200 ? 'ok' : status === 404 ? 'no_service' : 'server_error');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const fake: FakeWebhook = {
    url: `http://127.0.0.1:${port}${urlPath}`,
    received: [],
    posts: [],
    answers: [],
    hangForever: () => void (hang = true),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return fake;
}

/**
 * Runs `fn` with a fake webhook whose URL (ending in `/hooks/<tag>`) is in `process.env[envName]`
 * (read there by an in-process worker); `posts` collects the bodies posted, in order.
 */
export async function withFakeWebhook<T>(
  envName: string,
  tag: string,
  fn: (posts: WebhookPost[], url: string) => Promise<T>,
): Promise<T> {
  const webhook = await startFakeWebhook(`/hooks/${tag}`);
  process.env[envName] = webhook.url;
  try {
    return await fn(webhook.posts, webhook.url);
  } finally {
    delete process.env[envName];
    await webhook.close();
  }
}
