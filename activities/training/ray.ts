/**
 * `RayJobsBackend`: runs each job as a Ray job through a Ray head's Jobs REST API
 * (./ray-client.ts). Ray keeps the job's state, so a restarted worker re-attaches from the job id
 * alone.
 *
 * - Idempotency: the submission id is `ray-` + a prefix of sha256(idempotency key). A submit that
 *   finds the id on the head attaches; two racing submits are settled by the head, which refuses a
 *   second job under an existing submission id (the loser then finds it and attaches).
 * - Code: the job's code package (`codePackage`: the very archive in the store, verified first) or
 *   its codeDir (archived the same way) is uploaded as a Ray package (./ray-package.ts) and used as
 *   `runtime_env.working_dir`; the project's runner goes in `py_modules`; nothing is installed at job
 *   time, and a package the head already holds is not uploaded again.
 * - Data: the job reads the input snapshot (MLOPS_DATA_URI, the manifest's URI) and writes its
 *   outputs (MLOPS_OUTPUT_URI = `<store>/<outputPrefix>/output`) itself; `result` then records the
 *   log, the metric stream and `result.json` under the output prefix, like the local backend. A
 *   job's `modelUri` travels as MLOPS_MODEL_URI; the runner downloads it into MLOPS_MODEL_DIR. Named
 *   inputs travel as MLOPS_INPUTS (JSON: each name with its manifest's or model folder's URI); the
 *   runner materializes each into `inputs/<name>/` of its work folder and sets MLOPS_INPUT_<NAME>.
 * - Status: PENDING → pending, RUNNING → running, SUCCEEDED → succeeded, STOPPED → cancelled (or
 *   failed `timeout` when this backend stopped it for its limit), FAILED → failed with the command's
 *   exit code when the command itself failed; failures of Ray's machinery and a job the head no
 *   longer knows (e.g. a restarted head) are failed with no exit code: lost, so the activity retries.
 * - `timeoutSeconds` counts from the submission (Ray's `start_time`, so runtime env setup counts);
 *   the limit travels in the submission's metadata, so any worker enforces it. Ray acts on a stop
 *   once the job's supervisor runs: a job pending for resources Ray lacks stays pending until then.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:os';
import { datasetKeys, resolveSnapshotId } from '../data';
import type { BlobStore } from '../storage/types';
import { TrainingJobNotFoundError, TrainingJobNotSucceededError } from '../../common/failures';
import { finalMetrics, readResultMarker, writeResultMarker } from './outputs';
import { RayHeadError, RayJobsClient, type RayJobInfo, type RaySubmitRequest } from './ray-client';
import { rayJobEnv, type RayJobInput } from './ray-env';
import { modelPrefixOf } from './job-inputs';
import { logTextFrom, metricPointsFrom, metricStream, tailOf, withoutMetricLines } from './ray-log';
import { buildPackage, runnerPackage, RUNNER_MODULE, storedPackage, type RayPackage } from './ray-package';
import { jobModelPrefix, validateJob, validateKey } from './validate-job';
import type { JobResult, JobStatus, MetricPoint, TrainingBackend, TrainingJob, TrainingJobInput } from './types';
import { NotFoundError } from '../../common/failures';
import { redact, secretValues } from '../../lib/redact';

export interface RayJobsDeps {
  /** The Ray head's dashboard address, e.g. `http://127.0.0.1:8265` (MLOPS_RAY_ADDRESS). */
  address: string;
  store: BlobStore;
  /** Store settings the job needs to reach `store` itself (./ray-env.ts `rayStoreEnv`). @default {} */
  storeEnv?: Record<string, string>;
  /** The worker's source roots: a job's `codeDir` (packaged for the head) must lie in one of them. @default no check */
  codeRoots?: readonly string[];
  /** The size limit of a package built from a `codeDir` (MLOPS_CODE_PACKAGE_MAX_BYTES). @default 50 MiB */
  codePackageMaxBytes?: number;
  /** Secret values redacted from the job's log before it is stored (lib/redact.ts). @default secretValues(process.env) */
  secrets?: readonly string[];
  /** Timeout of one request to the head. @default 30_000 */
  requestTimeoutMs?: number;
}

