/**
 * The configuration schema: the one definition of every setting, its default and its meaning.
 * `validateConfig(raw)` is pure; `loadConfig()` in ./load.ts reads the environment.
 */
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_SERVING_TASK_QUEUE, DEFAULT_TASK_QUEUE, DEFAULT_TRAINING_TASK_QUEUE } from '../../common/task-queues';

/** Where objects live: a local folder, or a bucket and prefix on an S3 API. */
export type StoreConfig =
  | { kind: 'file'; root: string; uri: string }
  | {
      kind: 's3';
      uri: string;
      bucket: string;
      prefix: string;
      endpoint?: string;
      region: string;
      forcePathStyle: boolean;
      credentials?: { accessKeyId: string; secretAccessKey: string };
    };

export interface Config {
  /** Folder for local state: the dev stack's files, the default store. */
  home: string;
  /** Local caches (e.g. the dataset stat cache), under `home`. */
  cacheDir: string;
  store: StoreConfig;
  /** S3 settings for any s3:// URI (the store, dataset sources). */
  s3: S3Settings;
  /** Who this CLI or worker acts as in audit entries and approvals (`MLOPS_ACTOR`). */
  actor: string;
  taskQueue: string;
  trainingTaskQueue: string;
  /** Where activities bound to a serving host run (`MLOPS_SERVING_TASK_QUEUE`). */
  servingTaskQueue: string;
  /** The Ray head for jobs with `backend: ray` (MLOPS_RAY_ADDRESS); absent: only the local backend. */
  ray?: { address: string };
  /** Folder of pipeline spec files, absolute (`MLOPS_PIPELINES_DIR`, default ./pipelines). */
  pipelinesDir: string;
  /** The inference gateway (MLOPS_GATEWAY_*, else the dev stack's); absent: no serving. */
  gateway?: GatewayConfig;
  /** User workflow modules (files or folders, absolute) the worker bundles with the built-in ones (`MLOPS_WORKFLOWS`). */
  workflows: string[];
  /** The only variables a spec's `notifications.webhookEnv` may name start with this (`MLOPS_WEBHOOK_ENV_PREFIX`). */
  webhookEnvPrefix: string;
  /** Who may call `mlops codec-server` (MLOPS_CODEC_*). */
  codecServer: CodecServerConfig;
  /** Where a browser reads the store's reports over HTTP (`MLOPS_REPORTS_URL`, e.g. the codec server's URL). */
  reportsUrl?: string;
  /**
   * Folders a dataset source on this machine may lie in, absolute (`MLOPS_SOURCE_ROOTS`; default:
   * the working directory and the pipelines folder's parent), plus a filesystem store's root.
   */
  sourceRoots: string[];
  /** The SSH key the CLI signs decisions with (`MLOPS_SIGNING_KEY`); absent: --key, else ~/.ssh/id_ed25519, id_ecdsa, id_rsa. */
  signingKey?: string;
  /** Limits of the gateway process (`mlops gateway`): what one client may cost it. */
  gatewayLimits: GatewayLimits;
  /** How `mlops gateway` serves its admin API beyond loopback (MLOPS_GATEWAY_ADMIN_TLS_*, MLOPS_GATEWAY_ADVERTISE_URL). */
  gatewayAdmin: GatewayAdminServing;
  /** The most bytes of files one code package may hold (`MLOPS_CODE_PACKAGE_MAX_BYTES`). */
  codePackageMaxBytes: number;
  /** The most files one dataset snapshot may hold (`MLOPS_MAX_SNAPSHOT_FILES`). */
  maxSnapshotFiles: number;
  /** Where variants are served (`MLOPS_SERVING_BACKEND`): model servers on this host, or KServe InferenceServices. */
  servingBackend: 'local' | 'kserve';
  /** The kserve backend's cluster (MLOPS_KSERVE_*, MLOPS_KUBECONFIG); set when `servingBackend` is `kserve`. */
  kserve?: KServeConfig;
  /** Where this host's model servers listen, and the host the gateway reaches them at (`MLOPS_MODEL_SERVER_*`). */
  modelServer: { host: string; advertiseHost: string };
}

