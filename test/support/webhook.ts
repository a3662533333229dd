/** A Slack-compatible webhook receiver on loopback, for tests of notifications. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface WebhookPost {
  text: string;
  blocks?: unknown[];
}

/**
 * Runs `fn` with a webhook on 127.0.0.1 whose URL (ending in `/hooks/<tag>`) is in `process.env[envName]`
 * (read there by an in-process worker); `posts` collects the bodies posted, in order.
 */
export async function withWebhook<T>(
  envName: string,
  tag: string,
  fn: (posts: WebhookPost[], url: string) => Promise<T>,
): Promise<T> {
  const posts: WebhookPost[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      posts.push(JSON.parse(body) as WebhookPost);
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/${tag}`;
  process.env[envName] = url;
  try {
    return await fn(posts, url);
  } finally {
    delete process.env[envName];
    await new Promise((resolve) => server.close(resolve));
  }
}
