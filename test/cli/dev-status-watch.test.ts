/**
 * `mlops dev status --watch` through the real CLI, with a home folder of its own and no stack: it
 * prints the stack once, again only when the stack file changes, and Ctrl-C ends it with exit 0.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCli } from '../support/cli';

describe('mlops dev status --watch', function () {
  this.timeout(60_000);

  it('prints the stack again when a piece appears, and stops at Ctrl-C with exit 0', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-dev-watch-'));
    const child = startCli(['dev', 'status', '--watch', '--json'], { MLOPS_HOME: home, MLOPS_PROJECT_DIR: home });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const documents = () => stdout.split(/\n(?=\{)/).filter((d) => d.trim() !== '');
    const until = async (what: string, ok: () => boolean) => {
      for (const start = Date.now(); !ok(); await new Promise((r) => setTimeout(r, 100)))
        if (Date.now() - start > 30_000) throw new Error(`${what}: ${stdout}\n${stderr}`);
    };
    try {
      await until('the first print', () => documents().length === 1);
      const first = JSON.parse(documents()[0]!) as { worker: unknown };
      assert.equal(first.worker, null);
      // two more polls: nothing changed, nothing printed
      await new Promise((r) => setTimeout(r, 4500));
      assert.equal(documents().length, 1, stdout);
      fs.writeFileSync(
        path.join(home, 'stack.json'),
        JSON.stringify({
          worker: { pid: 2 ** 22 + 1, startedAt: new Date().toISOString(), logFile: path.join(home, 'w.log') },
        }),
      );
      await until('the print after the change', () => documents().length === 2);
      const second = JSON.parse(documents()[1]!) as { worker: { state: string } };
      assert.equal(second.worker.state, 'down');
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      child.kill('SIGINT');
      assert.equal(await exited, 0, stderr);
    } finally {
      child.kill('SIGKILL');
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