/** The Kubernetes API and the InferenceServices of the kserve serving backend. */
export interface KServeConfig {
  /** A kubeconfig file, absolute (`MLOPS_KUBECONFIG`, else `KUBECONFIG`); absent: the pod's service account. */
  kubeconfig?: string;
  /** The setting that named `kubeconfig`, for messages. */
  kubeconfigSetting: 'MLOPS_KUBECONFIG' | 'KUBECONFIG';
  /** `MLOPS_KSERVE_NAMESPACE`; absent: the pod's namespace, else the kubeconfig context's, else `default`. */
  namespace?: string;
  /** The ServingRuntime the InferenceServices name (`MLOPS_KSERVE_RUNTIME`). */
  runtime: string;
  /** The predictors' service account (`MLOPS_KSERVE_SERVICE_ACCOUNT`); absent: the namespace's default. */
  serviceAccount?: string;
}

/** The codec server's access rules: its token and the browser origins and host names it answers. */
export interface CodecServerConfig {
  /** `MLOPS_CODEC_TOKEN`; absent: the token in `tokenFile`, generated on first use. */
  token?: string;
  /** `<home>/codec/token`. */
  tokenFile: string;
  allowedOrigins: string[];
  allowedHosts: string[];
}

/** The `MLOPS_GATEWAY_*` limits `mlops gateway` runs with (times in milliseconds). */
export interface GatewayLimits {
  captureBufferBytes: number;
  maxConnections: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  rateLimitPerSecond: number;
  rateLimitBurst: number;
  rateLimitClients: number;
}

/** Where the inference gateway serves (`url`) and is administered (`adminUrl`, with `token`). */
export interface GatewayConfig {
  url: string;
  adminUrl: string;
  token: string;
  /** PEM file of the CA that signed the admin API's certificate (`MLOPS_GATEWAY_ADMIN_CA`), absolute. */
  adminCaFile?: string;
}

/** The admin API's TLS files (absolute) and the URL other processes reach this replica's admin API at. */
export interface GatewayAdminServing {
  tlsCertFile?: string;
  tlsKeyFile?: string;
  advertiseUrl?: string;
}

const nonEmpty = z.string().trim().min(1, 'must not be empty');
const hostName = z
  .string()
  .trim()
  .regex(
    /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|[0-9A-Fa-f:]+)$/,
    'must be a host name or IP address, without scheme or port',
  );
const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' });
const truthy = (v: string | undefined) => (v === undefined ? undefined : ['true', '1', 'yes'].includes(v));

