/**
 * The worker image (Dockerfile), read as text: no Docker engine is needed. It must build the
 * workflow bundle once and start the worker from it, run as a non-root user, carry production
 * dependencies and the Python venv where the worker looks for them, and agree with itself on ports.
 * It ships the platform only: no examples/, since a run's code travels as a code package in the store.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../lib/tools';
import { execForm, flagValue, instructions, readDockerfile, type Stage } from './dockerfile';

describe('worker image (Dockerfile)', () => {
  const stages = readDockerfile();
  const runtime = stages.at(-1)!;
  const entrypoint = execForm(instructions(runtime, 'ENTRYPOINT').at(-1) ?? 'null');
  const cmd = execForm(instructions(runtime, 'CMD').at(-1) ?? 'null');
  const workdir = instructions(runtime, 'WORKDIR').at(-1);
  const stageRunning = (pattern: RegExp): Stage | undefined =>
    stages.find((s) => instructions(s, 'RUN').some((r) => pattern.test(r)));
  /** The stage named by `COPY --from=<stage> <src> <dest>` in the runtime stage, for a given source. */
  const copiedFrom = (src: string): { from: string; dest: string } | undefined => {
    for (const copy of instructions(runtime, 'COPY')) {
      const m = /^--from=(\S+)\s+(\S+)\s+(\S+)$/.exec(copy);
      if (m && m[2] === src) return { from: m[1]!, dest: m[3]! };
    }
    return undefined;
  };

  it('is multi-stage, with a slim Node runtime that runs as a non-root numeric user', () => {
    assert.ok(stages.length >= 2, 'a build stage and a runtime stage');
    assert.match(runtime.base, /^node:\d+(\.\d+)*-[\w-]*slim$/);
    const user = instructions(runtime, 'USER').at(-1);
    assert.ok(user, 'the runtime stage sets USER');
    const [uid, gid] = user.split(':');
    assert.match(uid!, /^\d+$/, 'a numeric uid, so runAsNonRoot can verify it');
    assert.notEqual(Number(uid), 0);
    if (gid !== undefined) assert.notEqual(Number(gid), 0);
    // the user comes after everything that needs root
    const lastRun = runtime.instructions.map((i) => i.keyword).lastIndexOf('RUN');
    assert.ok(runtime.instructions.findIndex((i) => i.keyword === 'USER') > lastRun);
  });

  it('builds the workflow bundle in a build stage and starts the worker from it', () => {
    const build = stageRunning(/node bin\/mlops\.js bundle -o /);
    assert.ok(build, 'a stage runs mlops bundle');
    assert.notEqual(build.name, runtime.name);
    const runs = instructions(build, 'RUN').join(' && ');
    assert.match(runs, /npm ci\b(?! --omit=dev)/, 'the build stage installs dev dependencies too');
    assert.match(runs, /npm run build/);
    const bundle = /bundle -o (\S+)/.exec(runs)![1]!;
    const copy = copiedFrom(bundle);
    assert.deepEqual(copy && [copy.from, path.posix.resolve(workdir!, copy.dest)], [build.name, bundle]);
    assert.deepEqual(entrypoint.slice(entrypoint.indexOf('node'), entrypoint.indexOf('node') + 3), [
      'node',
      'bin/mlops.js',
      'worker',
    ]);
    assert.equal(flagValue(entrypoint, '--bundle'), bundle);
    assert.equal(flagValue(entrypoint, '--health-host'), '0.0.0.0');
    assert.equal(flagValue(entrypoint, '--metrics-host'), '0.0.0.0');
  });

  it('carries production dependencies only, and the venv where the worker looks for it', () => {
    const deps = copiedFrom('/app/node_modules');
    assert.ok(deps, 'node_modules comes from a stage');
    const depsStage = stages.find((s) => s.name === deps.from)!;
    assert.match(instructions(depsStage, 'RUN').join(' '), /npm ci --omit=dev/);
    assert.equal(path.posix.resolve(workdir!, deps.dest), '/app/node_modules');
    // worker/dependencies.ts runs `<repo>/.venv/bin/python` (jobs, and the model server), the repo being WORKDIR
    const venv = copiedFrom('/app/.venv');
    assert.ok(venv, 'the venv comes from a stage');
    assert.equal(path.posix.resolve(workdir!, venv.dest), path.posix.join(workdir!, '.venv'));
    const venvStage = stages.find((s) => s.name === venv.from)!;
    assert.equal(venvStage.base, runtime.base, 'the venv is built on the base it runs on');
    assert.match(
      instructions(venvStage, 'RUN').join(' '),
      /-m venv \/app\/\.venv .*pip install .*-r requirements\.txt/,
    );
    assert.match(instructions(runtime, 'RUN').join(' '), /apt-get install .*\bpython3\b/);
    const env = instructions(runtime, 'ENV').join(' ');
    assert.match(env, /NODE_ENV=production/);
  });

  it('copies every folder the worker loads its code from, and not the examples', () => {
    const copies = instructions(runtime, 'COPY').filter((c) => !c.startsWith('--from'));
    const copied = new Set(copies.flatMap((c) => c.split(' ').slice(0, -1)));
    const build = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'tsconfig.build.json'), 'utf8')) as {
      include: string[];
    };
    const platform = build.include.filter((dir) => dir !== 'examples');
    assert.ok(platform.length < build.include.length, 'the build still compiles the examples');
    for (const dir of [...platform, 'bin', 'package.json'])
      assert.ok(copied.has(dir), `${dir} is copied into the runtime image`);
    // the examples' code and data reach a worker with the run (code packages, dataset uploads)
    for (const dir of copied)
      assert.ok(!/^(\.\/?|examples\b.*)$/.test(dir), `the runtime image copies ${dir}: it ships the platform only`);
    for (const copy of instructions(runtime, 'COPY').filter((c) => c.startsWith('--from')))
      assert.doesNotMatch(copy, /examples/, `the runtime image takes examples from another stage: ${copy}`);
    const ignored = fs.readFileSync(path.join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const local of ['node_modules', '.venv', '.tools', '.mlops', '.git'])
      assert.ok(ignored.includes(local), `.dockerignore leaves out ${local}`);
    for (const dir of copied) assert.ok(!ignored.includes(dir), `${dir} is copied but .dockerignore leaves it out`);
    assert.ok(!copied.has('infra'), 'infra/ deploys things: nothing the worker runs needs it');
    // the model server a serving worker runs, and a KServe ServingRuntime runs from this image
    assert.ok(fs.existsSync(path.join(REPO_ROOT, 'activities', 'serving', 'model_server.py')));
    assert.ok(
      copied.has('activities'),
      'activities/serving/model_server.py is in the image at /app/activities/serving/',
    );
    assert.ok(!ignored.some((p) => /\*\.py|model_server/.test(p)), '.dockerignore keeps the model server');
  });

  it('checks its health on the port it serves health on, and exposes the health and metrics ports', () => {
    const healthPort = flagValue(cmd, '--health-port');
    const metricsPort = flagValue(cmd, '--metrics-port');
    assert.ok(healthPort && metricsPort, 'CMD names both ports');
    assert.equal(flagValue(cmd, '--queues'), 'all');
    const healthcheck = instructions(runtime, 'HEALTHCHECK').at(-1);
    assert.ok(healthcheck, 'a HEALTHCHECK');
    const probe = execForm(healthcheck.replace(/^.*?CMD\s+/, ''));
    assert.match(probe.join(' '), new RegExp(`http://127\\.0\\.0\\.1:${healthPort}/healthz`));
    assert.deepEqual(instructions(runtime, 'EXPOSE').join(' ').split(' ').sort(), [healthPort, metricsPort].sort());
  });
});