/** Every submission id this backend makes starts with this. */
export const RAY_JOB_ID_PREFIX = 'ray-';
const RAY_JOB_ID = /^ray-[0-9a-f]{24}$/;
/** Log lines quoted in a failed job's `reason`. */
const TAIL_LINES = 20;
/** Metadata keys of a submission (values are strings, as Ray requires). */
const META = { name: 'mlops_job', prefix: 'mlops_output_prefix', timeout: 'mlops_timeout_seconds' } as const;

/** The submission id for an idempotency key. */
export function rayJobIdOf(idempotencyKey: string): string {
  return `${RAY_JOB_ID_PREFIX}${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 24)}`;
}

export class RayJobsBackend implements TrainingBackend {
  private readonly client: RayJobsClient;

  constructor(private readonly deps: RayJobsDeps) {
    this.client = new RayJobsClient(deps.address, deps.requestTimeoutMs);
  }

  /** Submits the job (see the module comment), or attaches to the one submitted under the same key. */
  async submit(job: TrainingJob, idempotencyKey: string): Promise<{ jobId: string; attached: boolean }> {
    validateKey(idempotencyKey);
    await validateJob(job, { storeUri: this.deps.store.uri, codeRoots: this.deps.codeRoots });
    const jobId = rayJobIdOf(idempotencyKey);
    if (await this.client.job(jobId)) return { jobId, attached: true };
    const request = await this.request(job, jobId);
    try {
      await this.client.submit(request);
    } catch (error) {
      // refused because another submit under the same key got there first: attach to it
      if (error instanceof RayHeadError && (await this.client.job(jobId))) return { jobId, attached: true };
      throw error;
    }
    return { jobId, attached: false };
  }

  /** The job's state as the head reports it; stops a job past its `timeoutSeconds`. */
  async status(jobId: string): Promise<JobStatus> {
    const info = await this.client.job(this.checked(jobId));
    if (!info) {
      const reason = 'the Ray head no longer knows the job (was it restarted?)';
      return { state: 'failed', exitCode: null, reason, endedAt: new Date().toISOString() };
    }
    const startedAt = isoTime(info.start_time);
    const limit = Number(info.metadata?.[META.timeout] ?? Number.NaN);
    const overdue = (at: number) =>
      limit > 0 && typeof info.start_time === 'number' && at - info.start_time >= limit * 1000;
    switch (info.status) {
      case 'PENDING':
      case 'RUNNING':
        if (overdue(Date.now())) {
          await this.client.stop(jobId);
          return this.timedOut(jobId);
        }
        return info.status === 'PENDING' ? { state: 'pending' } : { state: 'running', startedAt };
      case 'SUCCEEDED':
        return { state: 'succeeded', exitCode: 0, endedAt: isoTime(info.end_time) };
      case 'STOPPED':
        if (overdue(info.end_time ?? Date.now())) return this.timedOut(jobId, info.end_time);
        return { state: 'cancelled', endedAt: isoTime(info.end_time) };
      case 'FAILED':
        return this.failed(jobId, info);
      default:
        throw new Error(`Ray head reported job ${jobId} in unknown state ${JSON.stringify(info.status)}`);
    }
  }

  /** Log text from byte offset `since` of the job's Ray log, metric lines left out. */
  async logs(jobId: string, since = 0): Promise<{ text: string; next: number }> {
    return logTextFrom(await this.log(jobId), since);
  }

  /** Metric points the runner echoed into the job's Ray log, from byte offset `since`. */
  async metrics(jobId: string, since = 0): Promise<{ points: MetricPoint[]; next: number }> {
    return metricPointsFrom(await this.log(jobId), since);
  }

  /** Asks the head to stop the job; a finished or unknown job stays as it is. */
  async cancel(jobId: string): Promise<void> {
    await this.client.stop(this.checked(jobId));
  }

