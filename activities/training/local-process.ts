/**
 * `LocalProcessBackend`: runs each job as a detached local process group under
 * `<workRoot>/<jobId>/` (layout: ./job-files.ts), so jobs outlive the worker and a restarted worker
 * (a new instance over the same `workRoot`) re-attaches to them from the files alone.
 *
 * - Idempotency: the job id is a prefix of sha256(idempotency key); `mkdir` of the job folder is the
 *   guard (EEXIST → attached). A launch whose submitter died before the process started is taken
 *   over by the next `submit` (the folder is renamed away atomically, so only one submitter wins).
 * - The command runs with cwd = `job.codeDir` (not a copy: jobs must write only to
 *   MLOPS_OUTPUT_DIR), or, for a job with a `codePackage`, `code/` of the job folder: a working copy
 *   (hard links) of the package as materialized, verified, once per digest in the host's code cache
 *   (`codeCacheDir`; activities/code/materialize.ts), whose files are read-only. The env is = the allow-listed part of the worker's (lib/job-env.ts: PATH, HOME,
 *   locale, TMPDIR, the venv; never its secrets) + `job.env` + MLOPS_PARAMS (JSON), MLOPS_DATA_DIR,
 *   MLOPS_OUTPUT_DIR, MLOPS_METRICS_FILE, MLOPS_JOB_ID, and MLOPS_MODEL_DIR when the job has a
 *   `modelUri` (downloaded into `model/` before launch), and MLOPS_INPUT_<NAME> for each named input
 *   (materialized into `inputs/<name>/` before launch). A leading `python` becomes `deps.python`.
 *   The backend reads and writes the store itself, so the job gets no store credentials.
 * - `status` reads, in order: outcome.json (cancelled / timeout / vanished), exit-status, then
 *   whether the recorded process is still ours (pid + start time); `timeoutSeconds` is enforced
 *   there. Exit statuses above 128 are reported with the signal they encode.
 */
import { randomUUID } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { constants } from 'node:os';
import { materializeSnapshot } from '../data';
import type { BlobStore } from '../storage/types';
import {
  InvalidArgumentError,
  InvalidTrainingJobError,
  TrainingJobNotFoundError,
  TrainingJobNotSucceededError,
} from '../../common/failures';
import { materializeCode, workingCopy } from '../code/materialize';
import { isJobId, jobIdOf, jobPaths, type JobPaths, type JobRecord, type Outcome } from './job-files';
import { readJson, readText, tailLines, writeJsonAtomic, writeJsonExclusive } from '../../lib/files';
import { recordLaunchedPid, type PidRecord } from '../../lib/processes/pid-file';
import { findLaunched, launchDetached } from './launch';
import { downloadModel, InvalidModelFolderError } from '../models/model-files';
import { groupExists, isSameProcess, killGroup, processStartTime } from '../../lib/processes/process-group';
import { uploadOutputs } from './outputs';
import { readLogText, readMetricPoints } from './stream-reads';
import { jobModelPrefix, validateJob, validateKey } from './validate-job';
import { materializeInputs } from './job-inputs';
import { jobEnvironment } from '../../lib/job-env';
import { secretValues } from '../../lib/redact';
import type { JobStatus, MetricPoint, TrainingBackend, TrainingJob } from './types';

export interface LocalProcessDeps {
  store: BlobStore;
  /** Folder holding one sub-folder per job, e.g. `<MLOPS_HOME>/jobs`. */
  workRoot: string;
  /** Interpreter used for a command starting with `python`. @default 'python' (from PATH) */
  python?: string;
  /** Time between SIGTERM and SIGKILL on cancel or timeout. @default 10_000 */
  killGraceMs?: number;
  /** Where code packages are materialized, one folder per digest. @default `<workRoot>/code` */
  codeCacheDir?: string;
  /** The worker's source roots: a job's `codeDir` must lie in one of them. @default no check */
  codeRoots?: readonly string[];
  /** Secret values redacted from the job's log before it is stored (lib/redact.ts). @default secretValues(workerEnv) */
  secrets?: readonly string[];
  /** The worker's environment, of which a job gets only the allow-listed part (lib/job-env.ts). @default process.env */
  workerEnv?: Readonly<Record<string, string | undefined>>;
}

/** Log lines quoted in a failed job's `reason`. */
const TAIL_LINES = 20;

export class LocalProcessBackend implements TrainingBackend {
  constructor(private readonly deps: LocalProcessDeps) {}

