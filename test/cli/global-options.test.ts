/**
 * The program's global options, through the real CLI (bin/mlops.js, the build output) in child
 * processes that start no server: help and version, the output formats, the exit-code table, the
 * connection flags, envconfig profiles with an `mlops` section, and the project folder.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { EXIT, EXIT_CODES } from '../../client/exit-codes';
import { REPO_ROOT } from '../../lib/tools';
import { runCli } from '../support/cli';

const EXAMPLE = path.join(REPO_ROOT, 'examples', 'churn', 'pipeline.yaml');

describe('global options', function () {
  this.timeout(60_000);
  let dir: string;
  /** The environment of a CLI run that must not see this machine's settings. */
  let env: NodeJS.ProcessEnv;

  beforeEach(() => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-global-')));
    // undefined: left out of the child's environment
    env = { HOME: dir };
    for (const name of Object.keys(process.env))
      if (/^(TEMPORAL_|MLOPS_|XDG_CONFIG_HOME$)/.test(name)) env[name] = undefined;
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('bare mlops prints the help and exits 0; --version prints the package version', async () => {
    const bare = await runCli([], env);
    assert.equal(bare.code, 0, bare.stderr);
    assert.match(bare.stdout, /Usage: mlops \[options\] \[command\]/);
    const version = await runCli(['--version'], env);
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(version.code, 0);
    assert.equal(version.stdout.trim(), pkg.version);
  });

  it('ends the top-level help with the table of exit codes that the code uses', async () => {
    const help = await runCli(['--help'], env);
    assert.equal(help.code, 0);
    const table = help.stdout.slice(help.stdout.indexOf('Exit codes:'));
    for (const { code, meaning } of EXIT_CODES) assert.ok(table.includes(`${code}  ${meaning}`), `exit ${code} listed`);
    assert.deepEqual(
      EXIT_CODES.map((e) => e.code),
      [EXIT.ok, EXIT.failed, EXIT.badInput, EXIT.unreachable, EXIT.rejected, EXIT.interrupted],
    );
  });

  it('shows the global options in every command help, and refuses an unknown command with exit 2', async () => {
    const help = await runCli(['pipeline', 'validate', '--help'], env);
    assert.equal(help.code, 0);
    const global = help.stdout.slice(help.stdout.indexOf('Global Options:'));
    for (const flag of ['-o, --output <format>', '--json', '--address', '--namespace', '--profile', '--project-dir'])
      assert.ok(global.includes(flag), `${flag} in the global options of a command's help`);
    const unknown = await runCli(['statsu'], env);
    assert.equal(unknown.code, EXIT.badInput);
    assert.match(unknown.stderr, /unknown command 'statsu'[\s\S]*Did you mean status\?/);
  });

  it('prints the same document as json and yaml, and refuses a format it does not know', async () => {
    const json = await runCli(['pipeline', 'validate', EXAMPLE, '-o', 'json'], env);
    const legacy = await runCli(['--json', 'pipeline', 'validate', EXAMPLE], env);
    const yaml = await runCli(['pipeline', 'validate', EXAMPLE, '--output=yaml'], env);
    for (const r of [json, legacy, yaml]) assert.equal(r.code, 0, r.stderr);
    assert.equal(json.stdout, legacy.stdout);
    assert.deepEqual(parseYaml(yaml.stdout), JSON.parse(json.stdout));
    assert.doesNotMatch(yaml.stdout, /^\s*\{/, 'YAML, not JSON');
    const bad = await runCli(['pipeline', 'validate', EXAMPLE, '-o', 'xml'], env);
    assert.equal(bad.code, EXIT.badInput);
    assert.match(bad.stderr, /-o, --output <format>' argument 'xml' is invalid/);
  });

  it('--address overrides TEMPORAL_ADDRESS; a server that is not there exits 3 without a stack', async () => {
    const refused = await runCli(['--address', '127.0.0.1:1', 'runs', 'list'], {
      ...env,
      TEMPORAL_ADDRESS: 'elsewhere.invalid:7233',
    });
    assert.equal(refused.code, EXIT.unreachable, refused.stderr);
    assert.match(refused.stderr, /cannot reach Temporal at 127\.0\.0\.1:1/);
    assert.doesNotMatch(refused.stderr, /unexpected error|\n\s+at /);
    const bad = await runCli(['runs', 'list', '--address', 'http://x'], env);
    assert.equal(bad.code, EXIT.badInput);
    assert.match(bad.stderr, /TEMPORAL_ADDRESS: "http:\/\/x" is not host:port/);
  });

  it('exits 3 with one line when the store or the gateway cannot be reached', async () => {
    const store = await runCli(['models', 'list'], {
      ...env,
      MLOPS_STORE: 's3://unreachable-bucket/prefix',
      MLOPS_S3_ENDPOINT: 'http://127.0.0.1:1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test-secret',
    });
    assert.equal(store.code, EXIT.unreachable, store.stderr);
    assert.match(store.stderr, /^mlops: cannot reach a server \(ECONNREFUSED 127\.0\.0\.1:1\)/);
    assert.doesNotMatch(store.stderr, /unexpected error|\n\s+at |test-secret/);
    const gateway = await runCli(['endpoints', 'list'], {
      ...env,
      MLOPS_GATEWAY_URL: 'http://127.0.0.1:1',
      MLOPS_GATEWAY_ADMIN_URL: 'http://127.0.0.1:2',
      MLOPS_GATEWAY_TOKEN: 'a-test-token-of-more-than-32-characters',
    });
    assert.equal(gateway.code, EXIT.unreachable, gateway.stderr);
    assert.match(gateway.stderr, /127\.0\.0\.1:2 unreachable/);
    assert.doesNotMatch(gateway.stderr, /\n\s+at |a-test-token/);
  });

  it('--profile picks an envconfig profile and its [profile.<name>.mlops] settings, under the environment', async () => {
    const file = path.join(dir, 'temporal.toml');
    fs.writeFileSync(
      file,
      `[profile.default]
address = "127.0.0.1:7233"

[profile.staging]
address = "127.0.0.1:7999"
namespace = "staging"

[profile.staging.mlops]
store = "file://staging-store"
actor = "ci-bot"
`,
    );
    const status = await runCli(
      ['--profile', 'staging', 'dev', 'status', '--json'],
      { ...env, TEMPORAL_CONFIG_FILE: file },
      60_000,
      { cwd: dir },
    );
    assert.equal(status.code, 0, status.stderr);
    const report = JSON.parse(status.stdout) as { temporalAddress: string; store: string; project: string };
    assert.equal(report.temporalAddress, '127.0.0.1:7999');
    // a relative path in a setting resolves against the project folder (here: the working directory)
    assert.equal(report.store, `file://${path.join(dir, 'staging-store')}`);
    // the environment wins over the profile's section
    const envWins = await runCli(
      ['--profile', 'staging', 'dev', 'status', '--json'],
      { ...env, TEMPORAL_CONFIG_FILE: file, MLOPS_STORE: `file://${path.join(dir, 'from-env')}` },
      60_000,
      { cwd: dir },
    );
    assert.equal((JSON.parse(envWins.stdout) as { store: string }).store, `file://${path.join(dir, 'from-env')}`);
  });

  it('refuses an unknown key in a profile section with exit 2, naming the file and the key', async () => {
    const file = path.join(dir, 'temporal.toml');
    fs.writeFileSync(file, `[profile.default.mlops]\nstroe = "file:///tmp/x"\n`);
    const result = await runCli(['dev', 'status'], { ...env, TEMPORAL_CONFIG_FILE: file });
    assert.equal(result.code, EXIT.badInput, result.stderr);
    assert.ok(result.stderr.includes(file), result.stderr);
    assert.match(result.stderr, /\[profile\.default\.mlops\]: unknown key "stroe"/);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  });

  it('finds the project folder up from the working directory, as git finds .git; --project-dir says it', async () => {
    const project = path.join(dir, 'project');
    const deep = path.join(project, 'examples', 'churn');
    fs.mkdirSync(path.join(project, '.mlops'), { recursive: true });
    fs.mkdirSync(deep, { recursive: true });
    const found = await runCli(['dev', 'status', '--json'], env, 60_000, { cwd: deep });
    assert.equal(found.code, 0, found.stderr);
    const report = JSON.parse(found.stdout) as { store: string; project: string };
    assert.equal(report.store, `file://${path.join(project, '.mlops', 'store')}`);
    assert.match(report.project, new RegExp(`^${project} \\(found by \\.mlops\\)`));
    // an mlops.toml marks a project folder too, and holds settings in [mlops]
    const other = path.join(dir, 'other');
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, 'mlops.toml'), '[mlops]\nhome = "state"\n');
    const chosen = await runCli(['--project-dir', other, 'dev', 'status'], env, 60_000, { cwd: deep });
    assert.equal(chosen.code, 0, chosen.stderr);
    assert.match(chosen.stdout, new RegExp(`project: ${other} \\(found by MLOPS_PROJECT_DIR\\)`));
    assert.match(chosen.stdout, new RegExp(`store: file://${path.join(other, 'state', 'store')}`));
    const missing = await runCli(['--project-dir', path.join(dir, 'nope'), 'dev', 'status'], env);
    assert.equal(missing.code, EXIT.badInput);
    assert.match(missing.stderr, /MLOPS_PROJECT_DIR: .*nope is not a folder/);
  });

  it('runs the sources with MLOPS_FROM_SOURCE=1', async () => {
    const result = await runCli(['--version'], { ...env, MLOPS_FROM_SOURCE: '1' });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^\d+\.\d+\.\d+/);
  });
});
