/**
 * `mlops report` and `mlops open` as a user runs them, against a filesystem store: the browser is
 * `BROWSER=<a script that records its argument>`, a real process started by the CLI. Needs no server.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FilesystemBlobStore } from '../../activities/storage';
import { reportKeys } from '../../activities/reports';
import { runCli } from '../support/cli';
import { waitForFile } from '../training/helpers';

const RUN = 'retrain/churn/2026-11-27T11:40:52.646Z';

describe('mlops report and mlops open', function () {
  this.timeout(60_000);
  let dir: string;
  let storeRoot: string;
  let recorded: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-report-cli-'));
    storeRoot = path.join(dir, 'store');
    recorded = path.join(dir, 'browser-args.txt');
    const browser = path.join(dir, 'browser.sh');
    fs.writeFileSync(browser, `#!/bin/sh\nprintf '%s\\n' "$@" >> "${recorded}"\n`, { mode: 0o755 });
    const store = new FilesystemBlobStore(storeRoot);
    await store.put(reportKeys.evaluation(RUN), '<html><body>evaluation of the candidate</body></html>');
    await store.put(reportKeys.sweep(`sweep/${RUN}`), '<html><body>sweep leaderboard</body></html>');
    await store.put('reports/monitoring/churn/20261127T100000000Z.html', '<html>drift window 10:00</html>');
    await store.put('reports/monitoring/churn/20261127T110000000Z.html', '<html>drift window 11:00</html>');
    env = {
      MLOPS_HOME: path.join(dir, 'home'),
      MLOPS_STORE: `file://${storeRoot}`,
      BROWSER: browser,
      DISPLAY: '',
      WAYLAND_DISPLAY: '',
    };
  });

  beforeEach(() => fs.rmSync(recorded, { force: true }));

  const browserGot = async () => {
    await waitForFile(recorded);
    // the script creates the file, then writes to it
    for (let i = 0; i < 50 && fs.readFileSync(recorded, 'utf8').trim() === ''; i++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    return fs.readFileSync(recorded, 'utf8').trim();
  };

  it("opens a retrain run's evaluation report in the browser as a file:// URL, and prints it", async () => {
    const r = await runCli(['report', RUN], env, 30_000, { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const url = r.stdout.trim();
    assert.match(url, /^file:\/\/.*\/reports\/evaluations\/.*\.html$/);
    assert.match(r.stderr, /evaluation report opened in the browser/);
    assert.equal(await browserGot(), url);
    assert.match(fs.readFileSync(fileURLToPath(url), 'utf8'), /evaluation of the candidate/);
  });

  it("opens the run's sweep report with --kind sweep, and a monitor's latest drift report", async () => {
    const sweep = await runCli(['report', RUN, '--kind', 'sweep', '--print'], env, 30_000, { cwd: dir });
    assert.equal(sweep.code, 0, sweep.stderr);
    assert.match(fs.readFileSync(fileURLToPath(sweep.stdout.trim()), 'utf8'), /sweep leaderboard/);
    const drift = await runCli(['report', 'monitor/churn'], env, 30_000, { cwd: dir });
    assert.equal(drift.code, 0, drift.stderr);
    assert.match(fs.readFileSync(fileURLToPath(await browserGot()), 'utf8'), /drift window 11:00/);
  });

  it('writes the report to --out instead of opening it, and starts no browser', async () => {
    const file = path.join(dir, 'out', '..', 'eval.html');
    const r = await runCli(['report', RUN, '--out', file], env, 30_000, { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(fs.readFileSync(file, 'utf8'), /evaluation of the candidate/);
    assert.equal(fs.existsSync(recorded), false);
  });

  it('says which reports a run has when --kind names another, and when it has none, exit 1', async () => {
    const other = await runCli(['report', RUN, '--kind', 'drift'], env, 30_000, { cwd: dir });
    assert.equal(other.code, 1);
    assert.match(other.stderr, /has no drift report \(it has: evaluation, sweep\)/);
    const none = await runCli(['report', 'retrain/churn/never'], env, 30_000, { cwd: dir });
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no report of retrain\/churn\/never in the store/);
    const bad = await runCli(['report', RUN, '--kind', 'roc'], env, 30_000, { cwd: dir });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--kind/);
  });

  it('prints the URL and says there is no browser on a host without one (no BROWSER, no display)', async () => {
    const r = await runCli(['report', RUN], { ...env, BROWSER: '' }, 30_000, { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^file:\/\//);
    assert.match(r.stderr, /no browser here; open the URL above/);
  });

  it("mlops open opens the run's Temporal UI page, and --print only prints it", async () => {
    const uiEnv = { ...env, MLOPS_UI_URL: 'http://127.0.0.1:8233' };
    const r = await runCli(['open', RUN], uiEnv, 30_000, { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const url = `http://127.0.0.1:8233/namespaces/default/workflows/${encodeURIComponent(RUN)}`;
    assert.equal(r.stdout.trim(), url);
    assert.match(r.stderr, /opened in the browser/);
    assert.equal(await browserGot(), url);
    fs.rmSync(recorded, { force: true });
    const printed = await runCli(['open', RUN, '--print'], uiEnv, 30_000, { cwd: dir });
    assert.equal(printed.stdout.trim(), url);
    assert.equal(printed.stderr, '');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(fs.existsSync(recorded), false);
  });
});
