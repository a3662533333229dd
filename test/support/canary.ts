/**
 * A healthy canary as the gateway fault tests start it: `mlops deploy <model> 2` at 50% then 100%,
 * a 12 s bake analysed every 2 s, and a wait until the rollout bakes at 50% with a passing analysis.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

/** `mlops --json <args>` with its parsed output. */
export type JsonCli = (
  ...args: string[]
) => Promise<{ code: number | null; stdout: string; stderr: string; body?: unknown }>;

/** Starts the canary of version 2 on `endpoint` and resolves once it bakes at 50% with a passing analysis. */
export async function startHealthyCanary(json: JsonCli, model: string, endpoint: string): Promise<void> {
  const canary = await json(
    'deploy',
    ...[model, '2', '--endpoint', endpoint, '--steps', '50,100', '--bake', '12s', '--analysis-interval', '2s'],
    ...['--min-requests', '5', '--termination-wait', '1s', '--no-wait'],
  );
  assert.equal(canary.code, 0, canary.stderr);
  for (const deadline = Date.now() + 120_000; ; await sleep(300)) {
    const status = await json('rollout', 'status', endpoint);
    const body = status.body as { phase?: string; analyses?: { verdict: string; weight: number }[] } | undefined;
    const analyses = body?.analyses ?? [];
    if (body?.phase === 'baking' && analyses.some((a) => a.weight === 50 && a.verdict === 'pass')) return;
    assert.ok(Date.now() < deadline, `never baked at 50%: ${status.stdout}${status.stderr}`);
  }
}