/** Raw environment variables the configuration reads, with their meaning. */
export const envSchema = z.object({
  MLOPS_PROJECT_DIR: nonEmpty
    .optional()
    .describe(
      'The project folder (also --project-dir): MLOPS_HOME and relative paths in settings resolve against it. Default: the nearest folder at or above the working directory holding .mlops/ or mlops.toml, else the working directory',
    ),
  MLOPS_HOME: nonEmpty
    .optional()
    .describe('Folder for local state (dev stack, default store). Default: .mlops in the project folder'),
  MLOPS_STORE: nonEmpty
    .optional()
    .describe(
      'Object store: file:///abs/path, file://relative/path or s3://bucket/prefix. Default: file://$MLOPS_HOME/store',
    ),
  MLOPS_S3_ENDPOINT: z
    .url({ protocol: /^https?$/, message: 'must be an http(s) URL, e.g. http://127.0.0.1:9000' })
    .optional()
    .describe('S3 API endpoint for MinIO, R2 and friends; unset for AWS S3'),
  MLOPS_S3_FORCE_PATH_STYLE: bool
    .optional()
    .describe('Path-style S3 addressing. Default: true when MLOPS_S3_ENDPOINT is set'),
  AWS_REGION: nonEmpty.optional().describe('S3 region. Default: us-east-1'),
  AWS_ACCESS_KEY_ID: nonEmpty.optional(),
  AWS_SECRET_ACCESS_KEY: nonEmpty.optional(),
  MLOPS_TASK_QUEUE: nonEmpty
    .optional()
    .describe(`Workflow and light-activity task queue. Default: ${DEFAULT_TASK_QUEUE}`),
  MLOPS_ACTOR: nonEmpty.optional().describe('Identity recorded on alias changes and approvals. Default: <user>@<host>'),
  MLOPS_TRAINING_TASK_QUEUE: nonEmpty
    .optional()
    .describe(`Training and evaluation task queue. Default: ${DEFAULT_TRAINING_TASK_QUEUE}`),
  MLOPS_SERVING_TASK_QUEUE: nonEmpty
    .optional()
    .describe(
      `Task queue of the serving hosts: deploying, readiness and stopping of model servers. Default: ${DEFAULT_SERVING_TASK_QUEUE}`,
    ),
  MLOPS_RAY_ADDRESS: z
    .url({
      protocol: /^https?$/,
      message: 'must be the http(s) URL of a Ray head dashboard, e.g. http://127.0.0.1:8265',
    })
    .optional()
    .describe('Ray head (dashboard / Jobs API) for training jobs with backend ray. Default: none (ray jobs refused)'),
  MLOPS_PIPELINES_DIR: nonEmpty
    .optional()
    .describe('Folder of pipeline spec files (<name>.yaml), relative to the working directory. Default: ./pipelines'),
  MLOPS_WORKFLOWS: nonEmpty
    .optional()
    .describe(
      'User workflow modules the worker bundles with the built-in ones: files or folders, comma-separated, relative to the working directory. Default: none',
    ),
  MLOPS_GATEWAY_URL: httpUrl('the inference gateway, e.g. http://127.0.0.1:8180')
    .optional()
    .describe('Public URL of the inference gateway (OIP v2). Default: the one `mlops dev up` started, else none'),
  MLOPS_GATEWAY_ADMIN_URL: httpUrl("the gateway's admin API, e.g. http://127.0.0.1:8181")
    .optional()
    .describe("The gateway's admin API (variants, weights, metrics). Default: the dev stack's, else none"),
  MLOPS_GATEWAY_TOKEN: nonEmpty
    .optional()
    .describe("Bearer token of the gateway's admin API. Default: the dev stack's token file"),
  MLOPS_GATEWAY_ADMIN_CA: nonEmpty
    .optional()
    .describe(
      "PEM file of the CA that signed the gateway admin API's certificate (an https MLOPS_GATEWAY_ADMIN_URL with a self-signed certificate). Default: the system's CAs",
    ),
  MLOPS_GATEWAY_ADMIN_TLS_CERT: nonEmpty
    .optional()
    .describe(
      '`mlops gateway`: PEM certificate (chain) of the admin API, served over HTTPS (--admin-tls-cert). Default: none, plain HTTP',
    ),
  MLOPS_GATEWAY_ADMIN_TLS_KEY: nonEmpty
    .optional()
    .describe('`mlops gateway`: PEM private key of the admin certificate (--admin-tls-key). Default: none'),
  MLOPS_GATEWAY_ADVERTISE_URL: httpUrl("this gateway replica's admin API, e.g. https://10.0.3.7:8181")
    .optional()
    .describe(
      "`mlops gateway`: the admin URL other processes reach this replica at, recorded in the store for reading every replica's metrics (--advertise-url). Default: http(s)://127.0.0.1:<admin port>",
    ),

  // limits of the gateway process (`mlops gateway`): what one client of its public port may cost it
  MLOPS_GATEWAY_CAPTURE_BUFFER_BYTES: positiveInt(1024)
    .optional()
    .describe(
      'Bytes of captured requests and feedback the gateway buffers for the store at most; more are dropped and counted (mlops_gateway_capture_dropped_total). Default: 67108864 (64 MiB)',
    ),
  MLOPS_GATEWAY_MAX_CONNECTIONS: positiveInt(1)
    .optional()
    .describe('Connections the public port holds at once; more are closed on arrival. Default: 1024'),
  MLOPS_GATEWAY_HEADERS_TIMEOUT_MS: positiveInt(100)
    .optional()
    .describe('Milliseconds a client has to send its request headers. Default: 10000'),
  MLOPS_GATEWAY_REQUEST_TIMEOUT_MS: positiveInt(100)
    .optional()
    .describe('Milliseconds a client has to send its whole request. Default: 30000'),
  MLOPS_GATEWAY_KEEP_ALIVE_TIMEOUT_MS: positiveInt(100)
    .optional()
    .describe('Milliseconds an idle keep-alive connection stays open. Default: 5000'),
  MLOPS_GATEWAY_RATE_LIMIT: nonNegativeInt()
    .optional()
    .describe(
      'Requests per second one client address may send to the public port (a token bucket; 0: no limit). Behind a proxy every client shares its address: limit at the proxy and set 0. Default: 200',
    ),
  MLOPS_GATEWAY_RATE_LIMIT_BURST: positiveInt(1)
    .optional()
    .describe('Requests a client may send at once after idling. Default: 400'),
  MLOPS_GATEWAY_RATE_LIMIT_CLIENTS: positiveInt(1)
    .optional()
    .describe(
      'Client addresses the rate limiter remembers at most (the least recently seen are forgotten). Default: 10000',
    ),
  // the codec server (codec-server/, `mlops codec-server`)
  MLOPS_CODEC_TOKEN: nonEmpty
    .optional()
    .describe(
      'Bearer token the codec server requires (32+ characters of A-Z a-z 0-9 - _ . ~). Default: generated once into $MLOPS_HOME/codec/token',
    ),
  MLOPS_CODEC_ALLOWED_ORIGINS: nonEmpty
    .optional()
    .describe(
      'Browser origins (comma-separated) the codec server answers, e.g. the Temporal UI. Default: http://127.0.0.1:8233,http://localhost:8233',
    ),
  MLOPS_CODEC_ALLOWED_HOSTS: nonEmpty
    .optional()
    .describe(
      'Host names (comma-separated) clients may reach the codec server by, besides IP addresses and localhost (e.g. its name behind a proxy). Default: none',
    ),
  MLOPS_REPORTS_URL: httpUrl("a server of the store's reports, e.g. http://127.0.0.1:8888")
    .optional()
    .describe(
      "Where a browser reads the store's HTML reports: a server with the /reports/<key> route (`mlops codec-server`). `mlops status` links reports there. Default: none (file:// links for a filesystem store)",
    ),
  // notifications
  MLOPS_WEBHOOK_ENV_PREFIX: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]*_$/, 'must be an environment variable name prefix ending in _, e.g. MLOPS_WEBHOOK_')
    .optional()
    .describe(
      "The prefix of the worker's variables holding webhook URLs: a spec's notifications.webhookEnv may name only these. Default: MLOPS_WEBHOOK_",
    ),
  // the folders a snapshot may read
  MLOPS_SOURCE_ROOTS: nonEmpty
    .optional()
    .describe(
      "Folders a dataset source (a local path or file:// URL) may lie in, comma-separated, relative to the working directory; a filesystem store's root is always allowed; s3:// sources are not affected. Default: the working directory and the pipelines folder's parent",
    ),
  // code packages (activities/code/): the code folders of runs, archived into the store
  MLOPS_CODE_PACKAGE_MAX_BYTES: positiveInt(1024)
    .optional()
    .describe(
      'Bytes of files one code folder may hold to be packaged into the store (hidden files, caches and byte code left out); a larger one is refused naming its largest files. Default: 52428800 (50 MiB)',
    ),
  // dataset snapshots (activities/data/limits.ts)
  MLOPS_MAX_SNAPSHOT_FILES: positiveInt(1)
    .optional()
    .describe(
      'Files one dataset snapshot may hold; a source with more fails before anything is hashed, naming the limit and the count found (the worker and the CLI both check). Default: 2000000',
    ),
  // signed decisions (approve, reject, alias and status changes, rollout promote/abort, A/B stop)
  MLOPS_SIGNING_KEY: nonEmpty
    .optional()
    .describe(
      'SSH key file the CLI signs decisions with (a private key, or the .pub of a key held by ssh-agent). Default: ~/.ssh/id_ed25519, else id_ecdsa, else id_rsa',
    ),
  // model servers of the local serving backend (one per variant on this host)
  MLOPS_MODEL_SERVER_HOST: hostName
    .optional()
    .describe(
      'The address model servers bind on this host, e.g. 0.0.0.0 on a serving worker in a cluster. Default: 127.0.0.1',
    ),
  MLOPS_MODEL_SERVER_ADVERTISE_HOST: hostName
    .optional()
    .describe(
      "The host the gateway reaches this host's model servers at (the host of a variant's upstream URL), e.g. the pod's DNS name in a StatefulSet. Default: MLOPS_MODEL_SERVER_HOST",
    ),
  // where variants are served: this host's model servers, or KServe InferenceServices
  MLOPS_SERVING_BACKEND: z
    .enum(['local', 'kserve'], { message: 'must be local or kserve' })
    .optional()
    .describe(
      'Serving backend: local (a model server per variant on the serving worker) or kserve (an InferenceService per variant, in a cluster with KServe). Default: local',
    ),
  MLOPS_KUBECONFIG: nonEmpty
    .optional()
    .describe(
      "Kubeconfig file of the cluster the kserve backend deploys to, relative to the working directory. Default: KUBECONFIG, else the pod's service account",
    ),
  KUBECONFIG: nonEmpty
    .optional()
    .describe('Kubeconfig file, read when MLOPS_KUBECONFIG is unset (one file, not a list)'),
  KUBERNETES_SERVICE_HOST: nonEmpty
    .optional()
    .describe("Set by Kubernetes in every pod: the kserve backend then uses the pod's service account"),
  MLOPS_KSERVE_NAMESPACE: z
    .string()
    .regex(
      /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/,
      'must be a Kubernetes namespace name (lower-case letters, digits, -)',
    )
    .optional()
    .describe(
      "Namespace of the kserve backend's InferenceServices. Default: the pod's namespace, else the kubeconfig context's, else default",
    ),
  MLOPS_KSERVE_RUNTIME: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'must be a Kubernetes object name')
    .optional()
    .describe(
      'ServingRuntime the InferenceServices run (infra/k8s/kserve/serving-runtime.yaml). Default: temporal-mlops-sklearn',
    ),
  MLOPS_KSERVE_SERVICE_ACCOUNT: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'must be a Kubernetes object name')
    .optional()
    .describe(
      "Service account of the InferenceServices' predictors: the one whose secret lets KServe's storage initializer read the store. Default: the namespace's default",
    ),
});

