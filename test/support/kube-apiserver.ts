/**
 * A real Kubernetes API server for a test file: etcd and kube-apiserver (built by `npm run setup`
 * into .tools/bin, or KUBE_APISERVER_PATH; etcd from ETCD_PATH or PATH) on free 127.0.0.1 ports,
 * with their data, keys and a kubeconfig in a temp folder. Nothing reconciles what it stores (no
 * controllers, no kubelet): a test that needs a controller's effect writes it, as a named stand-in.
 *
 * The admin is a static bearer token (`--token-auth-file`, group system:masters); the service
 * account key is an RSA key made here; the API server writes its own self-signed certificate, which
 * the kubeconfig trusts. Started per test file that calls `startKubeApiServer()` (in `before`), and
 * stopped by pid in `after` with `stop()`; both processes are children of this one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../lib/ports';
import { TOOLS_BIN } from '../../lib/tools';

export interface TestKubeApiServer {
  /** e.g. https://127.0.0.1:41234 */
  url: string;
  /** The admin's bearer token. */
  token: string;
  /** A kubeconfig naming the server, its CA and the admin token (context namespace `default`). */
  kubeconfig: string;
  /** The API server's self-signed certificate (PEM). */
  ca: string;
  /** Calls the API as the admin: JSON in and out; resolves with the status and the parsed body. */
  request(
    method: string,
    apiPath: string,
    body?: unknown,
    contentType?: string,
  ): Promise<{ status: number; body: unknown }>;
  /** Posts manifests (one object each) and waits until the custom resources of any CRD among them are served. */
  apply(objects: { apiVersion: string; kind: string; metadata: { name: string } }[]): Promise<void>;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;

function findProgram(envName: string, local: string | undefined, name: string): string {
  const given = process.env[envName];
  if (given) return given;
  if (local && fs.existsSync(local)) return local;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir && fs.existsSync(candidate)) return candidate;
  }
  throw new Error(
    `${name} not found: run npm run setup (infra/dev/install-tools builds or installs it), or set ${envName}`,
  );
}

