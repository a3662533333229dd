/**
 * The demo, as the README's first command runs it: `mlops demo` on its own local stack (a fresh
 * MLOPS_HOME, the default ports), from the first model through drift to the drift-triggered v2.
 * Its outcome is asserted from its JSON summary and the files it leaves.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../support/cli';
import { testStack } from '../support/stack';

describe('mlops demo, end to end', function () {
  this.timeout(900_000);

  it('trains v1, detects the drift, and promotes v2 from a drift-triggered retrain; then stops its stack', async () => {
    const home = fs.mkdtempSync(path.join(testStack().tmpDir, 'demo-home-'));
    const env = { MLOPS_HOME: home, MLOPS_ACTOR: 'demo-test' };
    const demo = await runCli(['--json', 'demo', '--timeout', '12'], env, 840_000);
    assert.equal(demo.code, 0, `${demo.stderr.slice(-4000)}\n${demo.stdout.slice(-2000)}`);
    const summary = JSON.parse(demo.stdout);
    assert.equal(summary.ok, true);
    assert.equal(summary.champion, 2);
    assert.equal(summary.driftRetrain.trigger, 'drift');
    assert.equal(summary.driftRetrain.outcome, 'approved');
    assert.deepEqual(
      summary.versions.map((v: { version: number; status: string; trigger: string }) => [
        v.version,
        v.status,
        v.trigger,
      ]),
      [
        [1, 'archived', 'manual'],
        [2, 'production', 'drift'],
      ],
    );
    assert.ok(summary.versions[1].auc > summary.versions[0].auc - 0.05, JSON.stringify(summary.versions));
    assert.ok(summary.drift.drifted.length >= 2, JSON.stringify(summary.drift));
    // the window shown is the one that started the retrain
    assert.equal(summary.drift.action, `retrain started: ${summary.driftRetrain.workflowId}`);
    // the drifting window's scores, per drifted feature
    const scored = summary.drift.drifted.filter((f: string) => {
      const score = summary.drift.scores[f];
      return score && Number.isFinite(score.psi) && Number.isFinite(score.js);
    });
    assert.ok(scored.length >= 1, JSON.stringify(summary.drift));
    // the monitor judges against the new champion's training data
    assert.equal(summary.monitorBaseline?.version, 2, JSON.stringify(summary.monitorBaseline));
    assert.ok(summary.durationMs > 0);
    console.log(`      the demo finished in ${(summary.durationMs / 1000).toFixed(0)} s`);
    assert.ok(summary.traffic.labels > 500, JSON.stringify(summary.traffic));
    const ids = summary.workflows.map((w: { workflowId: string }) => w.workflowId);
    for (const expected of [/^retrain\/churn\//, /^rollout\/churn$/, /^monitor\/churn$/])
      assert.ok(
        ids.some((id: string) => expected.test(id)),
        `${expected} in ${ids}`,
      );
    assert.ok(
      summary.workflows.every((w: { url: string }) => w.url.startsWith('http://127.0.0.1:8233/namespaces/default/')),
    );
    // the reports are in the demo's store, with their plots
    for (const uri of Object.values(summary.reports) as string[]) {
      assert.match(uri, /^file:\/\//);
      assert.match(fs.readFileSync(fileURLToPath(uri), 'utf8'), /<svg/);
    }
    assert.ok(Object.keys(summary.reports).some((k) => k.startsWith('drift')));
    // progress went to stderr: each step and the commands behind it
    assert.match(demo.stderr, /\$ mlops run churn --spec examples\/churn\/pipeline.yaml --reason/);
    assert.match(demo.stderr, /DRIFT → retrain started: retrain\/churn\//);
    assert.match(demo.stderr, /==> the monitor's baseline follows v2/);
    // it started the stack, so it stopped it
    assert.equal(summary.stackStopped, true);
    const status = await runCli(['--json', 'dev', 'status'], env);
    assert.equal(JSON.parse(status.stdout).temporal.state, 'down');
  });
});
