/**
 * The Temporal server goes away mid-run: a dev server of this test's own, on its own SQLite file,
 * is SIGKILLed while a retrain pipeline's training job runs and SIGTERMed while the run waits on its
 * approval timer, each time started again on the same file and port. The `mlops worker` process
 * rides both outages out (it keeps polling, it does not exit), the run resumes where it was and
 * completes with the right result, and its history holds every step exactly once.
 */
import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { parseDocument } from 'yaml';
import { ModelRegistry } from '../../activities/registry';
import { REPO_ROOT } from '../../lib/tools';
import { RestartableTemporal, collectOutput } from '../support/chaos-servers';
import { cliEnv, runCli, startCli } from '../support/cli';
import { testStack } from '../support/stack';
import { suiteTeardown } from '../support/teardown';
import { testS3Store } from '../support/worker';

const EXAMPLE = path.join(REPO_ROOT, 'examples', 'churn');
const PYTHON = path.join(REPO_ROOT, '.venv', 'bin', 'python');
const EventType = temporal.api.enums.v1.EventType;

describe('a Temporal server restarted under a running retrain', function () {
  this.timeout(240_000);
  const prefix = `chaos-temporal-${randomUUID().slice(0, 8)}`;
  let server: RestartableTemporal;
  let connection: Connection;
  let client: Client;
  let env: NodeJS.ProcessEnv;
  let specFile: string;
  let worker: ChildProcess;
  let workerOutput: { text: () => string };
  const teardown = suiteTeardown();

  /** Polls `check` against the server, which may be restarting (errors count as "not yet"). */
  const until = async <T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await check().catch(() => undefined);
      if (value !== undefined) return value;
      assert.ok(Date.now() < deadline, `${what} never happened; worker output:\n${workerOutput.text().slice(-3000)}`);
      await sleep(250);
    }
  };

  before(async function () {
    const { tmpDir } = testStack();
    server = await RestartableTemporal.create(fs.mkdtempSync(path.join(tmpDir, 'chaos-temporal-')));
    // kills whichever server process is up at the end (the tests kill and restart it)
    teardown.add('the Temporal server', () => server.kill('SIGTERM'));
    await server.start();
    connection = await teardown.start(
      'the connection',
      () => Connection.connect({ address: server.address }),
      (c) => c.close().catch(() => undefined),
    );
    client = new Client({ connection, namespace: server.namespace });
    env = cliEnv(prefix, { TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: server.namespace });

    const data = path.join(tmpDir, `${prefix}-data`);
    execFileSync(PYTHON, ['generate_data.py', '--rows', '2000', '--seed', '5', '--out', data], { cwd: EXAMPLE });
    const spec = parseDocument(fs.readFileSync(path.join(EXAMPLE, 'pipeline.yaml'), 'utf8'));
    spec.setIn(['dataset', 'source'], data);
    spec.setIn(['training', 'codeDir'], EXAMPLE);
    spec.setIn(['evaluation', 'codeDir'], EXAMPLE);
    // a durable timer to restart the server under: nobody decides, the timeout approves
    spec.set('approval', { required: true, timeout: '20s', onTimeout: 'approve' });
    for (const section of ['rollout', 'monitoring', 'notifications', 'schedule']) spec.delete(section);
    specFile = path.join(tmpDir, `${prefix}-pipeline.yaml`);
    fs.writeFileSync(specFile, spec.toString());

    worker = startCli(['worker'], env);
    teardown.add('the worker', () => void (worker.exitCode === null && worker.kill('SIGKILL')));
    workerOutput = collectOutput(worker);
    await until('the worker polling', async () => (/worker polling/.test(workerOutput.text()) ? true : undefined));
  });

  it('resumes the run after a SIGKILL mid-training and a SIGTERM mid-timer, with every step once', async () => {
    const started = await runCli(['--json', 'run', 'churn', '--spec', specFile, '--no-wait'], env);
    assert.equal(started.code, 0, started.stderr);
    const workflowId = (JSON.parse(started.stdout) as { workflowId: string }).workflowId;
    const handle = client.workflow.getHandle(workflowId);

    // 1. SIGKILL while the training job runs (its process launched, not finished)
    const jobsDir = path.join(env.MLOPS_HOME!, 'jobs');
    const jobDir = await until('the training job running', async () => {
      const [job] = fs.existsSync(jobsDir) ? fs.readdirSync(jobsDir) : [];
      const dir = job && path.join(jobsDir, job);
      return dir && fs.existsSync(path.join(dir, 'pid')) ? dir : undefined;
    });
    const killed = await server.kill('SIGKILL');
    assert.ok(!fs.existsSync(path.join(jobDir, 'exit-status')), 'the job was still running when the server died');
    assert.equal(killed.signal, 'SIGKILL');
    assert.ok(fs.statSync(server.dbFile).size > 0, 'the SQLite file survives a SIGKILL');
    await sleep(5000); // the outage
    assert.equal(worker!.exitCode, null, `the worker exited while the server was down:\n${workerOutput.text()}`);
    await server.start();
    assert.deepEqual(await server.missingSearchAttributes(), [], 'search attributes persist in the SQLite file');

    // 2. SIGTERM while the run waits on its approval timer
    await until('the approval timer', async () => {
      const history = await handle.fetchHistory();
      return history.events?.some((e) => e.eventType === EventType.EVENT_TYPE_TIMER_STARTED) ? true : undefined;
    });
    const stopped = await server.kill('SIGTERM');
    assert.equal(stopped.signal ?? stopped.code, stopped.signal ? 'SIGTERM' : 0, 'the dev server stops on SIGTERM');
    await sleep(3000);
    assert.equal(worker!.exitCode, null, `the worker exited while the server was down:\n${workerOutput.text()}`);
    await server.start();

    const result = await handle.result();
    assert.equal(result.outcome, 'approved', JSON.stringify(result));
    assert.equal(result.version, 1);
    assert.equal(result.approval?.actor, 'timeout');
    assert.ok(result.candidateMetrics.auc > 0.75, JSON.stringify(result.candidateMetrics));

    // every step once: no activity scheduled twice, one timer, one job per training and evaluation
    // (the training job runs in the run's trainModel child, train/<run id>)
    const events = (await handle.fetchHistory()).events ?? [];
    const trainEvents = (await client.workflow.getHandle(`train/${workflowId}`).fetchHistory()).events ?? [];
    const stepsOf = (history: typeof events, owner: string) =>
      history
        .filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
        .map((e) => `${owner}: ${e.activityTaskScheduledEventAttributes?.activityType?.name} ${summaryOf(e)}`);
    const steps = [...stepsOf(events, 'retrain'), ...stepsOf(trainEvents, 'train')];
    assert.deepEqual(
      steps.filter((s, i) => steps.indexOf(s) !== i),
      [],
      `duplicated steps in ${steps.join('\n')}`,
    );
    for (const step of ['snapshotDataset', 'runTrainingJob train', 'runTrainingJob evaluate', 'registerModel'])
      assert.equal(
        steps.filter((s) => s.split(': ')[1]!.startsWith(step)).length,
        1,
        `${step} once in:\n${steps.join('\n')}`,
      );
    assert.equal(events.filter((e) => e.eventType === EventType.EVENT_TYPE_TIMER_FIRED).length, 1);
    // job folders (jobs/code/ holds the code packages the jobs ran, one folder per digest)
    const jobs = fs.readdirSync(path.join(env.MLOPS_HOME!, 'jobs')).filter((name) => name !== 'code');
    assert.equal(jobs.length, 2, `one training and one evaluation job: ${jobs.join(', ')}`);

    const registry = new ModelRegistry(testS3Store(prefix));
    const versions = await registry.listVersions('churn');
    assert.deepEqual(
      versions.map((v) => [v.version, v.status]),
      [[1, 'approved']],
    );
    assert.equal(worker!.exitCode, null, 'the worker is still running');
  });
});

function summaryOf(event: temporal.api.history.v1.IHistoryEvent): string {
  const data = event.userMetadata?.summary?.data;
  return data ? (JSON.parse(Buffer.from(data).toString('utf8')) as string) : '';
}
