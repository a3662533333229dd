/**
 * infra/k8s rendered by a real kustomize (built by `npm run setup`): in each overlay the objects
 * hang together — one Deployment per task queue, probes and scrape annotations on the ports the
 * worker is started with, autoscalers and budgets on the right pods, ConfigMaps the overlay
 * generates and Secrets named only — the rendered configuration loads as the worker's, and prod
 * differs from dev where it should.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../../lib/config';
import { findTool, REPO_ROOT, requireTool } from '../../lib/tools';
import { execForm, flagValue, instructions, readDockerfile } from './dockerfile';
import type { Container, Deployment, HorizontalPodAutoscaler, K8sObject, PodDisruptionBudget } from './k8s-objects';
import { configMapRefs, containerPort, secretRefs } from './k8s-objects';

const execFileAsync = promisify(execFile);

/** The Secrets the README tells operators to create; the repository holds no Secret object. */
const DOCUMENTED_SECRETS = [
  'mlops-store-credentials',
  'mlops-codec-keys',
  'mlops-temporal-cloud',
  'mlops-temporal-mtls',
];
const QUEUE_OF: Record<string, string> = {
  'mlops-orchestration-worker': 'workflows',
  'mlops-training-worker': 'training',
};

interface Rendered {
  overlay: string;
  namespace: string;
  objects: K8sObject[];
  deployments: Deployment[];
  of<T extends K8sObject>(kind: string): T[];
  /** The worker's environment in a Deployment: ConfigMap entries, then plain `env` values. */
  environment(d: Deployment): Record<string, string>;
}

async function render(overlay: string): Promise<Rendered> {
  const dir = path.join(REPO_ROOT, 'infra', 'k8s', 'overlays', overlay);
  const { stdout } = await execFileAsync(requireTool('kustomize'), ['build', dir], { maxBuffer: 16 << 20 });
  const objects = parseAllDocuments(stdout).map((doc) => doc.toJS() as K8sObject);
  const of = <T extends K8sObject>(kind: string) => objects.filter((o) => o.kind === kind) as T[];
  const namespaces = of('Namespace').map((n) => n.metadata.name);
  assert.equal(namespaces.length, 1, `${overlay}: one Namespace`);
  return {
    overlay,
    namespace: namespaces[0]!,
    objects,
    deployments: of<Deployment>('Deployment'),
    of,
    environment(d) {
      const env: Record<string, string> = {};
      for (const name of configMapRefs(d.spec.template.spec).envFrom) {
        const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name);
        Object.assign(env, cm?.data);
      }
      for (const e of worker(d).env ?? []) if (e.value !== undefined) env[e.name] = e.value;
      return env;
    },
  };
}

function worker(d: Deployment): Container {
  const c = d.spec.template.spec.containers.find((c) => c.name === 'worker');
  assert.ok(c, `${d.metadata.name}: a container named worker`);
  return c;
}

/** The image's ENTRYPOINT followed by the container's args: the worker's whole command line. */
const entrypoint = execForm(instructions(readDockerfile().at(-1)!, 'ENTRYPOINT').at(-1)!);
const commandLine = (d: Deployment) => [...entrypoint, ...(worker(d).args ?? [])];