/** Starts etcd and kube-apiserver; resolves once `/readyz` answers ok. */
export async function startKubeApiServer(): Promise<TestKubeApiServer> {
  const kubeApiserver = findProgram('KUBE_APISERVER_PATH', path.join(TOOLS_BIN, 'kube-apiserver'), 'kube-apiserver');
  const etcdBin = findProgram('ETCD_PATH', undefined, 'etcd');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-kube-'));
  const children: ChildProcess[] = [];
  const stop = async () => {
    for (const child of children.reverse()) await stopChild(child);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const [etcdClient, etcdPeer, securePort] = await distinctPorts(3);
    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    children.push(
      startLogged(
        etcdBin,
        [
          `--data-dir=${path.join(dir, 'etcd')}`,
          `--listen-client-urls=${etcdUrl}`,
          `--advertise-client-urls=${etcdUrl}`,
          `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
          `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
          `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
        ],
        path.join(dir, 'etcd.log'),
      ),
    );
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keyFile = path.join(dir, 'sa.key');
    fs.writeFileSync(keyFile, privateKey.export({ type: 'pkcs1', format: 'pem' }), { mode: 0o600 });
    const token = randomBytes(24).toString('hex');
    const tokenFile = path.join(dir, 'tokens.csv');
    fs.writeFileSync(tokenFile, `${token},admin,admin,system:masters\n`, { mode: 0o600 });
    const certDir = path.join(dir, 'certs');
    children.push(
      startLogged(
        kubeApiserver,
        [
          `--etcd-servers=${etcdUrl}`,
          '--bind-address=127.0.0.1',
          '--advertise-address=127.0.0.1',
          '--endpoint-reconciler-type=none',
          `--secure-port=${securePort}`,
          `--cert-dir=${certDir}`,
          '--service-account-issuer=https://kubernetes.default.svc',
          `--service-account-key-file=${keyFile}`,
          `--service-account-signing-key-file=${keyFile}`,
          `--token-auth-file=${tokenFile}`,
          '--authorization-mode=RBAC',
          '--service-cluster-ip-range=10.96.0.0/16',
        ],
        path.join(dir, 'kube-apiserver.log'),
      ),
    );
    const url = `https://127.0.0.1:${securePort}`;
    const ca = await waitForFile(path.join(certDir, 'apiserver.crt'), children, dir);
    const kubeconfig = path.join(dir, 'kubeconfig');
    fs.writeFileSync(kubeconfig, kubeconfigYaml(url, ca, token), { mode: 0o600 });
    const request = (method: string, apiPath: string, body?: unknown, contentType = 'application/json') =>
      call(url, ca, token, method, apiPath, body, contentType);
    await waitReady(request, children, dir);
    return {
      url,
      token,
      kubeconfig,
      ca,
      request,
      apply: (objects) => applyAll(request, objects),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function startLogged(program: string, args: string[], logFile: string): ChildProcess {
  const log = fs.openSync(logFile, 'a');
  const child = spawn(program, args, { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  child.on('error', () => undefined);
  return child;
}

/** SIGTERM, then SIGKILL after 10 s, to this child's pid only. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function distinctPorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

function failedStart(children: ChildProcess[], dir: string): Error | undefined {
  const dead = children.find((c) => c.exitCode !== null || c.signalCode !== null);
  if (!dead) return undefined;
  const logs = ['etcd.log', 'kube-apiserver.log']
    .map((f) => {
      const text = fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), 'utf8') : '';
      return `--- ${f}\n${text.split('\n').slice(-15).join('\n')}`;
    })
    .join('\n');
  return new Error(`${dead.spawnfile} exited (${dead.exitCode ?? dead.signalCode}) while starting:\n${logs}`);
}

async function waitForFile(file: string, children: ChildProcess[], dir: string): Promise<string> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const failed = failedStart(children, dir);
    if (failed) throw failed;
    if (fs.existsSync(file)) {
      const text = fs.readFileSync(file, 'utf8');
      if (text.includes('END CERTIFICATE')) return text;
    }
    if (Date.now() > deadline) throw new Error(`kube-apiserver wrote no ${file} within ${READY_TIMEOUT_MS} ms`);
    await sleep(100);
  }
}

async function waitReady(request: TestKubeApiServer['request'], children: ChildProcess[], dir: string) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = '';
  for (;;) {
    const failed = failedStart(children, dir);
    if (failed) throw failed;
    try {
      const res = await request('GET', '/readyz');
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`kube-apiserver was not ready within ${READY_TIMEOUT_MS} ms: ${last}`);
    await sleep(250);
  }
}

/** One HTTPS call trusting the server's own certificate. */
async function call(
  url: string,
  ca: string,
  token: string,
  method: string,
  apiPath: string,
  body: unknown,
  contentType: string,
): Promise<{ status: number; body: unknown }> {
  const https = await import('node:https');
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${url}${apiPath}`,
      {
        method,
        ca,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': contentType } : {}),
        },
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // /readyz answers text
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`${method} ${apiPath} timed out`)));
    if (body !== undefined) req.write(typeof body === 'string' ? body : JSON.stringify(body));
    req.end();
  });
}

/** Where a manifest is posted: core, named groups, namespaced kinds in `default`. */
const COLLECTIONS: Record<string, string> = {
  CustomResourceDefinition: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
  Namespace: '/api/v1/namespaces',
};

async function applyAll(
  request: TestKubeApiServer['request'],
  objects: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }[],
): Promise<void> {
  for (const object of objects) {
    const collection =
      COLLECTIONS[object.kind] ??
      `/apis/${object.apiVersion}/namespaces/${object.metadata.namespace ?? 'default'}/${object.kind.toLowerCase()}s`;
    const res = await request('POST', collection, object);
    if (res.status !== 201 && res.status !== 409) {
      throw new Error(
        `applying ${object.kind} ${object.metadata.name}: HTTP ${res.status} ${JSON.stringify(res.body)}`,
      );
    }
  }
  // a CRD's resources are served a moment after it is created
  for (const crd of objects.filter((o) => o.kind === 'CustomResourceDefinition')) {
    const spec = (
      crd as unknown as { spec: { group: string; names: { plural: string }; versions: { name: string }[] } }
    ).spec;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const res = await request('GET', `/apis/${spec.group}/${spec.versions[0]!.name}`);
      const served = (res.body as { resources?: { name: string }[] }).resources?.some(
        (r) => r.name === spec.names.plural,
      );
      if (res.status === 200 && served) break;
      if (Date.now() > deadline) throw new Error(`${crd.metadata.name} was not served within 30 s`);
      await sleep(200);
    }
  }
}

function kubeconfigYaml(server: string, ca: string, token: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'test', cluster: { server, 'certificate-authority-data': Buffer.from(ca).toString('base64') } }],
    users: [{ name: 'admin', user: { token } }],
    contexts: [{ name: 'test', context: { cluster: 'test', user: 'admin', namespace: 'default' } }],
    'current-context': 'test',
  });
}
