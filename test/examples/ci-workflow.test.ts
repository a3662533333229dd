/**
 * The CI example (examples/ci/mlops.yml) works as written: the `run:` steps of its pull-request job
 * run in bash as a GitHub runner runs them, in a repository of pipeline specs made for the test, with
 * the environment GitHub would give them. The install step installs the CLI globally (into a prefix
 * of the test's own) from a tarball `npm pack` made of this checkout, as a release would, at the
 * path the workflow installs from by default; the validate step then runs that installed `mlops`.
 *
 * Installing resolves the package's dependencies through npm (from its cache when it has them,
 * else the registry), which takes about a minute.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { REPO_ROOT } from '../../lib/tools';

const execFileAsync = promisify(execFile);

interface Step {
  name?: string;
  run?: string;
  uses?: string;
}

interface Workflow {
  env: Record<string, string>;
  jobs: Record<string, { if?: string; env?: Record<string, string>; steps: Step[] }>;
}

/** The contexts GitHub resolves `${{ … }}` against, as far as the workflow uses them. */
type Contexts = Record<string, Record<string, string>>;

/**
 * Resolves a value of the workflow's `env` as GitHub does for the expressions it uses: a context
 * property (`vars.X`, `secrets.X`, `github.actor`), a quoted string, and `a || b` (the first that is
 * not empty). Anything else fails the test, so a new kind of expression is noticed.
 */
function resolveExpressions(value: string, contexts: Contexts): string {
  return value.replace(/\$\{\{(.*?)\}\}/g, (_, expression: string) => {
    for (const operand of expression.split('||').map((o) => o.trim())) {
      const literal = /^'(.*)'$/.exec(operand);
      const property = /^(\w+)\.(\w+)$/.exec(operand);
      assert.ok(literal || property, `an expression the test cannot resolve: ${expression}`);
      const resolved = literal ? literal[1]! : (contexts[property![1]!]?.[property![2]!] ?? '');
      if (resolved !== '') return resolved;
    }
    return '';
  });
}

/** Runs one `run:` step as GitHub's default shell on Linux does: bash -eo pipefail. */
async function runStep(script: string, cwd: string, env: NodeJS.ProcessEnv) {
  try {
    const r = await execFileAsync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], {
      cwd,
      env,
      timeout: 240_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** A repository of pipeline specs as the example expects one: pipelines/ and training/. */
function makeSpecRepository(dir: string): string {
  const training = path.join(dir, 'training', 'churn');
  fs.mkdirSync(training, { recursive: true });
  for (const file of ['train.py', 'evaluate.py', 'features.py'])
    fs.copyFileSync(path.join(REPO_ROOT, 'examples', 'churn', file), path.join(training, file));
  const spec = fs
    .readFileSync(path.join(REPO_ROOT, 'examples', 'churn', 'pipeline.yaml'), 'utf8')
    .replace(/^ {2}source: .*$/m, '  source: s3://ml-data/churn')
    .replace(/^ {2}workerPath: true\n/m, '')
    .replace(/^ {2}codeDir: \.$/gm, '  codeDir: ../training/churn');
  assert.match(spec, /codeDir: \.\.\/training\/churn/);
  fs.mkdirSync(path.join(dir, 'pipelines'));
  const specFile = path.join(dir, 'pipelines', 'churn.yaml');
  fs.writeFileSync(specFile, spec);
  return specFile;
}

describe('the CI example, run as GitHub runs it', function () {
  this.timeout(600_000);
  const workflow = parse(fs.readFileSync(path.join(REPO_ROOT, 'examples', 'ci', 'mlops.yml'), 'utf8')) as Workflow;
  const job = workflow.jobs['validate']!;
  let dir: string;
  let workspace: string;
  let specFile: string;
  let env: NodeJS.ProcessEnv;
  let prefix: string;

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-ci-'));
    workspace = path.join(dir, 'workspace');
    specFile = makeSpecRepository(workspace);
    // what a release does: pack the platform, here committed where the workflow installs from by default
    fs.mkdirSync(path.join(workspace, 'tools'));
    const { stdout } = await execFileAsync('npm', ['pack', '--silent', '--pack-destination', dir], {
      cwd: REPO_ROOT,
      maxBuffer: 16 * 1024 * 1024,
    });
    const tarball = stdout.trim().split('\n').pop()!;
    fs.renameSync(path.join(dir, tarball), path.join(workspace, 'tools', 'temporal-mlops.tgz'));

    prefix = path.join(dir, 'npm-global');
    const runnerTemp = path.join(dir, 'runner-temp');
    fs.mkdirSync(runnerTemp);
    // a pull request's job: no repository variables set but what the workflow needs, no secrets
    const contexts: Contexts = { vars: {}, secrets: {}, github: { actor: 'octocat', sha: 'a'.repeat(40) } };
    const workflowEnv = Object.fromEntries(
      Object.entries({ ...workflow.env, ...job.env }).map(([name, value]) => [
        name,
        resolveExpressions(String(value), contexts),
      ]),
    );
    env = {
      ...process.env,
      ...workflowEnv,
      // what GitHub sets for every step of a pull request's job
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_WORKSPACE: workspace,
      GITHUB_OUTPUT: path.join(runnerTemp, 'output'),
      GITHUB_ACTOR: 'octocat',
      RUNNER_TEMP: runnerTemp,
      // `npm install --global` installs into this run's own prefix, not the machine's
      npm_config_prefix: prefix,
      npm_config_prefer_offline: 'true',
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
      MLOPS_HOME: path.join(dir, 'mlops-home'),
      PATH: `${path.join(prefix, 'bin')}${path.delimiter}${process.env.PATH ?? ''}`,
    };
  });

  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('installs the CLI from the packed platform and validates the specs, every step exiting 0', async () => {
    assert.equal(job.if, "github.event_name == 'pull_request'");
    const runs = job.steps.filter((s) => s.run !== undefined);
    assert.ok(runs.length >= 2, 'an install step and a validate step');
    for (const step of runs) {
      const r = await runStep(step.run!, workspace, env);
      assert.equal(r.code, 0, `step "${step.name ?? step.run}" exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
      if (/mlops pipeline validate/.test(step.run!)) assert.match(r.stdout + r.stderr, /churn/);
    }
    const installed = fs.realpathSync(path.join(prefix, 'bin', 'mlops'));
    assert.ok(installed.startsWith(fs.realpathSync(prefix)), `mlops is the installed copy: ${installed}`);
  });

  it('fails the pull request with the file, line and field of a bad spec, exit 2', async () => {
    const validate = job.steps.find((s) => s.run?.includes('mlops pipeline validate'))!;
    const good = fs.readFileSync(specFile, 'utf8');
    fs.writeFileSync(specFile, good.replace(/^model: churn$/m, 'model: churn\nmodle: typo'));
    try {
      const r = await runStep(validate.run!, workspace, env);
      assert.equal(r.code, 2, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout + r.stderr, /pipelines\/churn\.yaml:\d+: .*modle/);
    } finally {
      fs.writeFileSync(specFile, good);
    }
  });
});
