/**
 * infra/k8s rendered by a real kustomize (built by `npm run setup`): in each overlay the objects
 * hang together — one worker per task queue (the serving one a StatefulSet whose model servers the
 * gateway reaches at the pod's stable name), the gateway's replicas behind a Service with a public
 * and an admin port, probes and scrape annotations on the ports each process is started with,
 * autoscalers and budgets on the right pods, NetworkPolicies that let only the gateway reach the
 * model servers and only the workers reach the admin port, ConfigMaps the overlay generates and
 * Secrets named only — the rendered configuration loads as the worker's, and prod differs from dev
 * where it should.
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
import type {
  Container,
  Deployment,
  HorizontalPodAutoscaler,
  K8sObject,
  NetworkPolicy,
  PodDisruptionBudget,
  Service,
  StatefulSet,
  Workload,
} from './k8s-objects';
import { allowedPeers, configMapRefs, containerPort, secretRefs } from './k8s-objects';

const execFileAsync = promisify(execFile);

/** The Secrets docs/kubernetes.md tells operators to create; the repository holds no Secret object. */
const DOCUMENTED_SECRETS = [
  'mlops-store-credentials',
  'mlops-codec-keys',
  'mlops-temporal-cloud',
  'mlops-temporal-mtls',
  'mlops-gateway-token',
];
const QUEUE_OF: Record<string, string> = {
  'mlops-orchestration-worker': 'workflows',
  'mlops-training-worker': 'training',
  'mlops-serving-worker': 'serving',
};
const KIND_OF: Record<string, string> = {
  'mlops-orchestration-worker': 'Deployment',
  'mlops-training-worker': 'Deployment',
  'mlops-serving-worker': 'StatefulSet',
};
const GATEWAY = 'mlops-gateway';
/** What the gateway's clients are configured with (`mlops gateway` itself ignores them). */
const GATEWAY_CLIENT_SETTINGS = ['MLOPS_GATEWAY_URL', 'MLOPS_GATEWAY_ADMIN_URL', 'MLOPS_GATEWAY_TOKEN'];

/** Stand-ins for the values of the Secret keys a workload's variables reference, for loading its environment. */
function secretsOf(d: Workload): Record<string, string> {
  return Object.fromEntries(
    secretRefs(d.spec.template.spec).flatMap((s) => (s.env ? [[s.env, `stand-in-${s.key ?? s.env}`]] : [])),
  );
}

interface Rendered {
  overlay: string;
  namespace: string;
  objects: K8sObject[];
  /** The workers: a Deployment or StatefulSet per task queue. */
  workers: Workload[];
  /** The gateway's Deployment. */
  gateway: Deployment;
  /** Every workload: the workers and the gateway. */
  workloads: Workload[];
  of<T extends K8sObject>(kind: string): T[];
  /** A workload's environment: ConfigMap entries, then plain `env` values. */
  environment(d: Workload): Record<string, string>;
  /**
   * The environment as a pod of it gets it: the downward API's fields (a sample pod's) filled in,
   * and `$(NAME)` references expanded as the kubelet does.
   */
  podEnvironment(d: Workload): Record<string, string>;
}

async function render(overlay: string): Promise<Rendered> {
  const dir = path.join(REPO_ROOT, 'infra', 'k8s', 'overlays', overlay);
  const { stdout } = await execFileAsync(requireTool('kustomize'), ['build', dir], { maxBuffer: 16 << 20 });
  const objects = parseAllDocuments(stdout).map((doc) => doc.toJS() as K8sObject);
  const of = <T extends K8sObject>(kind: string) => objects.filter((o) => o.kind === kind) as T[];
  const namespaces = of('Namespace').map((n) => n.metadata.name);
  assert.equal(namespaces.length, 1, `${overlay}: one Namespace`);
  const workloads = [...of<Deployment>('Deployment'), ...of<StatefulSet>('StatefulSet')];
  const gateway = workloads.find((w) => w.metadata.name === GATEWAY);
  assert.ok(gateway && gateway.kind === 'Deployment', `${overlay}: the gateway Deployment`);
  const environment = (d: Workload) => {
    const env: Record<string, string> = {};
    for (const name of configMapRefs(d.spec.template.spec).envFrom) {
      const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name);
      Object.assign(env, cm?.data);
    }
    for (const e of main(d).env ?? []) if (e.value !== undefined) env[e.name] = e.value;
    return env;
  };
  return {
    overlay,
    namespace: namespaces[0]!,
    objects,
    workers: workloads.filter((w) => w !== gateway),
    gateway: gateway as Deployment,
    workloads,
    of,
    environment,
    podEnvironment(d) {
      const sample: Record<string, string> = {
        'metadata.name': `${d.metadata.name}-0`,
        'metadata.namespace': namespaces[0]!,
        'status.podIP': '10.0.3.7',
      };
      const env = environment(d);
      for (const e of main(d).env ?? []) {
        const field = e.valueFrom?.fieldRef?.fieldPath;
        if (field) env[e.name] = sample[field] ?? '';
        else if (e.value !== undefined)
          env[e.name] = e.value.replace(/\$\((\w+)\)/g, (m, name: string) => env[name] ?? m);
      }
      return env;
    },
  };
}