  /** Records the log, metric stream and `result.json` of a succeeded job (once); the job uploaded its outputs. */
  async result(jobId: string): Promise<JobResult> {
    const status = await this.status(jobId);
    if (status.state !== 'succeeded') throw new TrainingJobNotSucceededError(jobId, status.state);
    const info = await this.client.job(jobId);
    const prefix = info?.metadata?.[META.prefix];
    if (!prefix) throw new TrainingJobNotFoundError(jobId);
    const { store } = this.deps;
    const existing = await readResultMarker(store, prefix);
    if (existing) return existing;
    const log = (await this.client.logs(jobId)) ?? '';
    const secrets = this.deps.secrets ?? secretValues(process.env);
    await store.put(`${prefix}/logs/job.log`, redact(withoutMetricLines(log), secrets), { contentType: 'text/plain' });
    const stream = metricStream(log);
    if (stream !== '') await store.put(`${prefix}/metrics.ndjson`, stream, { contentType: 'application/x-ndjson' });
    const metrics = finalMetrics(await readJsonObject(store, `${prefix}/output/metrics.json`));
    return writeResultMarker(store, prefix, { outputUri: this.outputUri(prefix), metrics });
  }

  /** The submit request: package uploaded (unless the head has it), data resolved, env and resources set. */
  private async request(job: TrainingJob, jobId: string): Promise<RaySubmitRequest> {
    const prefix = job.outputPrefix.replace(/\/+$/, '');
    let dataUri: string | undefined;
    if (job.input) {
      const id = await resolveSnapshotId(this.deps.store, job.input.dataset, job.input.snapshot);
      dataUri = `${this.storeRoot}/${datasetKeys.manifest(job.input.dataset, id)}`;
    }
    const modelUri =
      job.modelUri === undefined ? undefined : `${this.storeRoot}/${jobModelPrefix(job.modelUri, this.storeRoot)}`;
    const inputs = await this.inputUris(job.inputs ?? []);
    const code = await this.codePackage(job);
    const runner = await runnerPackage();
    await this.ensurePackage(runner);
    const storeEnv = this.deps.storeEnv ?? {};
    const metadata: Record<string, string> = { [META.name]: job.name, [META.prefix]: prefix };
    if (job.timeoutSeconds !== undefined) metadata[META.timeout] = String(job.timeoutSeconds);
    const { cpu, gpus, memoryMb } = job.resources ?? {};
    return {
      entrypoint: `python -m ${RUNNER_MODULE}`,
      submission_id: jobId,
      runtime_env: {
        working_dir: `gcs://${code}`,
        py_modules: [`gcs://${runner.name}`],
        env_vars: rayJobEnv({ job, jobId, storeEnv, outputUri: this.outputUri(prefix), dataUri, modelUri, inputs }),
      },
      metadata,
      ...(cpu !== undefined ? { entrypoint_num_cpus: cpu } : {}),
      ...(gpus !== undefined ? { entrypoint_num_gpus: gpus } : {}),
      ...(memoryMb !== undefined ? { entrypoint_memory: Math.round(memoryMb * 1024 * 1024) } : {}),
    };
  }

  /** The head's name of the job's code, uploaded unless the head holds it. */
  private async codePackage(job: TrainingJob): Promise<string> {
    const has = (name: string) => this.client.hasPackage(name);
    if (job.codePackage) {
      const pkg = await storedPackage(this.deps.store, job.codePackage.digest, has);
      if (pkg.zip) await this.client.uploadPackage(pkg.name, pkg.zip);
      return pkg.name;
    }
    const pkg = await buildPackage(job.codeDir!, this.deps.codePackageMaxBytes);
    await this.ensurePackage(pkg);
    return pkg.name;
  }

  private async ensurePackage(pkg: RayPackage): Promise<void> {
    if (!(await this.client.hasPackage(pkg.name))) await this.client.uploadPackage(pkg.name, pkg.zip);
  }