  /** Starts the job (see the module comment), or attaches to the one started under the same key. */
  async submit(job: TrainingJob, idempotencyKey: string): Promise<{ jobId: string; attached: boolean }> {
    validateKey(idempotencyKey);
    await validateJob(job, { storeUri: this.deps.store.uri, codeRoots: this.deps.codeRoots });
    const jobId = jobIdOf(idempotencyKey);
    const paths = jobPaths(this.deps.workRoot, jobId);
    await fs.mkdir(this.deps.workRoot, { recursive: true });
    const submitter = { pid: process.pid, startTime: (await processStartTime(process.pid)) ?? null };
    const record: JobRecord = { jobId, idempotencyKey, job, createdAt: new Date().toISOString(), submitter };
    if (!(await this.claim(paths, record))) {
      if (!(await this.launchAbandoned(paths))) return { jobId, attached: true };
      await this.takeOver(paths);
      return this.submit(job, idempotencyKey);
    }
    let env: Record<string, string>;
    let cwd: string;
    try {
      env = await this.prepare(job, jobId, paths);
      cwd = await this.codeFolder(job, paths);
    } catch (error) {
      // nothing started: clear the folder so a retry submits afresh
      await fs.rm(paths.dir, { recursive: true, force: true });
      throw error;
    }
    await this.start(job, paths, env, cwd);
    return { jobId, attached: false };
  }

  /** The job's state; may decide a terminal state (timeout, process vanished) and record it. */
  async status(jobId: string): Promise<JobStatus> {
    const paths = await this.existing(jobId);
    const outcome = await readJson<Outcome>(paths.outcome);
    if (outcome) return this.fromOutcome(paths, outcome);
    const exited = await this.fromExitStatus(paths);
    if (exited) return exited;
    const rec = await readJson<PidRecord>(paths.pid);
    if (!rec) {
      if (!(await this.launchAbandoned(paths))) return { state: 'pending' };
      // not recorded: the next submit under the same key takes the folder over and launches afresh
      return { state: 'failed', exitCode: null, reason: 'launch interrupted', endedAt: new Date().toISOString() };
    }
    if (await isSameProcess(rec.pid, rec.startTime)) {
      const job = (await readJson<JobRecord>(paths.job))?.job;
      const limit = job?.timeoutSeconds;
      if (limit !== undefined && Date.now() - Date.parse(rec.startedAt) > limit * 1000) {
        return this.decide(paths, 'timeout');
      }
      return { state: 'running', pid: rec.pid, startedAt: rec.startedAt };
    }
    // the wrapper may have written exit-status between the two reads above
    return (await this.fromExitStatus(paths)) ?? this.decide(paths, 'process vanished');
  }

  /** Log text from byte offset `since`, cut at a whole UTF-8 character. */
  async logs(jobId: string, since = 0): Promise<{ text: string; next: number }> {
    return readLogText((await this.existing(jobId)).log, since);
  }

  /** Complete metric lines from byte offset `since`; malformed lines are skipped. */
  async metrics(jobId: string, since = 0): Promise<{ points: MetricPoint[]; next: number }> {
    return readMetricPoints((await this.existing(jobId)).metrics, since);
  }

  /** Kills the job's process group and records it cancelled; no-op once the job has ended. */
  async cancel(jobId: string): Promise<void> {
    const paths = await this.existing(jobId);
    await this.terminate(paths, { state: 'cancelled', endedAt: new Date().toISOString() });
  }

  /** Uploads the outputs of a succeeded job (once) and returns their URI and the final metrics. */
  async result(jobId: string): Promise<{ outputUri: string; metrics: Record<string, number> }> {
    const status = await this.status(jobId);
    if (status.state !== 'succeeded') throw new TrainingJobNotSucceededError(jobId, status.state);
    const paths = jobPaths(this.deps.workRoot, jobId);
    const rec = await readJson<JobRecord>(paths.job);
    if (!rec) throw new TrainingJobNotFoundError(jobId);
    return uploadOutputs(
      this.deps.store,
      paths,
      rec.job.outputPrefix.replace(/\/+$/, ''),
      this.deps.secrets ?? secretValues(this.deps.workerEnv ?? process.env),
    );
  }