describe('Kubernetes manifests (infra/k8s)', function () {
  this.timeout(60_000);
  const overlays: Record<string, Rendered> = {};
  let workerHelp = '';

  before(async () => {
    [overlays.dev, overlays.prod] = await Promise.all([render('dev'), render('prod')]);
    const help = await execFileAsync(process.execPath, [path.join(REPO_ROOT, 'bin', 'mlops.js'), 'worker', '--help']);
    workerHelp = help.stdout.replace(/\s+/g, ' ');
  });

  it('renders with the kustomize v5 that setup installs, or the one KUSTOMIZE_PATH names', async () => {
    const kustomize = requireTool('kustomize');
    assert.match((await execFileAsync(kustomize, ['version'])).stdout, /^v5\./);
    assert.equal(findTool('kustomize', { ...process.env, KUSTOMIZE_PATH: kustomize }), kustomize);
    assert.equal(findTool('kustomize', { KUSTOMIZE_PATH: path.join(REPO_ROOT, 'no-such-kustomize') }), undefined);
    assert.throws(() => requireTool('kustomize', { KUSTOMIZE_PATH: '/nonexistent' }), /KUSTOMIZE_PATH: \/nonexistent/);
    const setup = fs.readFileSync(path.join(REPO_ROOT, 'infra', 'dev', 'install-tools'), 'utf8');
    assert.match(setup, /^KUSTOMIZE_MODULE="sigs\.k8s\.io\/kustomize\/kustomize\/v5@v5\.\d+\.\d+"$/m);
    assert.match(setup, /^install_kustomize$/m);
  });

  for (const name of ['dev', 'prod']) {
    describe(`overlay ${name}`, () => {
      const r = () => overlays[name]!;

      it('runs one worker Deployment per task queue, with flags the worker knows', () => {
        const { deployments } = r();
        assert.deepEqual(deployments.map((d) => d.metadata.name).sort(), Object.keys(QUEUE_OF).sort());
        for (const d of deployments) {
          const words = commandLine(d);
          assert.equal(flagValue(words, '--queues'), QUEUE_OF[d.metadata.name], d.metadata.name);
          assert.equal(words.filter((w) => w === '--queues').length, 1, 'the image does not pick the queues itself');
          for (const flag of words.filter((w) => w.startsWith('--')))
            assert.match(workerHelp, new RegExp(`${flag}\\b`), `mlops worker has no ${flag}`);
        }
        assert.match(workerHelp, /choices: "all", "workflows", "training"/);
      });

      it('probes /healthz and /readyz on the health port, and has Prometheus scrape the metrics port', () => {
        for (const d of r().deployments) {
          const c = worker(d);
          const words = commandLine(d);
          const healthPort = Number(flagValue(words, '--health-port'));
          const metricsPort = Number(flagValue(words, '--metrics-port'));
          assert.equal(flagValue(words, '--health-host'), '0.0.0.0', 'probes come from outside the container');
          assert.equal(flagValue(words, '--metrics-host'), '0.0.0.0', 'Prometheus scrapes from outside the pod');
          assert.equal(containerPort(c, c.livenessProbe?.httpGet?.port), healthPort);
          assert.equal(c.livenessProbe?.httpGet?.path, '/healthz');
          assert.equal(containerPort(c, c.readinessProbe?.httpGet?.port), healthPort);
          assert.equal(c.readinessProbe?.httpGet?.path, '/readyz');
          if (c.startupProbe) assert.equal(containerPort(c, c.startupProbe.httpGet?.port), healthPort);
          assert.ok(
            c.ports?.some((p) => p.containerPort === metricsPort),
            `${d.metadata.name}: the metrics port is a container port`,
          );
          assert.deepEqual(d.spec.template.metadata.annotations, {
            'prometheus.io/scrape': 'true',
            'prometheus.io/port': String(metricsPort),
            'prometheus.io/path': '/metrics',
          });
        }
      });

      it('autoscales and budgets the pods of the Deployments it runs', () => {
        const { deployments, of } = r();
        for (const pdb of of<PodDisruptionBudget>('PodDisruptionBudget')) {
          const selector = pdb.spec.selector.matchLabels;
          const matching = deployments.filter((d) => matches(selector, d.spec.template.metadata.labels));
          assert.equal(matching.length, 1, `${pdb.metadata.name} selects the pods of one Deployment`);
          const [d] = matching as [Deployment];
          assert.ok(matches(d.spec.selector.matchLabels, d.spec.template.metadata.labels), 'its selector too');
          assert.equal(pdb.spec.maxUnavailable, 1, 'a single replica can still be drained');
        }
        assert.equal(of('PodDisruptionBudget').length, deployments.length);
        for (const hpa of of<HorizontalPodAutoscaler>('HorizontalPodAutoscaler')) {
          assert.equal(hpa.apiVersion, 'autoscaling/v2');
          const target = hpa.spec.scaleTargetRef;
          assert.deepEqual([target.apiVersion, target.kind], ['apps/v1', 'Deployment']);
          assert.ok(
            deployments.some((d) => d.metadata.name === target.name),
            `${hpa.metadata.name} targets ${target.name}`,
          );
          const { minReplicas: min, maxReplicas: max } = hpa.spec;
          assert.ok(min >= 1 && min <= max, `${hpa.metadata.name}: ${min}..${max}`);
          const d = deployments.find((d) => d.metadata.name === target.name)!;
          assert.ok(d.spec.replicas >= min && d.spec.replicas <= max, `${d.metadata.name} starts within its bounds`);
          for (const c of d.spec.template.spec.containers)
            assert.ok(c.resources?.requests?.cpu, `${d.metadata.name}: CPU utilization needs a CPU request`);
        }
      });

      it('references the ConfigMaps it generates, and Secrets by name only', () => {
        const { deployments, of, objects, namespace } = r();
        const configMaps = new Set(of('ConfigMap').map((c) => c.metadata.name));
        for (const d of deployments) {
          const spec = d.spec.template.spec;
          const refs = configMapRefs(spec);
          assert.ok(refs.all.length > 0);
          for (const ref of refs.all) {
            assert.ok(configMaps.has(ref), `${d.metadata.name} references ConfigMap ${ref}, which is not rendered`);
            assert.match(ref, /-[a-z0-9]{10}$/, `${ref}: generated, with its content hash`);
          }
          for (const ref of secretRefs(spec))
            assert.ok(DOCUMENTED_SECRETS.includes(ref.name), `${d.metadata.name}: undocumented Secret ${ref.name}`);
          assert.ok(
            of('ServiceAccount').some((s) => s.metadata.name === spec.serviceAccountName),
            `${d.metadata.name}: its ServiceAccount is rendered`,
          );
        }
        assert.deepEqual(of('Secret'), [], 'no Secret (and so no secret value) in the repository');
        for (const o of objects)
          if (o.kind !== 'Namespace') assert.equal(o.metadata.namespace, namespace, `${o.kind}/${o.metadata.name}`);
      });

      it('runs as non-root with a read-only root filesystem, MLOPS_HOME and /tmp on volumes', () => {
        for (const d of r().deployments) {
          const spec = d.spec.template.spec;
          assert.equal(spec.securityContext?.runAsNonRoot, true);
          assert.ok((spec.securityContext?.runAsUser ?? 0) > 0);
          const c = worker(d);
          assert.equal(c.securityContext?.readOnlyRootFilesystem, true);
          assert.equal(c.securityContext?.allowPrivilegeEscalation, false);
          assert.deepEqual(c.securityContext?.capabilities?.drop, ['ALL']);
          const volumes = new Set((spec.volumes ?? []).map((v) => v.name));
          for (const m of c.volumeMounts ?? []) assert.ok(volumes.has(m.name), `${m.name} is a volume of the pod`);
          const mounts = (c.volumeMounts ?? []).filter((m) => !m.readOnly).map((m) => m.mountPath);
          const home = r().environment(d).MLOPS_HOME;
          assert.ok(home && mounts.includes(home), `${d.metadata.name}: MLOPS_HOME ${home} is a writable volume`);
          assert.ok(mounts.includes('/tmp'));
          for (const k of ['requests', 'limits'] as const)
            assert.ok(c.resources?.[k]?.cpu && c.resources[k].memory, `${d.metadata.name}: ${k}`);
        }
      });
    });
  }

  describe('the rendered configuration, loaded as the worker loads it', () => {
    let tmp: string;
    before(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-k8s-'))));
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it('reads no folder of the image as a source: code and data come from the store', () => {
      const workdir = instructions(readDockerfile().at(-1)!, 'WORKDIR').at(-1)!;
      for (const r of Object.values(overlays)) {
        for (const d of r.deployments) {
          // the Temporal profile is prod's test below: this one is about the folders
          const { TEMPORAL_CONFIG_FILE: _file, TEMPORAL_PROFILE: _profile, ...env } = r.environment(d);
          const config = loadConfig({ ...env, AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's' }, workdir);
          assert.ok(env.MLOPS_SOURCE_ROOTS, `${r.overlay}/${d.metadata.name}: MLOPS_SOURCE_ROOTS is set`);
          assert.ok(config.sourceRoots.length > 0);
          for (const root of config.sourceRoots) {
            const inImage = root === workdir || root.startsWith(`${workdir}/`) || workdir.startsWith(`${root}/`);
            assert.ok(
              !inImage,
              `${r.overlay}/${d.metadata.name}: source root ${root} is a folder of the image (${workdir})`,
            );
            assert.ok(root.startsWith(`${config.home}/`), `${root} lies on the MLOPS_HOME volume, not in the image`);
          }
        }
      }
    });

    it('dev: the in-cluster Temporal server and MinIO on the two task queues', () => {
      const r = overlays.dev!;
      for (const d of r.deployments) {
        const config = loadConfig({ ...r.environment(d), AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's' }, tmp);
        assert.equal(config.temporal.address, 'temporal-frontend.temporal.svc.cluster.local:7233');
        assert.equal(config.temporal.connectionOptions.tls, undefined);
        assert.equal(config.store.kind, 's3');
        assert.equal(config.store.kind === 's3' && config.store.endpoint, 'http://minio.minio.svc.cluster.local:9000');
        assert.deepEqual([config.taskQueue, config.trainingTaskQueue], ['mlops', 'mlops-training']);
        assert.equal(config.home, '/var/lib/mlops');
        // the store's keys are required here: MinIO has no other way to authenticate
        const store = secretRefs(d.spec.template.spec).filter((s) => s.name === 'mlops-store-credentials');
        assert.deepEqual(
          store.map((s) => [s.key, s.optional]),
          [
            ['AWS_ACCESS_KEY_ID', false],
            ['AWS_SECRET_ACCESS_KEY', false],
          ],
        );
      }
    });

    it('prod: Temporal Cloud through the mounted envconfig profile and the API key Secret', () => {
      const r = overlays.prod!;
      for (const d of r.deployments) {
        const env = r.environment(d);
        const spec = d.spec.template.spec;
        const c = worker(d);
        // TEMPORAL_CONFIG_FILE is a key of the profile ConfigMap, mounted where the variable says
        const file = env.TEMPORAL_CONFIG_FILE!;
        const mount = c.volumeMounts?.find((m) => path.posix.dirname(file) === m.mountPath);
        const volume = spec.volumes?.find((v) => v.name === mount?.name);
        const profiles = r.of('ConfigMap').find((cm) => cm.metadata.name === volume?.configMap?.name);
        const toml = profiles?.data?.[path.posix.basename(file)];
        assert.ok(toml, `${file} comes from a rendered ConfigMap`);
        const local = path.join(tmp, 'temporal.toml');
        fs.writeFileSync(local, toml);

        const apiKey = secretRefs(spec).find((s) => s.env === 'TEMPORAL_API_KEY');
        assert.deepEqual([apiKey?.name, apiKey?.optional], ['mlops-temporal-cloud', undefined], 'a required Secret');
        const config = loadConfig({ ...env, TEMPORAL_CONFIG_FILE: local, TEMPORAL_API_KEY: 'test-key' }, tmp);
        assert.equal(env.TEMPORAL_PROFILE, 'cloud');
        assert.match(config.temporal.address, /\.api\.temporal\.io:7233$/);
        assert.equal(config.temporal.namespace, 'ml-prod.a1b2c');
        assert.equal(config.temporal.connectionOptions.apiKey, 'test-key');
        assert.ok(config.temporal.connectionOptions.tls, 'an API key turns TLS on');
        assert.equal(config.store.uri, 's3://temporal-mlops-artifacts/mlops');
        assert.equal(config.store.kind === 's3' && config.store.endpoint, undefined, 'AWS S3 itself');

        // the profile `mtls` reads the certificate and key of the mounted mlops-temporal-mtls Secret
        const tls = spec.volumes?.find((v) => v.secret?.secretName === 'mlops-temporal-mtls');
        const tlsMount = c.volumeMounts?.find((m) => m.name === tls?.name)?.mountPath;
        assert.ok(tlsMount);
        assert.match(toml, new RegExp(`client_cert_path = "${tlsMount}/tls\\.crt"`));
        assert.match(toml, new RegExp(`client_key_path = "${tlsMount}/tls\\.key"`));
      }
    });
  });

  it('prod differs from dev: namespace, replicas, Temporal, image, strict memory, the IAM role', () => {
    const [dev, prod] = [overlays.dev!, overlays.prod!];
    assert.notEqual(dev.namespace, prod.namespace);
    for (const name of Object.keys(QUEUE_OF)) {
      const [d, p] = [dev, prod].map((r) => r.deployments.find((x) => x.metadata.name === name)!) as [
        Deployment,
        Deployment,
      ];
      assert.equal(d.spec.replicas, 1);
      assert.ok(p.spec.replicas > 1, `${name}: more than one in prod`);
      assert.notEqual(worker(d).image, worker(p).image);
      assert.equal(dev.environment(d).TEMPORAL_ADDRESS?.endsWith('.svc.cluster.local:7233'), true);
      assert.equal(prod.environment(p).TEMPORAL_ADDRESS, undefined, 'prod takes the address from its profile');
      assert.equal(
        secretRefs(d.spec.template.spec).some((s) => s.env === 'TEMPORAL_API_KEY'),
        false,
        'no API key for the dev server',
      );
      const res = worker(p).resources!;
      assert.equal(res.requests?.memory, res.limits?.memory, `${name}: prod memory requests equal limits`);
    }
    assert.equal(dev.of('HorizontalPodAutoscaler').length, 0);
    assert.equal(prod.of('HorizontalPodAutoscaler').length, 2);
    const role = prod.of('ServiceAccount')[0]?.metadata.annotations?.['eks.amazonaws.com/role-arn'];
    assert.match(role ?? '', /^arn:aws:iam::\d{12}:role\//);
  });
});

function matches(selector: Record<string, string>, labels: Record<string, string> = {}): boolean {
  return Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
}
