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
  /**
   * Folders a dataset source on this machine may lie in, absolute (`MLOPS_SOURCE_ROOTS`; default:
   * the working directory and the pipelines folder's parent), plus a filesystem store's root.
   */
  sourceRoots: string[];
  /** The SSH key the CLI signs decisions with (`MLOPS_SIGNING_KEY`); absent: --key, else ~/.ssh/id_ed25519, id_ecdsa, id_rsa. */
  signingKey?: string;
  /** Limits of the gateway process (`mlops gateway`): what one client may cost it. */
  gatewayLimits: GatewayLimits;
  /** The most bytes of files one code package may hold (`MLOPS_CODE_PACKAGE_MAX_BYTES`). */
  codePackageMaxBytes: number;
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
}

const nonEmpty = z.string().trim().min(1, 'must not be empty');
const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' });
const truthy = (v: string | undefined) => (v === undefined ? undefined : ['true', '1', 'yes'].includes(v));

/** Raw environment variables the configuration reads, with their meaning. */
export const envSchema = z.object({
  MLOPS_HOME: nonEmpty.optional().describe('Folder for local state (dev stack, default store). Default: ./.mlops'),
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
  // signed decisions (approve, reject, alias and status changes, rollout promote/abort, A/B stop)
  MLOPS_SIGNING_KEY: nonEmpty
    .optional()
    .describe(
      'SSH key file the CLI signs decisions with (a private key, or the .pub of a key held by ssh-agent). Default: ~/.ssh/id_ed25519, else id_ecdsa, else id_rsa',
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
  const gateway = gatewayOf(env, stack.gateway);
  if (typeof gateway === 'string') return { ok: false, issues: [gateway] };
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
      codecServer: {
        ...(env.MLOPS_CODEC_TOKEN ? { token: env.MLOPS_CODEC_TOKEN } : {}),
        tokenFile: path.join(home, 'codec', 'token'),
        allowedOrigins: list(env.MLOPS_CODEC_ALLOWED_ORIGINS) ?? [...DEFAULT_CODEC_ORIGINS],
        allowedHosts: list(env.MLOPS_CODEC_ALLOWED_HOSTS) ?? [],
      },
      webhookEnvPrefix: env.MLOPS_WEBHOOK_ENV_PREFIX ?? 'MLOPS_WEBHOOK_',
      sourceRoots: sourceRootsOf(
        env.MLOPS_SOURCE_ROOTS,
        cwd,
        path.resolve(cwd, env.MLOPS_PIPELINES_DIR ?? 'pipelines'),
        store,
      ),
      ...(env.MLOPS_SIGNING_KEY ? { signingKey: env.MLOPS_SIGNING_KEY } : {}),
      codePackageMaxBytes: env.MLOPS_CODE_PACKAGE_MAX_BYTES ?? 50 * 1024 * 1024,
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