  /**
   * Creates the job folder holding job.json (with the submitter's identity), atomically: the folder is
   * filled under a private name and renamed into place, so no one ever sees a job folder without
   * its record (a submitter killed in between would leave one that nobody could judge). False when
   * the folder already exists.
   */
  private async claim(paths: JobPaths, record: JobRecord): Promise<boolean> {
    const staging = `${paths.dir}.claim-${randomUUID().slice(0, 8)}`;
    await fs.mkdir(staging);
    try {
      await writeJsonAtomic(path.join(staging, path.basename(paths.job)), record);
      await fs.rename(staging, paths.dir);
      return true;
    } catch (error) {
      await fs.rm(staging, { recursive: true, force: true });
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
      throw error;
    }
  }

  /** Makes the data (input snapshot), model, named inputs and output folders; returns the job's environment. */
  private async prepare(job: TrainingJob, jobId: string, paths: JobPaths): Promise<Record<string, string>> {
    await fs.mkdir(paths.data);
    await fs.mkdir(paths.output);
    if (job.input) {
      await materializeSnapshot(this.deps.store, {
        dataset: job.input.dataset,
        id: job.input.snapshot,
        dir: paths.data,
      });
    }
    if (job.modelUri !== undefined) {
      await downloadModel(this.deps.store, jobModelPrefix(job.modelUri, this.deps.store.uri), paths.model).catch(
        (error: unknown) => {
          if (error instanceof InvalidModelFolderError) throw new InvalidTrainingJobError('modelUri', error.problem);
          throw error;
        },
      );
    }
    const inputs = await materializeInputs(this.deps.store, job.inputs ?? [], paths.inputs);
    return jobEnvironment({
      from: this.deps.workerEnv ?? process.env,
      own: job.env,
      contract: {
        ...inputs,
        MLOPS_PARAMS: JSON.stringify(job.params),
        MLOPS_DATA_DIR: paths.data,
        MLOPS_OUTPUT_DIR: paths.output,
        MLOPS_METRICS_FILE: paths.metrics,
        MLOPS_JOB_ID: jobId,
        ...(job.modelUri !== undefined && { MLOPS_MODEL_DIR: paths.model }),
      },
    });
  }

  /** The folder the job runs in: its codeDir, or a working copy of its code package materialized on this host. */
  private async codeFolder(job: TrainingJob, paths: JobPaths): Promise<string> {
    if (!job.codePackage) return job.codeDir!;
    const cache = this.deps.codeCacheDir ?? path.join(this.deps.workRoot, 'code');
    try {
      const { dir } = await materializeCode(this.deps.store, job.codePackage.digest, cache);
      await workingCopy(dir, paths.code);
      return paths.code;
    } catch (error) {
      if (error instanceof InvalidArgumentError) {
        throw new InvalidTrainingJobError('codePackage.digest', error.message.slice(`${error.field}: `.length));
      }
      throw error;
    }
  }

  /** Launches the command and records its pid; if the pid cannot be recorded, stops it and clears the folder. */
  private async start(job: TrainingJob, paths: JobPaths, env: Record<string, string>, cwd: string): Promise<void> {
    const [program, ...args] = job.command;
    const command = [program === 'python' && this.deps.python ? this.deps.python : program!, ...args];
    const pid = await launchDetached({ paths, command, cwd, env }).catch(async (error: unknown) => {
      await fs.rm(paths.dir, { recursive: true, force: true });
      throw error;
    });
    await recordLaunchedPid(paths.pid, pid).catch(async (error: unknown) => {
      await fs.rm(paths.dir, { recursive: true, force: true });
      throw error;
    });
    // cancelled while launching: the canceller found no pid to kill
    if (await readJson<Outcome>(paths.outcome)) await killGroup(pid, this.grace);
  }

  /**
   * Whether the job folder's launch was abandoned: no pid, and its submitter is gone. A submitter
   * killed after starting the process but before recording its pid left the job running: that
   * process is found by its command line and adopted (its pid recorded), so no second one starts.
   */
  private async launchAbandoned(paths: JobPaths): Promise<boolean> {
    if (await readJson<PidRecord>(paths.pid)) return false;
    const rec = await readJson<JobRecord>(paths.job);
    if (!rec || (await isSameProcess(rec.submitter.pid, rec.submitter.startTime))) return false;
    const orphan = await findLaunched(paths);
    if (orphan) {
      const startTime = (await processStartTime(orphan)) ?? null;
      await writeJsonExclusive(paths.pid, { pid: orphan, pgid: orphan, startTime, startedAt: rec.createdAt });
      return false;
    }
    return (await readJson<PidRecord>(paths.pid)) === undefined;
  }

