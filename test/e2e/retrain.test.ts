/**
 * The retrain pipeline end to end on the churn example, through the real CLI, with the local
 * training backend: first run registers v1, an unchanged re-run trains nothing, worse params are
 * rejected by a named gate, approvals (by an allowed actor, refused for others, timeouts), a
 * cancelled run stops its job, and bad specs start nothing.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { parseDocument } from 'yaml';
import { readProfile } from '../../activities/data/read';
import { ExperimentTracker } from '../../activities/tracking';
import { ModelRegistry } from '../../activities/registry';
import type { BlobStore } from '../../activities/storage/types';
import { REPO_ROOT } from '../../lib/tools';
import { cliEnv, runCli } from '../support/cli';
import { testStack, workflowBundle } from '../support/stack';
import { testDeps, testS3Store, withWorker } from '../support/worker';
import { withFakeWebhook, type WebhookPost } from '../support/fake-webhook';

const PYTHON = path.join(REPO_ROOT, '.venv', 'bin', 'python');
const EXAMPLE = path.join(REPO_ROOT, 'examples', 'churn');
const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'training');

/** A spec as plain data, edited freely by the cases (the CLI is what validates it). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;

function alive(pid: number): boolean {
  try {
    return !/\) [ZX] /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('retrain pipeline, end to end on the churn example', function () {
  this.timeout(180_000);
  const prefix = `e2e-retrain-${randomUUID().slice(0, 8)}`;
  let env: NodeJS.ProcessEnv;
  let store: BlobStore;
  let pipelines: string;
  let example: Record<string, unknown>;

  const cli = (...args: string[]) => runCli(args, env, 150_000);
  const json = async (...args: string[]) => {
    const r = await cli('--json', ...args);
    return { ...r, body: r.stdout.trim() ? JSON.parse(r.stdout) : undefined };
  };
  /** Writes a pipeline spec (the example's, changed by `change`) into the test's pipelines folder. */
  const writeSpec = (file: string, change: (spec: Loose) => void = () => undefined) => {
    const spec = structuredClone(example) as Loose;
    change(spec);
    const target = path.join(pipelines, file);
    fs.writeFileSync(target, JSON.stringify(spec, null, 2));
    return target;
  };
  /** With MLOPS_RECORD_HISTORIES=1 (`npm run record-histories`), keeps the run's history in test/replay/. */
  const record = async (name: string, workflowId: string) => {
    if (process.env.MLOPS_RECORD_HISTORIES !== '1') return;
    const file = path.join(REPO_ROOT, 'test', 'replay', 'histories', `retrain-${name}.json`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const r = await cli('history', 'export', workflowId, '-o', file);
    assert.equal(r.code, 0, r.stderr);
  };
  const withWorkers = <T>(fn: () => Promise<T>) => {
    const deps = testDeps(store);
    return withWorker(env.MLOPS_TASK_QUEUE!, deps, () =>
      withWorker(env.MLOPS_TRAINING_TASK_QUEUE!, deps, fn, { workflows: false }),
    );
  };

  before(() => {
    env = cliEnv(prefix);
    store = testS3Store(prefix);
    const { tmpDir } = testStack();
    const data = path.join(tmpDir, `${prefix}-data`);
    execFileSync(PYTHON, ['examples/churn/generate_data.py', '--rows', '3000', '--seed', '1', '--out', data], {
      cwd: REPO_ROOT,
    });
    pipelines = fs.mkdtempSync(path.join(tmpDir, 'pipelines-'));
    env.MLOPS_PIPELINES_DIR = pipelines;
    example = parseDocument(fs.readFileSync(path.join(EXAMPLE, 'pipeline.yaml'), 'utf8')).toJS();
    const e = example as Loose;
    e.dataset.source = data;
    e.training.codeDir = EXAMPLE;
    e.evaluation.codeDir = EXAMPLE;
    delete e.notifications;
    // serving is covered by test/e2e/pipeline-rollout.test.ts: these runs end at the registry
    delete e.rollout;
    delete e.monitoring;
    writeSpec('churn.yaml');
  });

  it('registers v1, re-runs as unchanged without training, rejects worse params naming the gate', async () => {
    await withWorkers(async () => {
      const first = await json('run', 'churn', '--wait', '--reason', 'first model');
      assert.equal(first.code, 0, first.stderr);
      assert.equal(first.body.outcome, 'approved');
      assert.equal(first.body.version, 1);
      assert.equal(first.body.champion, undefined);
      assert.ok(first.body.candidateMetrics.auc > 0.75, JSON.stringify(first.body.candidateMetrics));
      // no champion: only absolute gates decide; the others say so
      const skipped = first.body.decision.reasons.find((r: { gate: string }) => r.gate === 'minImprovement');
      assert.match(skipped.message, /no champion/);
      assert.match(first.body.links.report, /reports\/evaluations\/.*\.html$/);
      assert.match(first.body.url, /\/namespaces\/default\/workflows\/retrain%2Fchurn%2F/);

      const registry = new ModelRegistry(store);
      const v1 = await registry.describeVersion('churn', 'champion');
      assert.equal(v1.version.version, 1);
      assert.equal(v1.status, 'approved');
      assert.equal(v1.version.pipelineRun, first.body.workflowId);
      const report = await store.getBytes(first.body.links.report.slice(store.uri.replace(/\/$/, '').length + 1));
      assert.match(report.toString('utf8'), /<svg/);

      const again = await json('run', 'churn', '--wait');
      assert.equal(again.code, 0, again.stderr);
      assert.equal(again.body.outcome, 'unchanged');
      assert.equal(again.body.champion, 1);
      assert.deepEqual(
        again.body.steps.filter((s: { state: string }) => s.state === 'skipped').map((s: { name: string }) => s.name),
        ['train', 'evaluate', 'register', 'approval'],
      );
      const tracker = new ExperimentTracker(store);
      assert.deepEqual(await tracker.listTrials('churn', again.body.workflowId), [], 'no training job ran');

      const worse = await json('run', 'churn', '--wait', '--set', 'max_iter=3', '--set', 'learning_rate=0.02');
      assert.equal(worse.code, 4, worse.stderr);
      assert.equal(worse.body.outcome, 'rejected');
      assert.equal(worse.body.champion, 1);
      const failed = worse.body.decision.reasons.filter((r: { passed: boolean }) => !r.passed);
      assert.ok(
        failed.some((r: { gate: string }) => r.gate === 'minImprovement'),
        JSON.stringify(worse.body.decision),
      );
      const v2 = await registry.describeVersion('churn', 2);
      assert.equal(v2.status, 'rejected');
      assert.equal((await registry.describeVersion('churn', 'champion')).version.version, 1);

      // the history exports and replays against the current workflow code
      const file = path.join(testStack().tmpDir, `${prefix}-history.json`);
      const exported = await cli('history', 'export', first.body.workflowId, '-o', file);
      assert.equal(exported.code, 0, exported.stderr);
      await Worker.runReplayHistory(
        { workflowBundle: await workflowBundle() },
        historyFromJSON(JSON.parse(fs.readFileSync(file, 'utf8'))),
        first.body.workflowId,
      );

      await record('first-approved', first.body.workflowId);
      await record('unchanged', again.body.workflowId);
      await record('gate-rejected', worse.body.workflowId);

      const listed = await json('runs', 'list', '--pipeline', 'churn', '--stage', 'rejected');
      assert.equal(listed.code, 0, listed.stderr);
      assert.deepEqual(
        listed.body.runs.map((r: { workflowId: string }) => r.workflowId),
        [worse.body.workflowId],
      );
    });
  });

  it('runs the pipeline on Parquet data: profiled, validated, trained, evaluated and registered', async () => {
    const data = path.join(testStack().tmpDir, `${prefix}-parquet-data`);
    execFileSync(
      PYTHON,
      ['examples/churn/generate_data.py', '--rows', '3000', '--seed', '1', '--out', data, '--format', 'parquet'],
      { cwd: REPO_ROOT },
    );
    writeSpec('parquet.yaml', (s) => {
      s.name = s.model = s.dataset.name = 'churn-parquet';
      s.dataset.source = data;
      s.dataset.expectations.file = 'train.parquet';
      s.evaluation.holdout = { file: 'holdout.parquet' };
    });
    await withWorkers(async () => {
      const run = await json('run', 'churn-parquet', '--wait');
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.body.outcome, 'approved');
      assert.ok(run.body.candidateMetrics.auc > 0.75, JSON.stringify(run.body.candidateMetrics));
      const { version } = await new ModelRegistry(store).describeVersion('churn-parquet', 1);
      const profile = await readProfile(store, 'churn-parquet', version.trainingSnapshot.id);
      assert.deepEqual(
        profile?.files.map((f) => [f.path, f.rows]),
        [
          ['holdout.parquet', 600],
          ['train.parquet', 2400],
        ],
      );
    });
  });

  it('waits for approval: refuses an actor outside approvers, continues on approve, applies onTimeout', async () => {
    writeSpec('gated.yaml', (s) => {
      s.name = 'churn-gated';
      s.model = 'churn-gated';
      s.approval = { required: true, approvers: ['alice'], timeout: '1h', onTimeout: 'reject' };
      s.notifications = { webhookEnv: 'MLOPS_WEBHOOK_E2E' };
    });
    writeSpec('hasty.yaml', (s) => {
      s.name = 'churn-hasty';
      s.model = 'churn-hasty';
      s.approval = { required: true, timeout: '2s', onTimeout: 'reject' };
    });
    await withFakeWebhook('MLOPS_WEBHOOK_E2E', prefix, (posts) => gatedRuns(posts));
  });

  it('trains by a sweep, reminds while awaiting approval, and approves on timeout when told to', async () => {
    writeSpec('swept.yaml', (s) => {
      s.name = 'churn-swept';
      s.model = 'churn-swept';
      s.training.params = { max_iter: 30 };
      s.training.sweep = {
        algorithm: 'grid',
        parallelism: 2,
        objective: { metric: 'val_auc', direction: 'maximize' },
        space: { max_depth: { type: 'choice', values: [2, 4] } },
      };
      // 6 s: room for two reminders even when each post takes a while on a loaded machine
      s.approval = { required: true, timeout: '6s', remindEvery: '1s', onTimeout: 'approve' };
      s.notifications = { webhookEnv: 'MLOPS_WEBHOOK_E2E', events: ['approval-reminder', 'succeeded'] };
    });
    await withFakeWebhook('MLOPS_WEBHOOK_E2E', prefix, async (posts) => {
      await withWorkers(async () => {
        const run = await json('run', 'churn-swept', '--wait');
        assert.equal(run.code, 0, run.stderr);
        assert.equal(run.body.outcome, 'approved');
        assert.equal(run.body.approval.by, 'timeout');
        const sweepId = `sweep/${run.body.workflowId}`;
        assert.equal(run.body.links.sweep, sweepId);
        assert.match(run.body.links.sweepReport, /reports\/sweeps\//);
        const trials = await new ExperimentTracker(store).listTrials('churn-swept', sweepId);
        assert.deepEqual(
          trials.map((t) => t.params.max_depth),
          [2, 4],
        );
        const texts = posts.map((p) => p.text);
        assert.ok(
          texts.filter((t) => /^Reminder: churn-swept v1 awaits approval/.test(t)).length >= 2,
          texts.join('|'),
        );
        assert.match(texts.at(-1)!, /churn-swept v1 approved/);
      });
    });
  });

  async function gatedRuns(posts: WebhookPost[]) {
    await withWorkers(async () => {
      const started = await json('run', 'churn-gated', '--no-wait');
      assert.equal(started.code, 0, started.stderr);
      const id = started.body.workflowId as string;
      const deadline = Date.now() + 90_000;
      for (;;) {
        const status = await json('status', id);
        assert.equal(status.code, 0, status.stderr);
        if (status.body.stage === 'awaiting-approval') break;
        assert.notEqual(status.body.stage, 'failed', JSON.stringify(status.body));
        assert.ok(Date.now() < deadline, `never awaited approval: ${JSON.stringify(status.body)}`);
        await new Promise((r) => setTimeout(r, 500));
      }
      const mallory = await cli('approve', id, '--reason', 'looks fine', '--actor', 'mallory');
      assert.equal(mallory.code, 1);
      assert.match(mallory.stderr, /mallory may not decide.*approvers are alice/);
      const alice = await json('approve', id, '--reason', 'AUC is up, segments hold', '--actor', 'alice');
      assert.equal(alice.code, 0, alice.stderr);
      assert.equal(alice.body.decision, 'approved');
      const twice = await cli('reject', id, '--reason', 'changed my mind', '--actor', 'alice');
      assert.equal(twice.code, 1);
      assert.match(twice.stderr, /already approved by alice/);
      const done = await json('status', id, '--watch');
      assert.equal(done.code, 0, done.stderr);
      assert.equal(done.body.outcome, 'approved');
      assert.equal(done.body.approval.actor, 'alice');
      // started, awaiting approval, approved: posted in that order, the webhook URL in no history
      const texts = posts.map((p) => p.text);
      assert.equal(texts.length, 3, JSON.stringify(texts));
      assert.match(texts[0]!, /Retrain of churn-gated started/);
      assert.match(texts[1]!, /awaits approval/);
      assert.match(texts[2]!, /approved/);
      const exported = path.join(testStack().tmpDir, `${prefix}-gated.json`);
      assert.equal((await cli('history', 'export', id, '-o', exported)).code, 0);
      const history = fs.readFileSync(exported, 'utf8');
      assert.doesNotMatch(history, new RegExp(`hooks/${prefix}`));
      // nor the store's credentials, which the worker and its training jobs hold
      const payloads = [...history.matchAll(/"data":\s*"([A-Za-z0-9+/=]+)"/g)].map((m) =>
        Buffer.from(m[1]!, 'base64').toString('utf8'),
      );
      assert.ok(payloads.length > 10, 'payloads were read');
      for (const text of [history, ...payloads]) {
        assert.ok(!text.includes(testStack().minio.secretAccessKey), 'the store secret is in no history');
        assert.ok(!text.includes(`hooks/${prefix}`), 'the webhook URL is in no payload');
      }
      const audit = await new ModelRegistry(store).listAudit('churn-gated', { version: done.body.version });
      assert.ok(
        audit.some((a) => a.actor === 'alice' && a.action === 'status' && /segments hold/.test(a.reason)),
        JSON.stringify(audit),
      );

      // without --json, --wait prints each step as it changes
      const hastyRun = await cli('run', 'churn-hasty', '--wait');
      assert.equal(hastyRun.code, 4, hastyRun.stderr);
      assert.match(hastyRun.stderr, /^train: done/m);
      assert.match(hastyRun.stderr, /^approval: running/m);
      assert.match(hastyRun.stdout, /^rejected: churn-hasty v1/m);
      const hastyId = /started (retrain\/churn-hasty\/\S+)/.exec(hastyRun.stderr)![1]!;
      const hasty = await json('status', hastyId);
      assert.equal(hasty.body.approval.by, 'timeout');
      assert.equal(hasty.body.approval.decision, 'rejected');
      assert.equal(hasty.body.stage, 'rejected');
      await record('approved-by-person', id);
      await record('approval-timeout', hastyId);
    });
  }

  it('cancelling a run during training stops the job and marks the step cancelled', async () => {
    const events = path.join(testStack().tmpDir, `${prefix}-slow`);
    writeSpec('slow.yaml', (s) => {
      s.name = 'churn-slow';
      s.model = 'churn-slow';
      s.training = {
        entrypoint: ['python', 'sweep_job.py'],
        codeDir: FIXTURES,
        params: { x: 0.3, steps: 600, delay: 0.1 },
        env: { SWEEP_EVENTS: events },
      };
    });
    await withWorkers(async () => {
      const started = await json('run', 'churn-slow', '--no-wait');
      assert.equal(started.code, 0, started.stderr);
      const id = started.body.workflowId as string;
      const deadline = Date.now() + 60_000;
      while (!fs.existsSync(`${events}.pids`)) {
        assert.ok(Date.now() < deadline, 'the training job never started');
        await new Promise((r) => setTimeout(r, 200));
      }
      const pid = Number(fs.readFileSync(`${events}.pids`, 'utf8').trim());
      assert.ok(alive(pid));
      const cancelled = await cli('cancel', id);
      assert.equal(cancelled.code, 0, cancelled.stderr);
      const watched = await cli('status', id, '--watch');
      assert.equal(watched.code, 1);
      assert.match(watched.stderr, /cancel/i);
      assert.equal(alive(pid), false, 'the training process outlived the run');
      const status = await json('status', id);
      const train = status.body.steps.find((s: { name: string }) => s.name === 'train');
      assert.equal(train.state, 'cancelled');
      assert.equal(status.body.stage, 'failed');
      await record('cancelled', id);
    });
  });

  it('refuses bad specs with the field path, in validate and run, and starts nothing', async () => {
    const cases: [string, (s: Loose) => void, RegExp][] = [
      ['unknown-key', (s) => (s.training.entrypint = ['python']), /training: unknown key "entrypint"/],
      ['wrong-type', (s) => (s.training.params = 'fast'), /training\.params: /],
      ['bad-cron', (s) => (s.schedule.cron = '61 * * * *'), /schedule\.cron: .*minute/],
      [
        'missing-entrypoint',
        (s) => (s.training.entrypoint = ['python', 'nope.py']),
        /training\.entrypoint: nope\.py not found/,
      ],
    ];
    for (const [name, change, expected] of cases) {
      const file = writeSpec(`bad-${name}.yaml`, (s) => {
        s.name = `bad-${name}`;
        change(s);
      });
      const validated = await cli('pipeline', 'validate', file);
      assert.equal(validated.code, 2, `${name}: ${validated.stdout}${validated.stderr}`);
      assert.match(validated.stdout + validated.stderr, expected);
      const ran = await cli('run', `bad-${name}`, '--spec', file);
      assert.equal(ran.code, 2, `${name}: ${ran.stderr}`);
      assert.match(ran.stderr, expected);
      fs.rmSync(file);
    }
    const listed = await json('runs', 'list', '--type', 'all', '--pipeline', 'bad-unknown-key');
    assert.deepEqual(listed.body.runs, []);
  });
});
