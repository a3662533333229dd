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

  it('runs the build output: dist/ from the build stage, the .py assets, no sources, no tsx, no examples', () => {
    const copies = instructions(runtime, 'COPY').filter((c) => !c.startsWith('--from'));
    const copied = new Set(copies.flatMap((c) => c.split(' ').slice(0, -1)));
    for (const file of ['bin', 'package.json']) assert.ok(copied.has(file), `${file} is copied into the runtime image`);
    // dist/ (tsc -p tsconfig.build.json) comes from the stage that ran the build
    const dist = copiedFrom('/app/dist');
    assert.ok(dist, 'dist/ comes from a stage');
    assert.equal(dist.from, stageRunning(/npm run build/)?.name);
    assert.equal(path.posix.resolve(workdir!, dist.dest), '/app/dist');
    // no TypeScript source folder: the runtime runs JavaScript (bin/mlops.js → dist/client/cli.js)
    const build = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'tsconfig.build.json'), 'utf8')) as {
      include: string[];
    };
    for (const dir of build.include) assert.ok(!copied.has(dir), `the runtime image copies the sources of ${dir}`);
    // the assets the code finds from the package root (lib/package-root.ts), at their place under /app
    for (const asset of ['activities/serving/model_server.py', 'activities/training/ray_runner.py']) {
      assert.ok(fs.existsSync(path.join(REPO_ROOT, asset)), `${asset} exists`);
      const copy = copies.find((c) => c.split(' ')[0] === asset);
      assert.ok(copy, `${asset} is copied into the runtime image`);
      const dest = copy.split(' ').at(-1)!;
      const target = dest.endsWith('/') ? path.posix.join(dest, path.posix.basename(asset)) : dest;
      assert.equal(path.posix.resolve(workdir!, target), path.posix.join(workdir!, asset));
    }
    // tsx is a development dependency: the production install leaves it out, and nothing loads it
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    assert.equal(pkg.dependencies.tsx, undefined, 'tsx is not a runtime dependency');
    assert.equal(pkg.dependencies['@temporalio/testing'], undefined, '@temporalio/testing is not a runtime dependency');
    assert.ok(pkg.devDependencies.tsx);
    assert.doesNotMatch([...entrypoint, ...cmd].join(' '), /tsx/);
    // the examples' code and data reach a worker with the run (code packages, dataset uploads)
    for (const dir of copied)
      assert.ok(!/^(\.\/?|examples\b.*)$/.test(dir), `the runtime image copies ${dir}: it ships the platform only`);
    for (const copy of instructions(runtime, 'COPY').filter((c) => c.startsWith('--from')))
      assert.doesNotMatch(copy, /examples/, `the runtime image takes examples from another stage: ${copy}`);
    const ignored = fs.readFileSync(path.join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const local of ['node_modules', '.venv', '.tools', '.mlops', '.git', 'dist'])
      assert.ok(ignored.includes(local), `.dockerignore leaves out ${local}`);
    for (const dir of copied) assert.ok(!ignored.includes(dir), `${dir} is copied but .dockerignore leaves it out`);
    assert.ok(!copied.has('infra'), 'infra/ deploys things: nothing the worker runs needs it');
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