  /** Renames an abandoned job folder away (one concurrent caller wins; the others find it gone) and removes it. */
  private async takeOver(paths: JobPaths): Promise<void> {
    const trash = `${paths.dir}.abandoned-${randomUUID().slice(0, 8)}`;
    try {
      await fs.rename(paths.dir, trash);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    await fs.rm(trash, { recursive: true, force: true });
  }

  /** Records a failure the backend decided (stopping the process if needed) and reports it. */
  private async decide(paths: JobPaths, reason: 'timeout' | 'process vanished') {
    await this.terminate(paths, { state: 'failed', reason, endedAt: new Date().toISOString() });
    return this.status(jobIdFrom(paths));
  }

  /** Writes `outcome` (first one wins) and kills the process group, unless the job already exited. */
  private async terminate(paths: JobPaths, outcome: Outcome): Promise<void> {
    if ((await readText(paths.exitStatus)) !== undefined) return;
    await writeJsonExclusive(paths.outcome, outcome);
    const rec = await readJson<PidRecord>(paths.pid);
    // a gone leader whose group still exists is still ours: a live group's id is never reused
    if (rec && ((await isSameProcess(rec.pid, rec.startTime)) || (await groupExists(rec.pgid)))) {
      await killGroup(rec.pgid, this.grace);
    }
  }

  private async fromOutcome(paths: JobPaths, outcome: Outcome): Promise<JobStatus> {
    if (outcome.state === 'cancelled') return outcome;
    const reason = `${outcome.reason}${await this.logTail(paths)}`;
    return { state: 'failed', exitCode: null, reason, endedAt: outcome.endedAt };
  }

  private async fromExitStatus(paths: JobPaths): Promise<JobStatus | undefined> {
    const text = await readText(paths.exitStatus);
    if (text === undefined) return undefined;
    const endedAt = (await fs.stat(paths.exitStatus)).mtime.toISOString();
    const exitCode = Number.parseInt(text.trim(), 10);
    if (exitCode === 0) {
      // when the process started: with `endedAt`, the job's own run time (bench/pipeline.bench.ts)
      const startedAt = (await readJson<PidRecord>(paths.pid))?.startedAt;
      return { state: 'succeeded', exitCode: 0, endedAt, ...(startedAt !== undefined && { startedAt }) };
    }
    const signal = exitCode > 128 ? signalName(exitCode - 128) : undefined;
    const what = signal ? `killed by ${signal} (exit code ${exitCode})` : `exit code ${exitCode}`;
    const reason = `${what}${await this.logTail(paths)}`;
    return { state: 'failed', exitCode, ...(signal ? { signal } : {}), reason, endedAt };
  }

  private async logTail(paths: JobPaths): Promise<string> {
    const tail = await tailLines(paths.log, TAIL_LINES);
    return tail ? `\nlast log lines:\n${tail}` : '';
  }

  /** Resolves when the job's folder changes (it ended, or was cancelled), after `timeoutMs`, or on abort. */
  async waitForChange(jobId: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const paths = await this.existing(jobId);
    await new Promise<void>((resolve) => {
      let watcher: FSWatcher | undefined;
      const done = () => {
        clearTimeout(timer);
        watcher?.close();
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal?.addEventListener('abort', done, { once: true });
      try {
        watcher = watch(paths.dir, (_event, file) => {
          if (file === 'exit-status' || file === 'outcome.json') done();
        });
        watcher.on('error', done);
      } catch {
        // no watch support here: the timeout alone paces the caller
      }
      // the job may have ended between the caller's last look and the watch starting
      void Promise.all([exists(paths.exitStatus), exists(paths.outcome)]).then(([a, b]) => {
        if (a || b) done();
      });
    });
  }

  private async existing(jobId: string): Promise<JobPaths> {
    if (!isJobId(jobId)) throw new TrainingJobNotFoundError(String(jobId));
    const paths = jobPaths(this.deps.workRoot, jobId);
    const found = await fs.stat(paths.dir).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!found) throw new TrainingJobNotFoundError(jobId);
    return paths;
  }

  private get grace(): number {
    return this.deps.killGraceMs ?? 10_000;
  }
}

function jobIdFrom(paths: JobPaths): string {
  return paths.dir.slice(paths.dir.lastIndexOf('/') + 1);
}

function signalName(n: number): string | undefined {
  return Object.entries(constants.signals).find(([, value]) => value === n)?.[0];
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}
