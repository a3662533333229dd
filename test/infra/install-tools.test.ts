/**
 * infra/dev/install-tools installs only the tools it is asked for, numbering its steps, and refuses
 * an unknown option or tool with exit 2 before it touches anything. The tools are given as existing
 * binaries (TEMPORAL_CLI_PATH, MINIO_PATH), so nothing is built here.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT, requireTool } from '../../lib/tools';

const INSTALL_TOOLS = path.join(REPO_ROOT, 'infra', 'dev', 'install-tools');

function installTools(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(INSTALL_TOOLS, args, { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('infra/dev/install-tools', function () {
  this.timeout(60_000);

  it('installs only the tools --only names, as steps n of m', () => {
    const env = { TEMPORAL_CLI_PATH: requireTool('temporal'), MINIO_PATH: requireTool('minio') };
    const r = installTools(['--only', 'temporal,minio'], env);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.deepEqual(
      lines.filter((l) => /\[\d+\/\d+\]/.test(l)),
      ['install-tools: [1/2] temporal', 'install-tools: [2/2] minio'],
    );
    assert.match(r.stdout, /temporal: using TEMPORAL_CLI_PATH=/);
    assert.match(lines.at(-1)!, /^install-tools: done \(temporal minio\)$/);
    for (const other of ['kustomize', 'chromium', 'kube-apiserver', 'temporal-test-server', 'python'])
      assert.doesNotMatch(r.stdout, new RegExp(`install-tools: ${other}:`), other);
  });

  it('leaves out what a --no- option names, even when --only asks for it', () => {
    const r = installTools(['--only=temporal,kube', '--no-kube'], { TEMPORAL_CLI_PATH: requireTool('temporal') });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\[1\/1\] temporal/);
    assert.doesNotMatch(r.stdout, /kube-apiserver|etcd/);
  });

  it('refuses an unknown tool or option with exit 2, naming it and what is known, installing nothing', () => {
    const tool = installTools(['--only', 'temporal,chromium']);
    assert.equal(tool.code, 2);
    assert.match(
      tool.stderr,
      /--only: unknown tool 'chromium' \(known: temporal, minio, kustomize, test-server, venv, browser, kube, shells\)/,
    );
    assert.equal(tool.stdout, '', 'nothing installed');
    const option = installTools(['--fast']);
    assert.equal(option.code, 2);
    assert.match(option.stderr, /unknown option --fast \(known: --demo, --only <tools>/);
    assert.equal(installTools(['--only']).code, 2);
  });
});