/** The dev stack's UI origins: the ones the codec server answers by default. */
export const DEFAULT_CODEC_ORIGINS = ['http://127.0.0.1:8233', 'http://localhost:8233'];

function positiveInt(min: number) {
  return z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .refine((n) => Number.isSafeInteger(n) && n >= min, `must be at least ${min}`);
}

function nonNegativeInt() {
  return z
    .string()
    .regex(/^\d+$/, 'must be a whole number (0 or more)')
    .transform(Number)
    .refine((n) => Number.isSafeInteger(n), 'must be a whole number');
}

function httpUrl(example: string) {
  return z.url({ protocol: /^https?$/, message: `must be the http(s) URL of ${example}` });
}

export type RawEnv = Record<string, string | undefined>;

/** Defaults that the running dev stack (`.mlops/stack.json`) contributes when the environment is silent. */
export interface StackDefaults {
  store?: { uri: string; endpoint: string; accessKeyId: string; secretAccessKey: string };
  gateway?: Partial<GatewayConfig>;
}

/** Facts about the machine that defaults depend on (kept out of the pure validation). */
export interface Host {
  user: string;
  hostname: string;
}

export type ValidationResult = { ok: true; config: Config } | { ok: false; issues: string[] };

/** Validates the environment; returns the config or a list of `NAME: message` issues. */
export function validateConfig(
  raw: RawEnv,
  cwd: string,
  stack: StackDefaults = {},
  host: Host = { user: 'unknown', hostname: 'localhost' },
): ValidationResult {
  const parsed = envSchema.safeParse(pick(raw));
  if (!parsed.success) {
    return { ok: false, issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) };
  }
  const env = parsed.data;
  const home = path.resolve(cwd, env.MLOPS_HOME ?? '.mlops');
  const fromStack = env.MLOPS_STORE === undefined ? stack.store : undefined;
  const storeUri = env.MLOPS_STORE ?? fromStack?.uri ?? `file://${path.join(home, 'store')}`;
  const s3: S3Settings = {
    endpoint: env.MLOPS_S3_ENDPOINT ?? fromStack?.endpoint,
    region: env.AWS_REGION ?? 'us-east-1',
    forcePathStyle: truthy(env.MLOPS_S3_FORCE_PATH_STYLE),
    accessKeyId: env.AWS_ACCESS_KEY_ID ?? fromStack?.accessKeyId,
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? fromStack?.secretAccessKey,
  };
  const store = parseStoreUri(storeUri, cwd, s3);
  if (typeof store === 'string') return { ok: false, issues: [`MLOPS_STORE: ${store}`] };
  const found = gatewayOf(env, stack.gateway);
  if (typeof found === 'string') return { ok: false, issues: [found] };
  const gateway =
    found && env.MLOPS_GATEWAY_ADMIN_CA
      ? { ...found, adminCaFile: path.resolve(cwd, env.MLOPS_GATEWAY_ADMIN_CA) }
      : found;
  const kserve = kserveOf(env, cwd, store);
  if (typeof kserve === 'string') return { ok: false, issues: [kserve] };
  return {
    ok: true,
    config: {
      home,
      cacheDir: path.join(home, 'cache'),
      store,
      s3,
      actor: env.MLOPS_ACTOR ?? `${host.user}@${host.hostname}`,
      taskQueue: env.MLOPS_TASK_QUEUE ?? DEFAULT_TASK_QUEUE,
      trainingTaskQueue: env.MLOPS_TRAINING_TASK_QUEUE ?? DEFAULT_TRAINING_TASK_QUEUE,
      servingTaskQueue: env.MLOPS_SERVING_TASK_QUEUE ?? DEFAULT_SERVING_TASK_QUEUE,
      ...(env.MLOPS_RAY_ADDRESS ? { ray: { address: env.MLOPS_RAY_ADDRESS.replace(/\/+$/, '') } } : {}),
      pipelinesDir: path.resolve(cwd, env.MLOPS_PIPELINES_DIR ?? 'pipelines'),
      workflows: (env.MLOPS_WORKFLOWS ?? '')
        .split(',')
        .map((p) => p.trim())
        .filter((p) => p !== '')
        .map((p) => path.resolve(cwd, p)),
      ...(gateway ? { gateway } : {}),
      gatewayLimits: {
        captureBufferBytes: env.MLOPS_GATEWAY_CAPTURE_BUFFER_BYTES ?? 64 * 1024 * 1024,
        maxConnections: env.MLOPS_GATEWAY_MAX_CONNECTIONS ?? 1024,
        headersTimeoutMs: env.MLOPS_GATEWAY_HEADERS_TIMEOUT_MS ?? 10_000,
        requestTimeoutMs: env.MLOPS_GATEWAY_REQUEST_TIMEOUT_MS ?? 30_000,
        keepAliveTimeoutMs: env.MLOPS_GATEWAY_KEEP_ALIVE_TIMEOUT_MS ?? 5_000,
        rateLimitPerSecond: env.MLOPS_GATEWAY_RATE_LIMIT ?? 200,
        rateLimitBurst: env.MLOPS_GATEWAY_RATE_LIMIT_BURST ?? 400,
        rateLimitClients: env.MLOPS_GATEWAY_RATE_LIMIT_CLIENTS ?? 10_000,
      },
      gatewayAdmin: {
        ...(env.MLOPS_GATEWAY_ADMIN_TLS_CERT
          ? { tlsCertFile: path.resolve(cwd, env.MLOPS_GATEWAY_ADMIN_TLS_CERT) }
          : {}),
        ...(env.MLOPS_GATEWAY_ADMIN_TLS_KEY ? { tlsKeyFile: path.resolve(cwd, env.MLOPS_GATEWAY_ADMIN_TLS_KEY) } : {}),
        ...(env.MLOPS_GATEWAY_ADVERTISE_URL
          ? { advertiseUrl: env.MLOPS_GATEWAY_ADVERTISE_URL.replace(/\/+$/, '') }
          : {}),
      },
      codecServer: {
        ...(env.MLOPS_CODEC_TOKEN ? { token: env.MLOPS_CODEC_TOKEN } : {}),
        tokenFile: path.join(home, 'codec', 'token'),
        allowedOrigins: list(env.MLOPS_CODEC_ALLOWED_ORIGINS) ?? [...DEFAULT_CODEC_ORIGINS],
        allowedHosts: list(env.MLOPS_CODEC_ALLOWED_HOSTS) ?? [],
      },
      ...(env.MLOPS_REPORTS_URL ? { reportsUrl: env.MLOPS_REPORTS_URL.replace(/\/+$/, '') } : {}),
      webhookEnvPrefix: env.MLOPS_WEBHOOK_ENV_PREFIX ?? 'MLOPS_WEBHOOK_',
      sourceRoots: sourceRootsOf(
        env.MLOPS_SOURCE_ROOTS,
        cwd,
        path.resolve(cwd, env.MLOPS_PIPELINES_DIR ?? 'pipelines'),
        store,
      ),
      ...(env.MLOPS_SIGNING_KEY ? { signingKey: env.MLOPS_SIGNING_KEY } : {}),
      codePackageMaxBytes: env.MLOPS_CODE_PACKAGE_MAX_BYTES ?? 50 * 1024 * 1024,
      maxSnapshotFiles: env.MLOPS_MAX_SNAPSHOT_FILES ?? 2_000_000, // activities/data/limits.ts DEFAULT_MAX_SNAPSHOT_FILES
      servingBackend: env.MLOPS_SERVING_BACKEND ?? 'local',
      ...(kserve ? { kserve } : {}),
      modelServer: {
        host: env.MLOPS_MODEL_SERVER_HOST ?? '127.0.0.1',
        advertiseHost: env.MLOPS_MODEL_SERVER_ADVERTISE_HOST ?? env.MLOPS_MODEL_SERVER_HOST ?? '127.0.0.1',
      },
    },
  };
}

