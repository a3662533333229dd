/**
 * Schedules as code through the CLI, against the shared dev server: `mlops pipeline apply` plans
 * and reconciles the retrain schedules, `mlops schedule …` reads and drives them. No worker runs:
 * scheduled runs start and wait, which is all these tests need to see.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import { settingsOf } from '../../client/schedules/settings';
import { parseTimeFlag, parseTimeRange } from '../../client/schedules/times';
import { UserError } from '../../common/errors';
import { cliEnv, runCli, type CliResult } from '../support/cli';
import { testStack } from '../support/stack';

const spec = (name: string, schedule?: string) => `name: ${name}
model: ${name}
dataset:
  name: ${name}
  source: data
  workerPath: true
training:
  entrypoint: [python, train.py]
  codeDir: code
evaluation:
  entrypoint: [python, evaluate.py]
  codeDir: code
  primaryMetric: auc
${schedule ? `schedule:\n${schedule}` : ''}`;

describe('backfill times', () => {
  it('reads a date as midnight UTC and a date-time with its zone', () => {
    assert.equal(parseTimeFlag('--from', '2026-01-01').toISOString(), '2026-01-01T00:00:00.000Z');
    assert.equal(parseTimeFlag('--from', '2026-01-01T03:30:00+02:00').toISOString(), '2026-01-01T01:30:00.000Z');
  });

  it('refuses a date-time without a zone, and dates that do not exist, naming the flag', () => {
    const refused = (value: string, message: RegExp) =>
      assert.throws(
        () => parseTimeFlag('--to', value),
        (err: unknown) => err instanceof UserError && err.exitCode === 2 && message.test(err.message),
      );
    refused('2026-01-01T00:00', /^--to: "2026-01-01T00:00" has no time zone: add Z/);
    refused('2026-02-30', /^--to: "2026-02-30" is not a real date/);
    refused('2026-01-01T24:00:00Z', /^--to: .* is not a real date/);
    refused('last tuesday', /^--to: expected an ISO 8601 time/);
  });

  it('takes --from up to --to, which must come after it', () => {
    const range = parseTimeRange('2026-01-01', '2026-01-01T03:00:00Z');
    assert.equal(range.to.getTime() - range.from.getTime(), 3 * 3_600_000);
    assert.throws(
      () => parseTimeRange('2026-01-02', '2026-01-01'),
      (err: unknown) =>
        err instanceof UserError && err.exitCode === 2 && /^--to: must be after --from/.test(err.message),
    );
  });
});

describe('mlops pipeline apply and mlops schedule', function () {
  this.timeout(60_000);
  const id = crypto.randomBytes(3).toString('hex');
  const nightly = `nightly-${id}`;
  const hourly = `hourly-${id}`;
  const unscheduled = `manual-${id}`;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  let client: Client;

  const mlops = (...args: string[]): Promise<CliResult> => runCli(args, env);
  const write = (file: string, text: string) => fs.writeFileSync(path.join(dir, file), text);
  const describeSchedule = (pipeline: string) => client.schedule.getHandle(`retrain/${pipeline}`).describe();

  before(() => {
    env = { ...cliEnv(`sched-${id}`), MLOPS_ACTOR: 'alice' };
    client = testStack().env.client;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-schedules-'));
    // the code apart from the spec files: editing a spec's schedule changes no pipeline's code package
    fs.mkdirSync(path.join(dir, 'code'));
    fs.writeFileSync(path.join(dir, 'code', 'train.py'), '');
    fs.writeFileSync(path.join(dir, 'code', 'evaluate.py'), '');
    write('nightly.yaml', spec(nightly, "  cron: '0 3 * * *'\n"));
    write('hourly.yaml', spec(hourly, "  cron: '0 * * * *'\n  timezone: Europe/Berlin\n  catchupWindow: 10m\n"));
    write('manual.yaml', spec(unscheduled));
  });

  after(async () => {
    for (const pipeline of [nightly, hourly]) {
      await client.schedule
        .getHandle(`retrain/${pipeline}`)
        .delete()
        .catch(() => undefined);
    }
    for await (const run of client.workflow.list({ query: `MlPipeline IN ('${nightly}', '${hourly}')` })) {
      if (run.status.name === 'RUNNING')
        await client.workflow
          .getHandle(run.workflowId, run.runId)
          .terminate('test cleanup')
          .catch(() => undefined);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('plans a create per scheduled pipeline and changes nothing with --dry-run', async () => {
    const result = await mlops('pipeline', 'apply', dir, '--dry-run');
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trim().split('\n');
    assert.deepEqual(lines, [
      `+ create    retrain/${hourly}   cron '0 * * * *' Europe/Berlin, overlap skip, catchup 10m`,
      `+ create    retrain/${nightly}  cron '0 3 * * *' UTC, overlap skip, catchup 1h`,
      'dry run: would create 2, update 0, delete 0',
    ]);
    await assert.rejects(describeSchedule(nightly), ScheduleNotFoundError);
    await assert.rejects(describeSchedule(hourly), ScheduleNotFoundError);
  });

  it('creates the schedules, which start retrainPipeline for the spec, then reports no changes', async () => {
    const first = await mlops('pipeline', 'apply', dir);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^applied: 2 created, 0 updated, 0 deleted$/m);

    const d = await describeSchedule(hourly);
    assert.equal(d.action.workflowType, 'retrainPipeline');
    assert.equal(d.action.workflowId, `retrain/${hourly}/scheduled`);
    assert.equal(d.action.taskQueue, env.MLOPS_TASK_QUEUE);
    const [input] = d.action.args as [
      { spec: { name: string }; trigger: string; actor: string; trainingTaskQueue: string; servingTaskQueue: string },
    ];
    assert.equal(input.spec.name, hourly);
    assert.equal(input.trigger, 'schedule');
    assert.equal(input.actor, 'schedule');
    assert.equal(input.trainingTaskQueue, env.MLOPS_TRAINING_TASK_QUEUE);
    // its runs' rollouts deploy through the serving hosts' queue
    assert.equal(input.servingTaskQueue, env.MLOPS_SERVING_TASK_QUEUE);
    assert.equal(d.spec.timezone, 'Europe/Berlin');
    assert.equal(d.policies.overlap, 'SKIP');
    assert.equal(d.policies.catchupWindow, 600_000);
    assert.match(
      d.action.staticSummary ?? '',
      new RegExp(`^retrain ${hourly} · schedule 0 \\* \\* \\* \\* Europe/Berlin`),
    );

    const second = await mlops('pipeline', 'apply', dir);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(second.stdout.trim().split('\n'), [
      `= unchanged retrain/${hourly}`,
      `= unchanged retrain/${nightly}`,
      'no changes',
    ]);
  });

  it('round-trips non-default settings through the server, then updates a changed jitter alone', async () => {
    const tuned = `tuned-${id}`;
    const settings = (jitter: string) =>
      "  cron: '30 2 * * 1-5'\n  timezone: America/New_York\n  overlap: buffer-one\n" +
      `  catchupWindow: 2h30m\n  pauseOnFailure: true\n  jitter: ${jitter}\n`;
    write('tuned.yaml', spec(tuned, settings('5m')));
    try {
      const created = await mlops('pipeline', 'apply', dir);
      assert.equal(created.code, 0, created.stderr);
      assert.match(
        created.stdout,
        new RegExp(
          `^\\+ create +retrain/${tuned} +cron '30 2 \\* \\* 1-5' America/New_York, overlap buffer-one, ` +
            'catchup 2h30m, pause on failure, jitter 5m$',
          'm',
        ),
      );

      const described = await mlops('--json', 'schedule', 'describe', tuned);
      assert.equal(described.code, 0, described.stderr);
      const view = JSON.parse(described.stdout);
      assert.deepEqual(
        {
          cron: view.cron,
          timezone: view.timezone,
          overlap: view.overlap,
          catchupWindow: view.catchupWindow,
          pauseOnFailure: view.pauseOnFailure,
          jitter: view.jitter,
        },
        {
          cron: '30 2 * * 1-5',
          timezone: 'America/New_York',
          overlap: 'buffer-one',
          catchupWindow: '2h30m',
          pauseOnFailure: true,
          jitter: '5m',
        },
      );
      const d = await describeSchedule(tuned);
      assert.equal(d.spec.jitter, 300_000);
      assert.equal(d.policies.catchupWindow, 9_000_000);
      assert.equal(d.policies.overlap, 'BUFFER_ONE');
      assert.equal(d.policies.pauseOnFailure, true);

      const again = await mlops('pipeline', 'apply', dir);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, new RegExp(`^= unchanged retrain/${tuned}$`, 'm'));
      assert.match(again.stdout, /^no changes$/m);

      write('tuned.yaml', spec(tuned, settings('90s')));
      const updated = await mlops('pipeline', 'apply', dir);
      assert.equal(updated.code, 0, updated.stderr);
      assert.match(updated.stdout, new RegExp(`^~ update +retrain/${tuned}\\n    jitter: '5m' → '1m30s'\\n(?! )`, 'm'));
      assert.match(updated.stdout, /^applied: 0 created, 1 updated, 0 deleted$/m);
      assert.equal((await describeSchedule(tuned)).spec.jitter, 90_000);
    } finally {
      fs.rmSync(path.join(dir, 'tuned.yaml'), { force: true });
      await client.schedule
        .getHandle(`retrain/${tuned}`)
        .delete()
        .catch(() => undefined);
    }
  });

  it('updates a changed cron, lists only that field, and keeps the schedule paused', async () => {
    const paused = await mlops('schedule', 'pause', nightly, '--reason', 'data late');
    assert.equal(paused.code, 0, paused.stderr);
    assert.match(paused.stdout, /paused \(was active\); note: paused by alice: data late/);

    write('nightly.yaml', spec(nightly, "  cron: '0 4 * * *'\n"));
    const result = await mlops('pipeline', 'apply', dir);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      new RegExp(`^~ update +retrain/${nightly}\\n    cron: '0 3 \\* \\* \\*' → '0 4 \\* \\* \\*'\\napplied`, 'm'),
    );
    assert.doesNotMatch(result.stdout, /spec:/);
    assert.match(result.stdout, /^applied: 0 created, 1 updated, 0 deleted$/m);

    const described = await mlops('schedule', 'describe', nightly);
    assert.equal(described.code, 0, described.stderr);
    assert.match(described.stdout, /^cron: +0 4 \* \* \* \(UTC\)$/m);
    assert.match(described.stdout, /PAUSED \(paused by alice: data late\)/);
    const next = (await describeSchedule(nightly)).info.nextActionTimes[0];
    assert.equal(next?.getUTCHours(), 4);
  });

  it('lists the schedules, unpauses with a note, and triggers a run now', async () => {
    const unpaused = await mlops('schedule', 'unpause', nightly);
    assert.equal(unpaused.code, 0, unpaused.stderr);
    assert.equal((await describeSchedule(nightly)).state.note, 'unpaused by alice');

    const triggered = await mlops('--json', 'schedule', 'trigger', nightly);
    assert.equal(triggered.code, 0, triggered.stderr);
    const started: string = JSON.parse(triggered.stdout).started;
    assert.match(started, new RegExp(`^retrain/${nightly}/scheduled-\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$`));
    assert.equal((await client.workflow.getHandle(started).describe()).status.name, 'RUNNING');

    // the run has no worker, so it is still going: the schedule's overlap policy (skip) holds the next one back
    const skipped = await mlops('schedule', 'trigger', nightly);
    assert.equal(skipped.code, 0, skipped.stderr);
    assert.match(skipped.stdout, new RegExp(`no run started \\(skipped by overlap skip; still running: ${started}\\)`));

    const list = await mlops('schedule', 'list');
    assert.equal(list.code, 0, list.stderr);
    const row = list.stdout.split('\n').find((l) => l.startsWith(`${nightly} `));
    assert.ok(row, list.stdout);
    assert.match(row, /^\S+ +0 4 \* \* \* +UTC +no +\d{4}-\d\d-\d\dT04:00:00Z +\S+ +running$/);
  });

  it('backfills three hours of an hourly schedule as three runs', async () => {
    const result = await mlops(
      '--json',
      'schedule',
      'backfill',
      hourly,
      '--from',
      '2026-01-01T00:00:00Z',
      '--to',
      '2026-01-01T03:00:00Z',
      '--overlap',
      'allow-all',
    );
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout);
    const expected = ['00', '01', '02'].map((h) => `retrain/${hourly}/scheduled-2026-01-01T${h}:00:00Z`);
    assert.equal(report.expectedRuns, 3);
    assert.deepEqual(report.workflowIds, expected);

    let seen: string[] = [];
    for (let attempt = 0; attempt < 40 && seen.length < 3; attempt++) {
      await new Promise((r) => setTimeout(r, 250));
      seen = [];
      for await (const run of client.workflow.list({ query: `TemporalScheduledById = 'retrain/${hourly}'` }))
        seen.push(run.workflowId);
    }
    assert.deepEqual(seen.sort(), expected);
  });

  it('refuses a bad backfill time and an unknown pipeline', async () => {
    const badFrom = await mlops('schedule', 'backfill', hourly, '--from', 'yesterday', '--to', '2026-01-02');
    assert.equal(badFrom.code, 2);
    assert.match(badFrom.stderr, /--from: expected an ISO 8601 time .*got "yesterday"/);
    const unknown = await mlops('schedule', 'pause', `nope-${id}`);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, new RegExp(`no schedule for pipeline nope-${id}.*scheduled pipelines: .*${nightly}`));
  });

  it('refuses a folder with an invalid spec and changes nothing', async () => {
    write('nightly.yaml', spec(nightly, "  cron: '0 5 * * *'\n"));
    write('broken.yaml', spec(`broken-${id}`, "  cron: '0 25 * * *'\n"));
    const result = await mlops('pipeline', 'apply', dir);
    assert.equal(result.code, 2, result.stdout);
    assert.match(
      result.stderr,
      new RegExp(
        `^${path.join(dir, 'broken.yaml')}:15: schedule\\.cron: hour field "25": 25 is out of range 0-23$`,
        'm',
      ),
    );
    assert.match(result.stderr, /1 of 4 pipeline specs are invalid; nothing was changed/);
    assert.equal(result.stdout, '');
    assert.equal(settingsOf(await describeSchedule(nightly)).cron, '0 4 * * *');
    fs.rmSync(path.join(dir, 'broken.yaml'));
    write('nightly.yaml', spec(nightly, "  cron: '0 4 * * *'\n"));
  });

  it('leaves alone a retrain/ schedule it did not create, and changes nothing', async () => {
    const foreign = `foreign-${id}`;
    await client.schedule.create({
      scheduleId: `retrain/${foreign}`,
      spec: { cronExpressions: ['0 1 * * *'] },
      action: { type: 'startWorkflow', workflowType: 'retrainPipeline', taskQueue: 'elsewhere', args: [] },
      state: { paused: true },
    });
    try {
      write('foreign.yaml', spec(foreign, "  cron: '0 2 * * *'\n  catchupWindow: 1s\n"));
      write('nightly.yaml', spec(nightly, "  cron: '0 5 * * *'\n"));
      const result = await mlops('pipeline', 'apply', dir);
      assert.equal(result.code, 1, result.stderr);
      assert.match(
        result.stdout,
        new RegExp(
          `^! conflict +retrain/${foreign} +schedule retrain/${foreign} exists but was not created by mlops`,
          'm',
        ),
      );
      assert.match(result.stderr, /1 schedule in the way; nothing was changed/);
      assert.deepEqual((await describeSchedule(foreign)).action.args, []);
      assert.equal(settingsOf(await describeSchedule(nightly)).cron, '0 4 * * *');
    } finally {
      await client.schedule.getHandle(`retrain/${foreign}`).delete();
      write('nightly.yaml', spec(nightly, "  cron: '0 4 * * *'\n"));
    }
    // once it is gone the spec's schedule is created; a catchup window under Temporal's 10 s minimum stays stable
    const created = await mlops('pipeline', 'apply', dir);
    assert.match(
      created.stdout,
      new RegExp(`^\\+ create +retrain/${foreign} +cron '0 2 \\* \\* \\*' UTC, overlap skip, catchup 10s$`, 'm'),
    );
    const again = await mlops('pipeline', 'apply', dir);
    assert.match(again.stdout, new RegExp(`^= unchanged retrain/${foreign}$`, 'm'));
    fs.rmSync(path.join(dir, 'foreign.yaml'));
    await client.schedule.getHandle(`retrain/${foreign}`).delete();
  });

  it('keeps a schedule whose pipeline is gone, and deletes it with --prune', async () => {
    fs.rmSync(path.join(dir, 'hourly.yaml'));
    const kept = await mlops('pipeline', 'apply', dir);
    assert.equal(kept.code, 0, kept.stderr);
    assert.match(
      kept.stdout,
      new RegExp(`^\\? kept +retrain/${hourly} +its pipeline is no longer declared; kept`, 'm'),
    );
    assert.match(kept.stdout, /^1 schedule no longer declared; run with --prune to delete$/m);
    await describeSchedule(hourly);

    const dryRun = await mlops('pipeline', 'apply', dir, '--prune', '--dry-run');
    assert.match(dryRun.stdout, new RegExp(`^- delete +retrain/${hourly} +its pipeline is no longer declared$`, 'm'));
    await describeSchedule(hourly);

    const pruned = await mlops('pipeline', 'apply', dir, '--prune');
    assert.equal(pruned.code, 0, pruned.stderr);
    assert.match(pruned.stdout, /^applied: 0 created, 0 updated, 1 deleted$/m);
    await assert.rejects(describeSchedule(hourly), ScheduleNotFoundError);
    assert.match(pruned.stdout, new RegExp(`^= unchanged retrain/${nightly}$`, 'm'));

    // a spec that drops its schedule section: the schedule goes with --prune, for that reason
    write('nightly.yaml', spec(nightly));
    const dropped = await mlops('--json', 'pipeline', 'apply', dir, '--prune');
    assert.equal(dropped.code, 0, dropped.stderr);
    assert.deepEqual(JSON.parse(dropped.stdout).plan, [
      {
        action: 'delete',
        pipeline: nightly,
        scheduleId: `retrain/${nightly}`,
        reason: 'its spec has no schedule section',
      },
    ]);
    await assert.rejects(describeSchedule(nightly), ScheduleNotFoundError);
  });
});
