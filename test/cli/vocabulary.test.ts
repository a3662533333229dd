/**
 * One vocabulary in every command, checked on the commands themselves (no server): `--actor` and
 * `--reason` where someone acts, `--sort` with `--order`, durations such as `30s` for every duration
 * flag with defaults shown as durations; the old spellings (`--as`, `--comment`, `--asc`,
 * `--sort-by`) still work but are hidden from help.
 */
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { registerAbTest } from '../../client/commands/abtest';
import { registerApprove } from '../../client/commands/approve';
import { registerDemo } from '../../client/commands/demo';
import { registerExperiments } from '../../client/commands/experiments';
import { registerGateway } from '../../client/commands/gateway';
import { registerModels } from '../../client/commands/models';
import { registerMonitor } from '../../client/commands/monitor';
import { registerReject } from '../../client/commands/reject';
import { registerRollout } from '../../client/commands/rollout';
import { registerTrials } from '../../client/commands/trials';
import { registerWorker } from '../../client/commands/worker';
import type { CommandContext } from '../../client/context';
import { EXIT, exitFor } from '../../client/exit-codes';
import { durationOption, formatDuration } from '../../client/options';
import { isDuration } from '../../common/duration';
import type { UserError } from '../../common/errors';

const noContext = (): CommandContext => {
  throw new Error('no command runs in these tests');
};

/** A program with the commands under test; every action is replaced by recording its options. */
function program(): { root: Command; parsed: () => Record<string, unknown> } {
  const root = new Command('mlops').exitOverride();
  for (const register of [
    registerApprove,
    registerReject,
    registerRollout,
    registerMonitor,
    registerAbTest,
    registerModels,
    registerTrials,
    registerExperiments,
    registerWorker,
    registerGateway,
    registerDemo,
  ])
    register(root, noContext);
  let opts: Record<string, unknown> | undefined;
  const stop = new Error('parsed');
  root.hook('preAction', (_root, action) => {
    opts = action.opts();
    throw stop;
  });
  const walk = (c: Command) => {
    c.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
    c.commands.forEach(walk);
  };
  walk(root);
  return {
    root,
    parsed: () => {
      assert.ok(opts, 'the command was parsed');
      return opts;
    },
  };
}

/** The options `mlops <args>` parses to (its action is not run). */
async function optionsOf(...args: string[]): Promise<Record<string, unknown>> {
  const { root, parsed } = program();
  await root.parseAsync(args, { from: 'user' }).catch((err: Error) => {
    if (err.message !== 'parsed') throw err;
  });
  return parsed();
}

function helpOf(...path: string[]): string {
  let c = program().root;
  for (const name of path) c = c.commands.find((x) => x.name() === name)!;
  return c.helpInformation();
}

function everyCommand(c: Command): Command[] {
  return [c, ...c.commands.flatMap(everyCommand)];
}

