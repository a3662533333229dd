import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { processStartTime } from '../../lib/processes/process-group';
import { readStackFile } from '../../lib/config/stack-file';
import { freePort } from '../../lib/ports';
import { isProcessRunning, pidExists, stopProcessGroup } from '../../client/dev/processes';
import { requireTool } from '../../lib/tools';
import { runCli, type CliResult } from '../support/cli';

const execFileAsync = promisify(execFile);

// the stack under test must not pick up a developer's or CI's settings
const ISOLATED_ENV = {
  MLOPS_STORE: undefined,
  MLOPS_S3_ENDPOINT: undefined,
  TEMPORAL_ADDRESS: undefined,
  TEMPORAL_NAMESPACE: undefined,
  TEMPORAL_PROFILE: undefined,
  AWS_ACCESS_KEY_ID: undefined,
  AWS_SECRET_ACCESS_KEY: undefined,
  MLOPS_GATEWAY_URL: undefined,
  MLOPS_GATEWAY_ADMIN_URL: undefined,
  MLOPS_GATEWAY_TOKEN: undefined,
};

interface StatusJson {
  temporal: { state: string; address: string | null; uiUrl: string | null; pid: number | null };
  minio: { state: string; endpoint: string; pid: number } | null;
  gateway: { state: string; url: string; adminUrl: string; tokenFile: string; pid: number } | null;
  store: string;
}