/** A workload's one container: `worker` in the workers, `gateway` in the gateway. */
function main(d: Workload): Container {
  const name = d.metadata.name === GATEWAY ? 'gateway' : 'worker';
  const c = d.spec.template.spec.containers.find((c) => c.name === name);
  assert.ok(c, `${d.metadata.name}: a container named ${name}`);
  return c;
}
const worker = main;

/** The image's ENTRYPOINT followed by the container's args: the worker's whole command line. */
const entrypoint = execForm(instructions(readDockerfile().at(-1)!, 'ENTRYPOINT').at(-1)!);
const commandLine = (d: Workload) => [...entrypoint, ...(worker(d).args ?? [])];
/** The gateway's command line: its own command (the image's entrypoint runs the worker) and args. */
const gatewayCommandLine = (d: Deployment) => [...(main(d).command ?? []), ...(main(d).args ?? [])];

describe('Kubernetes manifests (infra/k8s)', function () {
  this.timeout(60_000);
  const overlays: Record<string, Rendered> = {};
  let workerHelp = '';
  let gatewayHelp = '';

  before(async () => {
    [overlays.dev, overlays.prod] = await Promise.all([render('dev'), render('prod')]);
    const help = async (command: string) =>
      (
        await execFileAsync(process.execPath, [path.join(REPO_ROOT, 'bin', 'mlops.js'), command, '--help'])
      ).stdout.replace(/\s+/g, ' ');
    [workerHelp, gatewayHelp] = await Promise.all([help('worker'), help('gateway')]);
  });

  it('renders with the kustomize v5 that setup installs, or the one KUSTOMIZE_PATH names', async () => {
    const kustomize = requireTool('kustomize');
    assert.match((await execFileAsync(kustomize, ['version'])).stdout, /^v5\./);
    assert.equal(findTool('kustomize', { ...process.env, KUSTOMIZE_PATH: kustomize }), kustomize);
    assert.equal(findTool('kustomize', { KUSTOMIZE_PATH: path.join(REPO_ROOT, 'no-such-kustomize') }), undefined);
    assert.throws(() => requireTool('kustomize', { KUSTOMIZE_PATH: '/nonexistent' }), /KUSTOMIZE_PATH: \/nonexistent/);
    const setup = fs.readFileSync(path.join(REPO_ROOT, 'infra', 'dev', 'install-tools'), 'utf8');
    assert.match(setup, /^KUSTOMIZE_MODULE="sigs\.k8s\.io\/kustomize\/kustomize\/v5@v5\.\d+\.\d+"$/m);
    assert.match(setup, /^\s+kustomize\) install_kustomize ;;$/m);
  });

  for (const name of ['dev', 'prod']) {
    describe(`overlay ${name}`, () => {
      const r = () => overlays[name]!;

      it('runs one worker per task queue (the serving one a StatefulSet), with flags the worker knows', () => {
        const { workers } = r();
        assert.deepEqual(workers.map((d) => [d.metadata.name, d.kind]).sort(), Object.entries(KIND_OF).sort());
        for (const d of workers) {
          const words = commandLine(d);
          assert.equal(flagValue(words, '--queues'), QUEUE_OF[d.metadata.name], d.metadata.name);
          assert.equal(words.filter((w) => w === '--queues').length, 1, 'the image does not pick the queues itself');
          for (const flag of words.filter((w) => w.startsWith('--')))
            assert.match(workerHelp, new RegExp(`${flag}\\b`), `mlops worker has no ${flag}`);
        }
        assert.match(workerHelp, /--queues <which> .*workflows, training, serving/);
      });

      it('probes /healthz and /readyz on the health port, and has Prometheus scrape the metrics port', () => {
        for (const d of r().workers) {
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

      it('autoscales and budgets the pods of the workloads it runs', () => {
        const { workloads, of } = r();
        for (const pdb of of<PodDisruptionBudget>('PodDisruptionBudget')) {
          const selector = pdb.spec.selector.matchLabels;
          const matching = workloads.filter((d) => matches(selector, d.spec.template.metadata.labels));
          assert.equal(matching.length, 1, `${pdb.metadata.name} selects the pods of one workload`);
          const [d] = matching as [Workload];
          assert.ok(matches(d.spec.selector.matchLabels, d.spec.template.metadata.labels), 'its selector too');
          assert.equal(pdb.spec.maxUnavailable, 1, 'a single replica can still be drained');
        }
        assert.equal(of('PodDisruptionBudget').length, workloads.length);
        for (const hpa of of<HorizontalPodAutoscaler>('HorizontalPodAutoscaler')) {
          assert.equal(hpa.apiVersion, 'autoscaling/v2');
          const target = hpa.spec.scaleTargetRef;
          assert.deepEqual([target.apiVersion, target.kind], ['apps/v1', 'Deployment']);
          assert.notEqual(target.name, 'mlops-serving-worker', 'model servers stay on the pod that started them');
          assert.ok(
            workloads.some((d) => d.kind === 'Deployment' && d.metadata.name === target.name),
            `${hpa.metadata.name} targets ${target.name}`,
          );
          const { minReplicas: min, maxReplicas: max } = hpa.spec;
          assert.ok(min >= 1 && min <= max, `${hpa.metadata.name}: ${min}..${max}`);
          const d = workloads.find((d) => d.metadata.name === target.name)!;
          assert.ok(d.spec.replicas >= min && d.spec.replicas <= max, `${d.metadata.name} starts within its bounds`);
          for (const c of d.spec.template.spec.containers)
            assert.ok(c.resources?.requests?.cpu, `${d.metadata.name}: CPU utilization needs a CPU request`);
        }
      });

      it('references the ConfigMaps it generates, and Secrets by name only', () => {
        const { workloads, of, objects, namespace } = r();
        const configMaps = new Set(of('ConfigMap').map((c) => c.metadata.name));
        for (const d of workloads) {
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
          // a token, key or password comes from a Secret, never as a value in the manifest
          for (const e of main(d).env ?? [])
            if (/TOKEN|SECRET|PASSWORD|_KEYS?$/.test(e.name))
              assert.ok(e.valueFrom?.secretKeyRef, `${d.metadata.name}: ${e.name} is not from a Secret`);
        }
        assert.deepEqual(of('Secret'), [], 'no Secret (and so no secret value) in the repository');
        for (const o of objects)
          if (o.kind !== 'Namespace') assert.equal(o.metadata.namespace, namespace, `${o.kind}/${o.metadata.name}`);
      });

      it('runs as non-root with a read-only root filesystem, MLOPS_HOME and /tmp on volumes', () => {
        for (const d of r().workers) {
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

      it('runs the gateway as replicas of `mlops gateway`, admin beyond loopback only behind the NetworkPolicy', () => {
        const { gateway } = r();
        const c = main(gateway);
        const words = gatewayCommandLine(gateway);
        // the image's entrypoint with `gateway` for `worker` and none of the worker's own flags
        const workerAt = entrypoint.indexOf('worker');
        assert.deepEqual(words.slice(0, workerAt + 1), [...entrypoint.slice(0, workerAt), 'gateway']);
        assert.ok(gateway.spec.replicas >= 2, 'more than one replica');
        assert.equal(flagValue(words, '--host'), '0.0.0.0', 'the Service reaches the public API');
        assert.equal(flagValue(words, '--admin-host'), '0.0.0.0', 'the workers reach the admin API');
        assert.ok(
          words.includes('--admin-behind-network-policy') ||
            (r().environment(gateway).MLOPS_GATEWAY_ADMIN_TLS_CERT &&
              r().environment(gateway).MLOPS_GATEWAY_ADMIN_TLS_KEY),
          'an admin API beyond loopback is behind the NetworkPolicy or on TLS',
        );
        const port = Number(flagValue(words, '--port'));
        const adminPort = Number(flagValue(words, '--admin-port'));
        assert.notEqual(port, adminPort);
        assert.equal(containerPort(c, 'http'), port);
        assert.equal(containerPort(c, 'admin'), adminPort);
        assert.equal(containerPort(c, c.livenessProbe?.httpGet?.port), port);
        assert.equal(c.livenessProbe?.httpGet?.path, '/v2/health/live');
        assert.equal(containerPort(c, c.readinessProbe?.httpGet?.port), port);
        assert.equal(c.readinessProbe?.httpGet?.path, '/v2/health/ready');
        assert.deepEqual(gateway.spec.template.metadata.annotations, {
          'prometheus.io/scrape': 'true',
          'prometheus.io/port': String(port),
          'prometheus.io/path': '/metrics',
        });
        // every replica records the admin URL it is reached at: its own pod IP
        const env = c.env ?? [];
        const podIp = env.findIndex((e) => e.name === 'POD_IP' && e.valueFrom?.fieldRef?.fieldPath === 'status.podIP');
        const advertise = env.findIndex((e) => e.name === 'MLOPS_GATEWAY_ADVERTISE_URL');
        assert.ok(podIp >= 0 && podIp < advertise, 'POD_IP is defined before MLOPS_GATEWAY_ADVERTISE_URL uses it');
        assert.equal(env[advertise]!.value, `http://$(POD_IP):${adminPort}`);
        const token = secretRefs(gateway.spec.template.spec).find((s) => s.env === 'MLOPS_GATEWAY_TOKEN');
        assert.deepEqual([token?.name, token?.optional], ['mlops-gateway-token', undefined], 'a required Secret');
        // the endpoints live in the store: no volume but /tmp, nothing kept across restarts
        assert.equal(r().environment(gateway).MLOPS_STORE?.startsWith('s3://'), true);
        for (const v of gateway.spec.template.spec.volumes ?? []) assert.ok(v.emptyDir, `${v.name} is an emptyDir`);
        assert.equal(c.securityContext?.readOnlyRootFilesystem, true);
        assert.equal(gateway.spec.template.spec.securityContext?.runAsNonRoot, true);

        // the flags the replicated gateway has (admin host, TLS, network policy, advertised URL)
        for (const flag of words.filter((w) => w.startsWith('--')))
          assert.match(gatewayHelp, new RegExp(`${flag}\\b`), `mlops gateway has no ${flag}`);
      });

      it('serves the gateway through one Service: the public port and the admin port apart', () => {
        const { gateway, of } = r();
        const services = of<Service>('Service').filter((s) =>
          matches(s.spec.selector, gateway.spec.template.metadata.labels),
        );
        assert.equal(services.length, 1);
        const [service] = services as [Service];
        assert.equal(service.metadata.name, GATEWAY);
        const c = main(gateway);
        const byName = Object.fromEntries(
          (service.spec.ports ?? []).map((p) => [p.name, [p.port, containerPort(c, p.targetPort)]]),
        );
        const words = gatewayCommandLine(gateway);
        assert.deepEqual(byName, {
          http: [Number(flagValue(words, '--port')), Number(flagValue(words, '--port'))],
          admin: [Number(flagValue(words, '--admin-port')), Number(flagValue(words, '--admin-port'))],
        });
      });

      it('runs model servers on the serving StatefulSet, reached at each pod stable name through its headless Service', () => {
        const { workers, of, environment } = r();
        const serving = workers.find((w) => w.metadata.name === 'mlops-serving-worker') as StatefulSet;
        const headless = of<Service>('Service').find((s) => s.metadata.name === serving.spec.serviceName);
        assert.ok(headless, `the Service ${serving.spec.serviceName} is rendered`);
        assert.equal(headless.spec.clusterIP, 'None', 'headless: a DNS name per pod');
        assert.ok(matches(headless.spec.selector, serving.spec.template.metadata.labels));
        assert.equal(
          headless.spec.publishNotReadyAddresses,
          true,
          'servers stay reachable while the worker is not ready',
        );
        const env = main(serving).env ?? [];
        const at = (name: string) => env.findIndex((e) => e.name === name);
        const field = (name: string) => env[at(name)]?.valueFrom?.fieldRef?.fieldPath;
        assert.equal(field('POD_NAME'), 'metadata.name');
        assert.equal(field('POD_NAMESPACE'), 'metadata.namespace');
        assert.equal(environment(serving).MLOPS_MODEL_SERVER_HOST, '0.0.0.0');
        assert.equal(
          environment(serving).MLOPS_MODEL_SERVER_ADVERTISE_HOST,
          `$(POD_NAME).${headless.metadata.name}.$(POD_NAMESPACE).svc`,
        );
        for (const used of ['POD_NAME', 'POD_NAMESPACE'])
          assert.ok(at(used) < at('MLOPS_MODEL_SERVER_ADVERTISE_HOST'), `${used} is defined before it is used`);
        assert.equal(serving.spec.replicas, 1, 'one serving host: a variant lives on the pod that deployed it');
      });

      it('points the orchestration and serving workers at the gateway Service, and the training worker not', () => {
        const { workers, of, environment, gateway } = r();
        const service = of<Service>('Service').find((s) => s.metadata.name === GATEWAY)!;
        const portOf = (name: string) => service.spec.ports?.find((p) => p.name === name)?.port;
        for (const d of workers) {
          const env = environment(d);
          const token = secretRefs(d.spec.template.spec).find((s) => s.env === 'MLOPS_GATEWAY_TOKEN');
          if (d.metadata.name === 'mlops-training-worker') {
            assert.equal(env.MLOPS_GATEWAY_URL, undefined, 'training jobs have no business with the gateway');
            assert.equal(token, undefined);
            continue;
          }
          assert.equal(env.MLOPS_GATEWAY_URL, `http://${GATEWAY}:${portOf('http')}`, d.metadata.name);
          const admin = new URL(env.MLOPS_GATEWAY_ADMIN_URL ?? '');
          assert.deepEqual([admin.hostname, Number(admin.port)], [GATEWAY, portOf('admin')], d.metadata.name);
          // the same Secret as the gateway's
          const gatewayToken = secretRefs(gateway.spec.template.spec).find((s) => s.env === 'MLOPS_GATEWAY_TOKEN');
          assert.deepEqual([token?.name, token?.key], [gatewayToken?.name, gatewayToken?.key]);
        }
      });

      it('lets only gateway pods reach the model servers, and only the calling workers reach the admin port', () => {
        const { of, workloads, gateway } = r();
        const policies = of<NetworkPolicy>('NetworkPolicy');
        const policyOf = (w: Workload) => {
          const found = policies.filter((p) =>
            matches(p.spec.podSelector.matchLabels ?? {}, w.spec.template.metadata.labels),
          );
          assert.equal(found.length, 1, `one NetworkPolicy selects ${w.metadata.name}`);
          assert.deepEqual(found[0]!.spec.policyTypes, ['Ingress']);
          return found[0]!;
        };
        /** The workloads whose pods the peers select. */
        const named = (peers: 'anyone' | Record<string, string>[]) =>
          peers === 'anyone'
            ? 'anyone'
            : workloads
                .filter((w) => peers.some((sel) => matches(sel, w.spec.template.metadata.labels)))
                .map((w) => w.metadata.name)
                .sort();
        const serving = workloads.find((w) => w.metadata.name === 'mlops-serving-worker')!;
        const servingPolicy = policyOf(serving);
        const c = main(serving);
        // a model server listens on a port picked at deploy time: any port but the worker's own
        for (const number of [8080, 33211, 50051])
          assert.deepEqual(named(allowedPeers(servingPolicy, { number })), [GATEWAY], `model-server port ${number}`);
        for (const name of ['health', 'metrics'])
          assert.equal(named(allowedPeers(servingPolicy, { number: containerPort(c, name)!, name })), 'anyone', name);

        const gatewayPolicy = policyOf(gateway);
        const g = main(gateway);
        assert.equal(named(allowedPeers(gatewayPolicy, { number: containerPort(g, 'http')!, name: 'http' })), 'anyone');
        assert.deepEqual(named(allowedPeers(gatewayPolicy, { number: containerPort(g, 'admin')!, name: 'admin' })), [
          'mlops-orchestration-worker',
          'mlops-serving-worker',
        ]);
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
        for (const d of r.workers) {
          // the Temporal profile is prod's test below: this one is about the folders
          const { TEMPORAL_CONFIG_FILE: _file, TEMPORAL_PROFILE: _profile, ...env } = r.podEnvironment(d);
          const config = loadConfig({ ...env, ...secretsOf(d) }, workdir);
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

    it('dev: the in-cluster Temporal server and MinIO on the three task queues', () => {
      const r = overlays.dev!;
      for (const d of r.workloads) {
        const env = { ...r.podEnvironment(d), ...secretsOf(d) };
        // `mlops gateway` loads its configuration without the settings it serves to its clients
        if (d === r.gateway) for (const k of GATEWAY_CLIENT_SETTINGS) delete env[k];
        const config = loadConfig(env, tmp);
        assert.equal(config.temporal.address, 'temporal-frontend.temporal.svc.cluster.local:7233');
        assert.equal(config.temporal.connectionOptions.tls, undefined);
        assert.equal(config.store.kind, 's3');
        assert.equal(config.store.kind === 's3' && config.store.endpoint, 'http://minio.minio.svc.cluster.local:9000');
        assert.deepEqual(
          [config.taskQueue, config.trainingTaskQueue, config.servingTaskQueue],
          ['mlops', 'mlops-training', 'mlops-serving'],
        );
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

    it('prod: Temporal Cloud through the mounted envconfig profile and the API key Secret, for the workers only', () => {
      const r = overlays.prod!;
      assert.equal(
        secretRefs(r.gateway.spec.template.spec).some((s) => s.env === 'TEMPORAL_API_KEY'),
        false,
        'the gateway does not talk to Temporal',
      );
      for (const d of r.workers) {
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
        const config = loadConfig(
          {
            ...r.podEnvironment(d),
            ...secretsOf(d),
            TEMPORAL_CONFIG_FILE: local,
            TEMPORAL_API_KEY: 'test-key',
          },
          tmp,
        );
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

  it('prod differs from dev: namespace, replicas, Temporal, image, strict memory, autoscaling, the IAM role', () => {
    const [dev, prod] = [overlays.dev!, overlays.prod!];
    assert.notEqual(dev.namespace, prod.namespace);
    for (const name of [...Object.keys(QUEUE_OF), GATEWAY]) {
      const [d, p] = [dev, prod].map((r) => r.workloads.find((x) => x.metadata.name === name)!) as [Workload, Workload];
      if (name === GATEWAY) {
        assert.equal(d.spec.replicas, 2, 'two gateway replicas even in dev');
        assert.ok(p.spec.replicas > 2, `${name}: more in prod`);
      } else if (name === 'mlops-serving-worker') {
        assert.deepEqual([d.spec.replicas, p.spec.replicas], [1, 1], 'one serving host in both');
      } else {
        assert.equal(d.spec.replicas, 1);
        assert.ok(p.spec.replicas > 1, `${name}: more than one in prod`);
      }
      assert.notEqual(main(d).image, main(p).image);
      if (name !== GATEWAY) {
        assert.equal(dev.environment(d).TEMPORAL_ADDRESS?.endsWith('.svc.cluster.local:7233'), true);
        assert.equal(prod.environment(p).TEMPORAL_ADDRESS, undefined, 'prod takes the address from its profile');
      }
      assert.equal(
        secretRefs(d.spec.template.spec).some((s) => s.env === 'TEMPORAL_API_KEY'),
        false,
        'no API key for the dev server',
      );
      const res = main(p).resources!;
      assert.equal(res.requests?.memory, res.limits?.memory, `${name}: prod memory requests equal limits`);
    }
    assert.equal(dev.of('HorizontalPodAutoscaler').length, 0);
    assert.deepEqual(
      prod
        .of<HorizontalPodAutoscaler>('HorizontalPodAutoscaler')
        .map((h) => h.spec.scaleTargetRef.name)
        .sort(),
      [GATEWAY, 'mlops-orchestration-worker', 'mlops-training-worker'],
    );
    const role = prod.of('ServiceAccount')[0]?.metadata.annotations?.['eks.amazonaws.com/role-arn'];
    assert.match(role ?? '', /^arn:aws:iam::\d{12}:role\//);
  });
});

function matches(selector: Record<string, string>, labels: Record<string, string> = {}): boolean {
  return Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
}