describe('one vocabulary in every command', () => {
  const acting = [
    ['approve'],
    ['reject'],
    ['rollout', 'pause'],
    ['rollout', 'resume'],
    ['rollout', 'promote'],
    ['rollout', 'abort'],
    ['monitor', 'pause'],
    ['monitor', 'resume'],
    ['abtest', 'stop'],
    ['models', 'alias'],
    ['models', 'status'],
  ];

  it('offers --actor and --reason where someone acts, and hides the old spellings', () => {
    for (const path of acting) {
      const help = helpOf(...path);
      assert.match(help, /--actor <name>/, path.join(' '));
      assert.match(help, /--reason <text>/, path.join(' '));
      assert.doesNotMatch(help, /--as\b|--comment\b/, path.join(' '));
    }
  });

  it('still takes --as and approve --comment, as --actor and --reason', async () => {
    const approve = await optionsOf('approve', 'retrain/churn/x', '--comment', 'segments hold', '--as', 'alice');
    assert.equal(approve.reason, 'segments hold');
    assert.equal(approve.actor, 'alice');
    const pause = await optionsOf('rollout', 'pause', 'churn', '--reason', 'dashboards', '--as', 'bob');
    assert.equal(pause.actor, 'bob');
    const alias = await optionsOf('models', 'alias', 'churn', 'champion', '3', '--reason', 'r', '--actor', 'carol');
    assert.equal(alias.actor, 'carol');
  });

  it('refuses approve without a reason in either spelling (exit 2)', async () => {
    await assert.rejects(optionsOf('approve', 'retrain/churn/x', '--actor', 'alice'), (err: Error) => {
      assert.match(err.message, /--reason <text>/);
      assert.equal(exitFor(err).code, EXIT.badInput);
      return true;
    });
  });

  it('sorts with --sort and --order; trials --asc and experiments show --sort-by still work, hidden', async () => {
    for (const path of [['trials'], ['experiments', 'show']]) {
      const help = helpOf(...path);
      assert.match(help, /--sort <field>/);
      assert.match(help, /--order <order>/);
      assert.doesNotMatch(help, /--asc\b|--sort-by\b/);
    }
    assert.deepEqual(
      pick(await optionsOf('trials', 'sweep/x', '--sort', 'val_auc', '--order', 'asc'), 'sort', 'order'),
      { sort: 'val_auc', order: 'asc' },
    );
    assert.equal((await optionsOf('trials', 'sweep/x', '--sort', 'val_auc', '--asc')).order, 'asc');
    assert.equal((await optionsOf('experiments', 'show', 'churn', 'run-1', '--sort-by', 'auc')).sort, 'auc');
    await assert.rejects(optionsOf('trials', 'sweep/x', '--order', 'up'), /asc, desc|choices/);
  });

  it('takes durations for every duration flag and shows defaults as durations, never milliseconds', async () => {
    assert.equal((await optionsOf('worker', '--connect-timeout', '30s')).connectTimeout, 30_000);
    assert.equal((await optionsOf('worker')).connectTimeout, 120_000);
    assert.equal((await optionsOf('gateway', '--upstream-timeout', '500ms')).upstreamTimeout, 500);
    // documented before as seconds and minutes: a bare number keeps that meaning
    assert.equal((await optionsOf('gateway', '--upstream-timeout', '3')).upstreamTimeout, 3000);
    assert.equal((await optionsOf('demo', '--timeout', '12')).timeout, 12 * 60_000);
    assert.equal((await optionsOf('demo', '--timeout', '1h')).timeout, 3_600_000);
    assert.match(helpOf('worker'), /\(default: 2m\)/);
    assert.match(helpOf('gateway'), /\(default: 10s\)/);
    assert.match(helpOf('demo'), /\(default: 15m\)/);
    for (const c of everyCommand(program().root))
      for (const o of c.options)
        if (/timeout|interval|bake|wait|delay|period/.test(o.long ?? '') && o.defaultValue !== undefined)
          assert.ok(isDuration(String(o.defaultValueDescription ?? o.defaultValue)), `mlops ${c.name()} ${o.long}`);
    await assert.rejects(optionsOf('worker', '--connect-timeout', '120000'), (err: UserError) => {
      assert.equal(err.exitCode, 2);
      assert.match(err.message, /^--connect-timeout: expected a duration such as 30s, 10m or 0s, got "120000"/);
      return true;
    });
  });

  it('parses durations, naming the flag and the expected form when it cannot', () => {
    const parse = durationOption('--bake');
    assert.equal(parse('1h30m'), 5_400_000);
    assert.throws(() => parse('10'), /^UserError: --bake: expected a duration such as 30s or 10m, got "10"$/);
    assert.throws(() => parse('0s'), /--bake: expected a duration longer than 0/);
    assert.throws(
      () => parse('soon'),
      (err: UserError) => err.exitCode === 2,
    );
    assert.equal(durationOption('--t', { allowZero: true })('0s'), 0);
    assert.throws(() => durationOption('--t', { bareUnit: 'm' })('ten'), /a bare number is minutes/);
    assert.deepEqual([120_000, 90_000, 250, 0, 86_400_000].map(formatDuration), ['2m', '1m30s', '250ms', '0s', '1d']);
  });
});

function pick(o: Record<string, unknown>, ...keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, o[k]]));
}
