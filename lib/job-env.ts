/**
 * The environment of a process the worker starts for a pipeline's code (a training, evaluation or
 * step job; a model server): never the worker's own, which holds its secrets (TEMPORAL_API_KEY,
 * MLOPS_CODEC_KEYS, MLOPS_GATEWAY_TOKEN, the store's AWS_* credentials, webhook URLs), but an
 * allow-list of it — what a program needs to find its tools, its home, its locale and its
 * temporary folder, and the Python venv the worker runs it with — then the spec's own variables
 * (`training.env`), then the job's contract variables (MLOPS_DATA_DIR, MLOPS_OUTPUT_DIR, …).
 *
 * No store credentials: the backends stage a job's inputs and upload its outputs themselves (the
 * Ray runner does so with credentials it keeps from the command), so a job needs no store access.
 */

/** Variables of the worker's environment a job inherits; nothing else of it does. */
const INHERITED = new Set([
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'TZ',
  'TMPDIR',
  'TEMP',
  'TMP',
  // the Python the worker runs jobs with
  'VIRTUAL_ENV',
  'PYTHONPATH',
  'PYTHONHOME',
  // which accelerators this host gives its jobs
  'CUDA_VISIBLE_DEVICES',
  'NVIDIA_VISIBLE_DEVICES',
]);
/** Prefixes of inherited names: the locale categories (LC_ALL, LC_CTYPE, …). */
const INHERITED_PREFIXES = ['LC_'];

export interface JobEnvironmentInput {
  /** The spec's own variables for the job (`training.env`): the author's, passed as given. */
  own?: Readonly<Record<string, string>>;
  /** The job's contract variables (MLOPS_*), set by the backend; they win over `own`. */
  contract?: Readonly<Record<string, string>>;
  /** The worker's environment the allow-list is taken from. @default process.env */
  from?: Readonly<Record<string, string | undefined>>;
}

/** A job's whole environment: the allow-listed part of the worker's, then `own`, then `contract`. */
export function jobEnvironment({
  own = {},
  contract = {},
  from = process.env,
}: JobEnvironmentInput): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(from)) {
    if (value !== undefined && isInherited(name)) env[name] = value;
  }
  return { ...env, ...own, ...contract };
}

/** Whether a job inherits the worker's variable `name`. */
export function isInherited(name: string): boolean {
  return INHERITED.has(name) || INHERITED_PREFIXES.some((prefix) => name.startsWith(prefix));
}
