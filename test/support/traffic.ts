/** Live traffic for serving tests: inference requests through the gateway in a loop until stopped. */

export interface Traffic {
  /** Stops sending and resolves to how many requests were sent. */
  stop(): Promise<number>;
}

/**
 * POSTs `body(i)` (the i-th request's OIP v2 body, as JSON text) to the endpoint's infer path,
 * one request at a time with `pauseMs` between them; failures are ignored (a variant may be moving).
 */
export function startTraffic(
  gatewayUrl: string,
  endpoint: string,
  body: (i: number) => string,
  pauseMs: number,
): Traffic {
  let running = true;
  let sent = 0;
  const loop = (async () => {
    for (let i = 0; running; i++) {
      await fetch(`${gatewayUrl}/v2/models/${endpoint}/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: body(i),
      }).then(
        (r) => r.arrayBuffer(),
        () => undefined,
      );
      sent += 1;
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return sent;
    },
  };
}
