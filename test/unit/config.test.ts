import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../common/errors';
import { loadConfig, validateConfig, writeStackFile } from '../../lib/config';

const cwd = '/srv/project';

describe('configuration', () => {
  it('defaults to a filesystem store under .mlops and the standard task queues', () => {
    const result = validateConfig({}, cwd);
    assert.ok(result.ok);
    assert.equal(result.config.home, '/srv/project/.mlops');
    assert.deepEqual(result.config.store, {
      kind: 'file',
      root: '/srv/project/.mlops/store',
      uri: 'file:///srv/project/.mlops/store',
    });
    assert.equal(result.config.taskQueue, 'mlops');
    assert.equal(result.config.trainingTaskQueue, 'mlops-training');
  });

  it('reads an s3 store with endpoint, path-style addressing and credentials', () => {
    const result = validateConfig(
      {
        MLOPS_STORE: 's3://ml-bucket/teams/churn/',
        MLOPS_S3_ENDPOINT: 'http://127.0.0.1:9000',
        AWS_ACCESS_KEY_ID: 'key',
        AWS_SECRET_ACCESS_KEY: 'secret',
      },
      cwd,
    );
    assert.ok(result.ok);
    assert.deepEqual(result.config.store, {
      kind: 's3',
      uri: 's3://ml-bucket/teams/churn',
      bucket: 'ml-bucket',
      prefix: 'teams/churn',
      endpoint: 'http://127.0.0.1:9000',
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'key', secretAccessKey: 'secret' },
    });
  });

  it('acts as MLOPS_ACTOR, or as user@host when it is unset', () => {
    const host = { user: 'ada', hostname: 'lab-1' };
    const fallback = validateConfig({}, cwd, {}, host);
    assert.ok(fallback.ok);
    assert.equal(fallback.config.actor, 'ada@lab-1');
    const named = validateConfig({ MLOPS_ACTOR: 'grace@example.com' }, cwd, {}, host);
    assert.ok(named.ok);
    assert.equal(named.config.actor, 'grace@example.com');
  });

  it('has no Ray head unless MLOPS_RAY_ADDRESS names one', () => {
    const none = validateConfig({}, cwd);
    assert.ok(none.ok);
    assert.equal(none.config.ray, undefined);
    const set = validateConfig({ MLOPS_RAY_ADDRESS: 'http://ray-head.internal:8265/' }, cwd);
    assert.ok(set.ok);
    assert.deepEqual(set.config.ray, { address: 'http://ray-head.internal:8265' });
  });

  it('binds model servers to loopback by default; the advertised host follows the bind host unless set', () => {
    const none = validateConfig({}, cwd);
    assert.ok(none.ok);
    assert.deepEqual(none.config.modelServer, { host: '127.0.0.1', advertiseHost: '127.0.0.1' });
    const bound = validateConfig({ MLOPS_MODEL_SERVER_HOST: '10.0.0.7' }, cwd);
    assert.ok(bound.ok);
    assert.deepEqual(bound.config.modelServer, { host: '10.0.0.7', advertiseHost: '10.0.0.7' });
    const pod = validateConfig(
      {
        MLOPS_MODEL_SERVER_HOST: '0.0.0.0',
        MLOPS_MODEL_SERVER_ADVERTISE_HOST: 'serving-0.mlops-serving.mlops.svc.cluster.local',
      },
      cwd,
    );
    assert.ok(pod.ok);
    assert.deepEqual(pod.config.modelServer, {
      host: '0.0.0.0',
      advertiseHost: 'serving-0.mlops-serving.mlops.svc.cluster.local',
    });
    const bad = validateConfig({ MLOPS_MODEL_SERVER_ADVERTISE_HOST: 'http://serving-0:8080' }, cwd);
    assert.ok(!bad.ok);
    assert.match(bad.issues[0] ?? '', /^MLOPS_MODEL_SERVER_ADVERTISE_HOST: must be a host name or IP address/);
  });

  it('finds pipeline specs in ./pipelines, or in the folder MLOPS_PIPELINES_DIR names', () => {
    const fallback = validateConfig({}, cwd);
    assert.ok(fallback.ok);
    assert.equal(fallback.config.pipelinesDir, '/srv/project/pipelines');
    const relative = validateConfig({ MLOPS_PIPELINES_DIR: 'ml/specs' }, cwd);
    assert.ok(relative.ok);
    assert.equal(relative.config.pipelinesDir, '/srv/project/ml/specs');
    const absolute = validateConfig({ MLOPS_PIPELINES_DIR: '/etc/mlops/pipelines' }, cwd);
    assert.ok(absolute.ok);
    assert.equal(absolute.config.pipelinesDir, '/etc/mlops/pipelines');
  });

  it('resolves a relative file store against the working directory', () => {
    const result = validateConfig({ MLOPS_STORE: 'file://data/store' }, cwd);
    assert.ok(result.ok);
    assert.equal(result.config.store.kind === 'file' && result.config.store.root, '/srv/project/data/store');
  });

  for (const [name, env, pattern] of [
    ['an unsupported store scheme', { MLOPS_STORE: 'ftp://x' }, /^MLOPS_STORE: unsupported store "ftp:\/\/x"/],
    ['a bucket name that S3 refuses', { MLOPS_STORE: 's3://UPPER_case' }, /^MLOPS_STORE: bucket name/],
    ['a prefix that climbs out', { MLOPS_STORE: 's3://bucket/a/../b' }, /^MLOPS_STORE: the prefix may not contain/],
    [
      'an endpoint that is not a URL',
      { MLOPS_S3_ENDPOINT: '127.0.0.1:9000' },
      /^MLOPS_S3_ENDPOINT: must be an http\(s\) URL/,
    ],
    [
      'a non-boolean path-style flag',
      { MLOPS_S3_FORCE_PATH_STYLE: 'maybe' },
      /^MLOPS_S3_FORCE_PATH_STYLE: must be true or false/,
    ],
    ['a blank task queue', { MLOPS_TASK_QUEUE: '   ' }, /^MLOPS_TASK_QUEUE: must not be empty/],
    [
      'a Ray address that is not a URL',
      { MLOPS_RAY_ADDRESS: '127.0.0.1:8265' },
      /^MLOPS_RAY_ADDRESS: must be the http\(s\) URL of a Ray head/,
    ],
  ] as const) {
    it(`names the variable for ${name}`, () => {
      const result = validateConfig(env, cwd);
      assert.equal(result.ok, false);
      assert.match(!result.ok ? (result.issues[0] ?? '') : '', pattern);
    });
  }

  it('lists every bad variable at once', () => {
    const result = validateConfig({ MLOPS_S3_ENDPOINT: 'nope', MLOPS_S3_FORCE_PATH_STYLE: 'maybe' }, cwd);
    assert.ok(!result.ok);
    assert.equal(result.issues.length, 2);
  });

  describe('loadConfig', () => {
    let home: string;
    beforeEach(() => {
      home = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-config-'));
    });
    afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

    it('throws a ConfigError with exit code 2 for a bad value', () => {
      assert.throws(
        () => loadConfig({ MLOPS_HOME: home, MLOPS_STORE: 'ftp://x' }, home),
        (err: unknown) => err instanceof ConfigError && err.exitCode === 2 && /MLOPS_STORE/.test(err.message),
      );
    });

    it('connects to 127.0.0.1:7233 by default and honours TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE', () => {
      const none = loadConfig({ MLOPS_HOME: home }, home);
      assert.equal(none.temporal.address, '127.0.0.1:7233');
      assert.equal(none.temporal.namespace, 'default');
      const set = loadConfig(
        { MLOPS_HOME: home, TEMPORAL_ADDRESS: 'temporal.internal:7234', TEMPORAL_NAMESPACE: 'ml' },
        home,
      );
      assert.equal(set.temporal.address, 'temporal.internal:7234');
      assert.equal(set.temporal.namespace, 'ml');
    });

    it('rejects a TEMPORAL_ADDRESS that is not host:port', () => {
      assert.throws(() => loadConfig({ MLOPS_HOME: home, TEMPORAL_ADDRESS: 'http://x' }, home), /TEMPORAL_ADDRESS/);
    });

    it('turns on TLS when an API key is given (Temporal Cloud)', () => {
      const cloud = loadConfig(
        {
          MLOPS_HOME: home,
          TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233',
          TEMPORAL_API_KEY: 'k',
          TEMPORAL_NAMESPACE: 'ns.acct',
        },
        home,
      );
      assert.equal(cloud.temporal.connectionOptions.apiKey, 'k');
      assert.equal(cloud.temporal.connectionOptions.tls, true);
    });

    it('reads Temporal Cloud profiles from an envconfig file: API key, or mTLS with client certificates', () => {
      const cert = path.join(home, 'client.pem');
      const key = path.join(home, 'client.key');
      fs.writeFileSync(cert, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
      fs.writeFileSync(key, '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n');
      const file = path.join(home, 'temporal.toml');
      fs.writeFileSync(
        file,
        [
          '[profile.cloud]',
          'address = "ml-prod.a1b2c.tmprl.cloud:7233"',
          'namespace = "ml-prod.a1b2c"',
          'api_key = "cloud-api-key"',
          '',
          '[profile.mtls]',
          'address = "ml-prod.a1b2c.tmprl.cloud:7233"',
          'namespace = "ml-prod.a1b2c"',
          '[profile.mtls.tls]',
          `client_cert_path = "${cert}"`,
          `client_key_path = "${key}"`,
          '',
        ].join('\n'),
      );
      const cloud = loadConfig({ MLOPS_HOME: home, TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'cloud' }, home);
      assert.equal(cloud.temporal.address, 'ml-prod.a1b2c.tmprl.cloud:7233');
      assert.equal(cloud.temporal.namespace, 'ml-prod.a1b2c');
      assert.equal(cloud.temporal.connectionOptions.apiKey, 'cloud-api-key');
      assert.ok(cloud.temporal.connectionOptions.tls);
      const mtls = loadConfig({ MLOPS_HOME: home, TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'mtls' }, home);
      const tls = mtls.temporal.connectionOptions.tls as { clientCertPair?: { crt: Uint8Array; key: Uint8Array } };
      assert.match(Buffer.from(tls.clientCertPair!.crt).toString(), /BEGIN CERTIFICATE/);
      assert.match(Buffer.from(tls.clientCertPair!.key).toString(), /BEGIN PRIVATE KEY/);
      // the environment overrides the profile
      const overridden = loadConfig(
        { MLOPS_HOME: home, TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'cloud', TEMPORAL_NAMESPACE: 'other.a1b2c' },
        home,
      );
      assert.equal(overridden.temporal.namespace, 'other.a1b2c');
      assert.throws(
        () => loadConfig({ MLOPS_HOME: home, TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'nope' }, home),
        /TEMPORAL_CONFIG: .*nope/,
      );
    });

    it('falls back to the running dev stack for the Temporal address and the MinIO store', () => {
      writeStackFile(home, {
        temporal: {
          pid: 1,
          startedAt: '',
          logFile: '',
          address: '127.0.0.1:17233',
          namespace: 'default',
          uiUrl: '',
          dbFile: '',
        },
        minio: {
          pid: 2,
          startedAt: '',
          logFile: '',
          endpoint: 'http://127.0.0.1:19000',
          consoleUrl: '',
          dataDir: '',
          bucket: 'mlops',
          accessKeyId: 'mlops',
        },
      });
      const config = loadConfig({ MLOPS_HOME: home }, home);
      assert.equal(config.temporal.address, '127.0.0.1:17233');
      assert.equal(config.store.kind, 's3');
      assert.equal(config.store.kind === 's3' && config.store.endpoint, 'http://127.0.0.1:19000');
      const explicit = loadConfig({ MLOPS_HOME: home, MLOPS_STORE: 'file://elsewhere' }, home);
      assert.equal(explicit.store.kind, 'file');
    });
  });
});