  /** Where the runner reads each named input: a snapshot's manifest (id resolved now) or a model folder. */
  private async inputUris(inputs: readonly TrainingJobInput[]): Promise<RayJobInput[]> {
    const out: RayJobInput[] = [];
    for (const [i, input] of inputs.entries()) {
      if (input.snapshot) {
        const { dataset, snapshot } = input.snapshot;
        const id = await resolveSnapshotId(this.deps.store, dataset, snapshot);
        out.push({ name: input.name, manifestUri: `${this.storeRoot}/${datasetKeys.manifest(dataset, id)}` });
      } else {
        const prefix = modelPrefixOf(input.modelUri!, this.storeRoot, `inputs[${i}].modelUri`);
        out.push({ name: input.name, modelUri: `${this.storeRoot}/${prefix}` });
      }
    }
    return out;
  }

  /** A FAILED job: the command's own failure (an exit code), or lost to Ray's machinery (none). */
  private async failed(jobId: string, info: RayJobInfo): Promise<JobStatus> {
    const endedAt = isoTime(info.end_time);
    const tail = await this.logTail(jobId);
    const code = commandExitCode(info);
    if (code === undefined) {
      const what = `${info.error_type ?? 'Ray job failed'}: ${firstLine(info.message ?? '')}`;
      return { state: 'failed', exitCode: null, reason: `${what}${tail}`, endedAt };
    }
    const signal = code > 128 ? signalName(code - 128) : undefined;
    const what = signal ? `killed by ${signal} (exit code ${code})` : `exit code ${code}`;
    return { state: 'failed', exitCode: code, ...(signal ? { signal } : {}), reason: `${what}${tail}`, endedAt };
  }

  private async timedOut(jobId: string, endedAtMs?: number | null): Promise<JobStatus> {
    const reason = `timeout${await this.logTail(jobId)}`;
    return { state: 'failed', exitCode: null, reason, endedAt: isoTime(endedAtMs ?? Date.now()) };
  }

  private async logTail(jobId: string): Promise<string> {
    const tail = tailOf((await this.client.logs(jobId)) ?? '', TAIL_LINES);
    return tail ? `\nlast log lines:\n${tail}` : '';
  }

  /** The job's whole Ray log as bytes (empty when the head has none). */
  private async log(jobId: string): Promise<Buffer> {
    return Buffer.from((await this.client.logs(this.checked(jobId))) ?? '', 'utf8');
  }

  private outputUri(prefix: string): string {
    return `${this.storeRoot}/${prefix}/output`;
  }

  private get storeRoot(): string {
    return this.deps.store.uri.replace(/\/+$/, '');
  }

  private checked(jobId: string): string {
    if (typeof jobId !== 'string' || !RAY_JOB_ID.test(jobId)) throw new TrainingJobNotFoundError(String(jobId));
    return jobId;
  }
}

/** The entrypoint's exit code when the command itself failed (as opposed to Ray's machinery). */
function commandExitCode(info: RayJobInfo): number | undefined {
  if (info.error_type !== 'JOB_ENTRYPOINT_COMMAND_ERROR') return undefined;
  if (typeof info.driver_exit_code === 'number') {
    return info.driver_exit_code < 0 ? 128 - info.driver_exit_code : info.driver_exit_code;
  }
  const parsed = /exit code (-?\d+)/.exec(info.message ?? '')?.[1];
  return parsed === undefined ? undefined : Number(parsed);
}

async function readJsonObject(store: BlobStore, key: string): Promise<unknown> {
  try {
    return JSON.parse((await store.getBytes(key)).toString('utf8')) as unknown;
  } catch (error) {
    if (error instanceof NotFoundError || error instanceof SyntaxError) return undefined;
    throw error;
  }
}

function isoTime(ms: number | null | undefined): string {
  return new Date(typeof ms === 'number' ? ms : Date.now()).toISOString();
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.slice(0, 500);
}

function signalName(n: number): string | undefined {
  return Object.entries(constants.signals).find(([, value]) => value === n)?.[0];
}