function list(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** The folders a dataset source may lie in: MLOPS_SOURCE_ROOTS or the project folders, and a filesystem store's root. */
function sourceRootsOf(setting: string | undefined, cwd: string, pipelinesDir: string, store: StoreConfig): string[] {
  const pipelinesParent = path.dirname(pipelinesDir);
  const given = setting === undefined ? [cwd, pipelinesParent] : (list(setting) ?? []).map((p) => path.resolve(cwd, p));
  return [...new Set([...given, ...(store.kind === 'file' ? [store.root] : [])])];
}

/**
 * The gateway from MLOPS_GATEWAY_* with the dev stack's values filling gaps: none when the environment
 * sets none and the stack's entry is absent or incomplete; an issue naming the missing variables
 * when the environment sets some and the rest are not to be had.
 */
function gatewayOf(
  env: z.infer<typeof envSchema>,
  stack: Partial<GatewayConfig> = {},
): GatewayConfig | undefined | string {
  const given = {
    MLOPS_GATEWAY_URL: env.MLOPS_GATEWAY_URL ?? stack.url,
    MLOPS_GATEWAY_ADMIN_URL: env.MLOPS_GATEWAY_ADMIN_URL ?? stack.adminUrl,
    MLOPS_GATEWAY_TOKEN: env.MLOPS_GATEWAY_TOKEN ?? stack.token,
  };
  const missing = Object.entries(given).filter(([, v]) => v === undefined);
  const fromEnv = [env.MLOPS_GATEWAY_URL, env.MLOPS_GATEWAY_ADMIN_URL, env.MLOPS_GATEWAY_TOKEN].some((v) => v);
  // an incomplete stack entry (e.g. its token file is gone) on its own means no gateway, not a config error
  if (missing.length > 0 && !fromEnv) return undefined;
  const [url, adminUrl, token] = Object.values(given);
  if (url === undefined || adminUrl === undefined || token === undefined) {
    const names = missing.map(([k]) => k).join(', ');
    return `${names}: must be set too (the gateway needs MLOPS_GATEWAY_URL, MLOPS_GATEWAY_ADMIN_URL and MLOPS_GATEWAY_TOKEN)`;
  }
  return { url: url.replace(/\/+$/, ''), adminUrl: adminUrl.replace(/\/+$/, ''), token };
}

/**
 * The kserve backend's settings, or an issue: it needs a cluster (a kubeconfig, or a pod's service
 * account) and a store KServe's storage initializer can read (not a filesystem store).
 */
function kserveOf(env: z.infer<typeof envSchema>, cwd: string, store: StoreConfig): KServeConfig | undefined | string {
  if (env.MLOPS_SERVING_BACKEND !== 'kserve') return undefined;
  const kubeconfigSetting =
    env.MLOPS_KUBECONFIG !== undefined || env.KUBECONFIG === undefined ? 'MLOPS_KUBECONFIG' : 'KUBECONFIG';
  const file = env.MLOPS_KUBECONFIG ?? env.KUBECONFIG;
  if (file === undefined && env.KUBERNETES_SERVICE_HOST === undefined) {
    return 'MLOPS_KUBECONFIG: the kserve serving backend needs a Kubernetes API: set MLOPS_KUBECONFIG (or KUBECONFIG) to a kubeconfig file, or run the worker in a pod';
  }
  if (file !== undefined && file.includes(path.delimiter)) {
    return `${kubeconfigSetting}: name one kubeconfig file (got a list)`;
  }
  if (store.kind === 'file') {
    return `MLOPS_SERVING_BACKEND: kserve serves models from the store by URI, which KServe's storage initializer cannot read from ${store.uri}: set MLOPS_STORE to s3://<bucket>/<prefix>`;
  }
  return {
    ...(file !== undefined ? { kubeconfig: path.resolve(cwd, file) } : {}),
    kubeconfigSetting,
    ...(env.MLOPS_KSERVE_NAMESPACE ? { namespace: env.MLOPS_KSERVE_NAMESPACE } : {}),
    runtime: env.MLOPS_KSERVE_RUNTIME ?? 'temporal-mlops-sklearn',
    ...(env.MLOPS_KSERVE_SERVICE_ACCOUNT ? { serviceAccount: env.MLOPS_KSERVE_SERVICE_ACCOUNT } : {}),
  };
}

/** How to reach any s3:// location: endpoint, region, addressing and credentials. */
export interface S3Settings {
  endpoint?: string;
  region: string;
  forcePathStyle?: boolean;
  accessKeyId?: string;
  secretAccessKey?: string;
}

/**
 * `uri` with any userinfo (`user:secret@`) in its authority replaced by `***@`, for messages.
 * Also masks what looks like userinfo in a URI without a scheme.
 */
export function maskUserinfo(uri: string): string {
  return uri.replace(/^((?:[a-z][a-z0-9+.-]*:\/\/)?)[^/?#]*@/i, '$1***@');
}

/**
 * Parses a store URI; returns a message (not a config) when it is not one we support. The message
 * never quotes credentials: a URI with userinfo (`s3://KEY:SECRET@bucket`) is refused with it masked.
 */
export function parseStoreUri(uri: string, cwd: string, s3: S3Settings): StoreConfig | string {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(uri)?.[1]?.toLowerCase();
  if (/^(?:[a-z][a-z0-9+.-]*:\/\/)?[^/?#]*@/i.test(uri)) {
    return (
      `${maskUserinfo(uri)}: credentials do not belong in the store URI; ` +
      'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or use an instance role) and name only s3://<bucket>/<prefix>'
    );
  }
  if (scheme === 'file') {
    const rest = uri.slice('file://'.length);
    if (rest === '') return 'file:// needs a path, e.g. file://.mlops/store';
    const root = path.resolve(cwd, rest);
    return { kind: 'file', root, uri: `file://${root}` };
  }
  if (scheme === 's3') {
    const rest = uri.slice('s3://'.length);
    const [bucket = '', ...prefixParts] = rest.split('/');
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
      return `bucket name ${JSON.stringify(bucket)} is not valid (3-63 lowercase letters, digits, dots, hyphens)`;
    }
    const prefix = prefixParts.filter((p) => p !== '').join('/');
    if (prefix.split('/').some((p) => p === '..' || p === '.')) return 'the prefix may not contain . or .. segments';
    const credentials =
      s3.accessKeyId !== undefined && s3.secretAccessKey !== undefined
        ? { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey }
        : undefined;
    return {
      kind: 's3',
      uri: `s3://${bucket}${prefix ? `/${prefix}` : ''}`,
      bucket,
      prefix,
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: s3.forcePathStyle ?? s3.endpoint !== undefined,
      credentials,
    };
  }
  return `unsupported store ${JSON.stringify(maskUserinfo(uri))}: use file://<path> or s3://<bucket>/<prefix>`;
}

function pick(raw: RawEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const value = raw[key];
    if (value !== undefined && value !== '') out[key] = value;
  }
  return out;
}