describe('mlops dev (local stack)', function () {
  this.timeout(60_000);

  let home: string;
  let otherHome: string;
  let ports: { temporal: number; ui: number; minio: number; console: number; gateway: number; admin: number };
  let upArgs: string[];
  const started = new Map<number, string[]>();

  const dev = (args: string[], env: NodeJS.ProcessEnv = {}, inHome = home): Promise<CliResult> =>
    runCli(['dev', ...args], { ...ISOLATED_ENV, MLOPS_HOME: inHome, ...env }, 90_000);

  const status = async (): Promise<StatusJson> => {
    const result = await dev(['status', '--json']);
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as StatusJson;
  };

  const rememberStarted = (inHome: string) => {
    const stack = readStackFile(inHome);
    for (const piece of [stack.temporal, stack.minio, stack.gateway])
      if (piece?.command) started.set(piece.pid, piece.command);
  };

  before(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-dev-'));
    otherHome = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-dev-other-'));
    const picked = new Set<number>();
    while (picked.size < 6) picked.add(await freePort());
    const [temporal = 0, ui = 0, minio = 0, consolePort = 0, gateway = 0, admin = 0] = [...picked];
    ports = { temporal, ui, minio, console: consolePort, gateway, admin };
    upArgs = [
      ...['--temporal-port', String(temporal), '--ui-port', String(ui)],
      ...['--minio-port', String(minio), '--minio-console-port', String(consolePort)],
      ...['--gateway-port', String(gateway), '--gateway-admin-port', String(admin)],
    ];
  });

  after(async function () {
    this.timeout(60_000);
    for (const h of [home, otherHome]) if (h) rememberStarted(h);
    for (const h of [home, otherHome]) if (h) await dev(['down'], {}, h).catch(() => undefined);
    for (const [pid, command] of started) {
      if (isProcessRunning(pid, command)) await stopProcessGroup(pid, 1_000).catch(() => undefined);
    }
    for (const h of [home, otherHome]) if (h) fs.rmSync(h, { recursive: true, force: true });
  });

  it('starts Temporal, MinIO and the gateway in the background and prints where they are', async () => {
    const result = await dev(['up', '--store', 's3', ...upArgs]);
    rememberStarted(home);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`temporal\\s+started\\s+127\\.0\\.0\\.1:${ports.temporal}`));
    assert.match(result.stdout, new RegExp(`minio\\s+started\\s+127\\.0\\.0\\.1:${ports.minio}`));
    assert.match(result.stdout, new RegExp(`gateway\\s+started\\s+127\\.0\\.0\\.1:${ports.gateway}`));
    assert.match(result.stdout, new RegExp(`http://127\\.0\\.0\\.1:${ports.ui}`));
    assert.match(
      result.stdout,
      new RegExp(`MLOPS_STORE=s3://mlops MLOPS_S3_ENDPOINT=http://127\\.0\\.0\\.1:${ports.minio}`),
    );
  });

  it('registers the Ml* search attributes', async () => {
    const { stdout } = await execFileAsync(requireTool('temporal'), [
      ...['operator', 'search-attribute', 'list', '--address', `127.0.0.1:${ports.temporal}`],
    ]);
    assert.match(stdout, /MlPipeline\s+Keyword/);
    assert.match(stdout, /MlPrimaryMetric\s+Double/);
  });

  it('serves the Temporal UI', async () => {
    const res = await fetch(`http://127.0.0.1:${ports.ui}/`);
    await res.body?.cancel();
    assert.equal(res.status, 200);
  });

  it('keeps the Temporal database in write-ahead-log mode, so many concurrent runs do not wait on the disk', () => {
    // SQLite's default rollback journal leaves no -wal file; WAL mode keeps one beside the database while it is open
    assert.ok(fs.existsSync(path.join(home, 'temporal.db')), 'no Temporal database in the home folder');
    assert.ok(fs.existsSync(path.join(home, 'temporal.db-wal')), 'the Temporal database has no write-ahead log');
  });

  it('reports every piece as up with dev status --json, and the config falls back to it', async () => {
    const s = await status();
    assert.equal(s.temporal.state, 'up');
    assert.equal(s.temporal.address, `127.0.0.1:${ports.temporal}`);
    assert.equal(s.temporal.uiUrl, `http://127.0.0.1:${ports.ui}`);
    assert.equal(s.minio?.state, 'up');
    assert.equal(s.minio?.endpoint, `http://127.0.0.1:${ports.minio}`);
    assert.equal(s.store, 's3://mlops');
    assert.ok(s.temporal.pid !== null && pidExists(s.temporal.pid));
    assert.equal(s.gateway?.state, 'up');
    assert.equal(s.gateway?.url, `http://127.0.0.1:${ports.gateway}`);
    assert.equal(s.gateway?.adminUrl, `http://127.0.0.1:${ports.admin}`);
  });

  it('runs the inference gateway, its admin API behind the recorded token file', async () => {
    const s = await status();
    const ready = await fetch(`${s.gateway?.url}/v2/health/ready`);
    assert.equal(ready.status, 200);
    const token = fs.readFileSync(s.gateway?.tokenFile ?? '', 'utf8').trim();
    const list = await fetch(`${s.gateway?.adminUrl}/admin/endpoints`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.deepEqual(await list.json(), { endpoints: [] });
    assert.equal((await fetch(`${s.gateway?.adminUrl}/admin/endpoints`)).status, 401);
  });

  it('reports the running stack on a second up without restarting anything', async () => {
    const before = await status();
    const again = await dev(['up', '--store', 's3', ...upArgs]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /temporal\s+already running/);
    assert.match(again.stdout, /minio\s+already running/);
    assert.match(again.stdout, /gateway\s+already running/);
    const after = await status();
    assert.equal(after.temporal.pid, before.temporal.pid);
    assert.equal(after.minio?.pid, before.minio?.pid);
  });

  it('refuses a busy port with a message naming it and its flag, and starts nothing', async () => {
    const busy = net.createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => busy.listen(port, '127.0.0.1', resolve));
    try {
      const result = await dev(
        ['up', '--temporal-port', String(port), '--ui-port', String(await freePort())],
        {},
        otherHome,
      );
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, new RegExp(`port ${port}.*--temporal-port`));
      assert.deepEqual(readStackFile(otherHome), {});
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  });

  it('loads the configuration first: a bad MLOPS_STORE fails dev status with exit 2', async () => {
    const result = await dev(['status'], { MLOPS_STORE: 'ftp://x' });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /MLOPS_STORE/);
  });

  it('stops everything it started with dev down, keeping the data', async () => {
    const s = await status();
    const pids = [s.temporal.pid, s.minio?.pid, s.gateway?.pid].filter((p): p is number => typeof p === 'number');
    assert.equal(pids.length, 3);
    // a model server a deployment left running (its own process group, recorded as the backend does)
    const variantDir = path.join(home, 'serving', 'churn', 'churn-v1');
    fs.mkdirSync(variantDir, { recursive: true });
    const server = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
    server.unref();
    const serverPid = server.pid!;
    fs.writeFileSync(
      path.join(variantDir, 'pid'),
      JSON.stringify({
        pid: serverPid,
        pgid: serverPid,
        startTime: await processStartTime(serverPid),
        startedAt: new Date().toISOString(),
      }),
    );
    const result = await dev(['down']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /stopped model servers: churn\/churn-v1/);
    assert.equal(pidExists(serverPid), false, 'the model server outlived dev down');
    assert.match(result.stdout, /stopped temporal/);
    assert.match(result.stdout, /stopped minio/);
    assert.match(result.stdout, /stopped gateway/);
    for (const pid of pids) assert.equal(pidExists(pid), false, `pid ${pid} still runs`);
    assert.ok(fs.existsSync(path.join(home, 'temporal.db')));
    const after = await status();
    assert.equal(after.temporal.state, 'down');
    assert.equal(after.minio, null);
    assert.equal(after.gateway, null);
  });

  it('restarts Temporal on the existing database with its search attributes', async () => {
    const result = await dev([
      ...['up', '--temporal-port', String(ports.temporal), '--ui-port', String(ports.ui)],
      ...['--gateway-port', String(ports.gateway), '--gateway-admin-port', String(ports.admin)],
    ]);
    rememberStarted(home);
    assert.equal(result.code, 0, result.stderr);
    const { stdout } = await execFileAsync(requireTool('temporal'), [
      ...['operator', 'search-attribute', 'list', '--address', `127.0.0.1:${ports.temporal}`],
    ]);
    assert.match(stdout, /MlPipeline\s+Keyword/);
    const down = await dev(['down']);
    assert.equal(down.code, 0, down.stderr);
  });

  it('says there is nothing to stop when nothing runs', async () => {
    const result = await dev(['down']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /nothing to stop/);
  });
});
