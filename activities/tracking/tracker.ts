/** `ExperimentTracker`: runs and trials with params, final metrics, metric streams, logs, tags and artifacts. */
import type { BlobStore, Body } from '../storage/types';
import { jsonBody, listKeys, mapLimit, readJson } from '../storage/json';
import { ChunkStreams } from './chunks';
import { InvalidArgumentError, RunNotFoundError, TrialNotFoundError } from '../../common/failures';
import { updateRecord } from './json-records';
import { experimentKeys } from './keys';
import { decodePoints, encodePoints } from './metric-lines';
import { runKeyOf } from './run-keys';
import { orderTrials } from './trial-order';
import type {
  ArtifactRef,
  ChunkWritten,
  ExperimentRun,
  FinishTrialOptions,
  ListTrialsOptions,
  LogOptions,
  MetricInput,
  MetricPoint,
  RunStatus,
  StartRunInput,
  StartTrialInput,
  Trial,
} from './types';
import * as check from './validate';

const READ_CONCURRENCY = 16;
const JSON_TYPE = { contentType: 'application/json' };

/** Experiment tracking on a `BlobStore`; every call is safe to retry and to run concurrently. */
export class ExperimentTracker {
  private readonly streams: ChunkStreams;
  private readonly knownTrials = new Set<string>();

  constructor(private readonly store: BlobStore) {
    this.streams = new ChunkStreams(store);
  }

  /** Starts a run (status `running`); a run already started is returned as stored. */
  async startRun(input: StartRunInput): Promise<ExperimentRun> {
    const pipeline = check.validPipeline(input?.pipeline);
    const run = check.validRun(input.run);
    const record: ExperimentRun = {
      pipeline,
      run,
      runKey: runKeyOf(run),
      params: check.validParams(input.params),
      tags: check.validTags(input.tags),
      status: 'running',
      startedAt: new Date().toISOString(),
    };
    const key = experimentKeys.run(pipeline, run);
    const created = (await this.store.putIfAbsent(key, jsonBody(record), JSON_TYPE)).created;
    const stored = created ? record : await this.getRun(pipeline, run);
    await this.store.putIfAbsent(
      experimentKeys.runIndex(pipeline, run),
      jsonBody({ run, startedAt: stored.startedAt }),
    );
    return stored;
  }

  /** Ends a run with `status`; a run already ended is returned unchanged. */
  async finishRun(pipeline: string, run: string, status: RunStatus): Promise<ExperimentRun> {
    check.validPipeline(pipeline);
    check.validRun(run);
    const final = check.validStatus(status, 'status', true);
    return updateRecord<ExperimentRun>(
      this.store,
      experimentKeys.run(pipeline, run),
      (current) => (current.endedAt ? undefined : { ...current, status: final, endedAt: new Date().toISOString() }),
      () => new RunNotFoundError(pipeline, run),
    );
  }

  /** One run; throws `RunNotFoundError` when it was never started. */
  async getRun(pipeline: string, run: string): Promise<ExperimentRun> {
    const record = await readJson<ExperimentRun>(
      this.store,
      experimentKeys.run(check.validPipeline(pipeline), check.validRun(run)),
    );
    if (!record) throw new RunNotFoundError(pipeline, run);
    return record;
  }

  /** The runs of a pipeline, newest first (none: an empty list). */
  async listRuns(pipeline: string): Promise<ExperimentRun[]> {
    const prefix = experimentKeys.runIndexPrefix(check.validPipeline(pipeline));
    const markers = await listKeys(this.store, prefix);
    const runs = await mapLimit(markers, READ_CONCURRENCY, async (marker) => {
      const { run } = (await readJson<{ run: string }>(this.store, marker)) ?? {};
      return run === undefined ? undefined : readJson<ExperimentRun>(this.store, experimentKeys.run(pipeline, run));
    });
    return runs
      .filter((run): run is ExperimentRun => run !== undefined)
      .sort((a, b) => (a.startedAt === b.startedAt ? a.run.localeCompare(b.run) : a.startedAt < b.startedAt ? 1 : -1));
  }

  /** Merges `tags` into a run's tags. */
  async setRunTags(pipeline: string, run: string, tags: Record<string, string>): Promise<ExperimentRun> {
    check.validPipeline(pipeline);
    check.validRun(run);
    const valid = check.validTags(tags);
    return updateRecord<ExperimentRun>(
      this.store,
      experimentKeys.run(pipeline, run),
      (current) => ({ ...current, tags: { ...current.tags, ...valid } }),
      () => new RunNotFoundError(pipeline, run),
    );
  }

  /** Starts a trial of a started run; a trial already started is returned as stored. */
  async startTrial(input: StartTrialInput): Promise<Trial> {
    const pipeline = check.validPipeline(input?.pipeline);
    const run = check.validRun(input.run);
    const trial = check.validTrial(input.trial);
    const record: Trial = {
      pipeline,
      run,
      trial,
      params: check.validParams(input.params),
      metrics: {},
      tags: check.validTags(input.tags),
      status: 'running',
      startedAt: new Date().toISOString(),
      artifacts: [],
    };
    if (!(await this.store.head(experimentKeys.run(pipeline, run)))) throw new RunNotFoundError(pipeline, run);
    const key = experimentKeys.trial(pipeline, run, trial);
    const created = (await this.store.putIfAbsent(key, jsonBody(record), JSON_TYPE)).created;
    await this.store.putIfAbsent(experimentKeys.trialIndex(pipeline, run, trial), jsonBody({ trial }));
    this.knownTrials.add(key);
    return created ? record : this.getTrial(pipeline, run, trial);
  }

  /** Appends metric points to a trial's streams as one chunk (see `LogOptions.batchId` for retries). */
  async logMetrics(
    pipeline: string,
    run: string,
    trial: number,
    points: readonly MetricInput[],
    options: LogOptions = {},
  ): Promise<ChunkWritten> {
    await this.requireTrial(pipeline, run, trial);
    if (!Array.isArray(points)) throw new InvalidArgumentError('points', 'must be a list of { name, step, value }');
    points.forEach((point, i) => {
      check.validMetricName(point?.name, `points[${i}].name`);
      if (typeof point.step !== 'number' || !Number.isFinite(point.step))
        throw new InvalidArgumentError(`points[${i}].step`, `must be a number, got ${JSON.stringify(point.step)}`);
      if (typeof point.value !== 'number')
        throw new InvalidArgumentError(`points[${i}].value`, `must be a number, got ${JSON.stringify(point.value)}`);
    });
    if (options.batchId !== undefined && (typeof options.batchId !== 'string' || options.batchId === ''))
      throw new InvalidArgumentError('batchId', 'must be non-empty text');
    if (points.length === 0) return { key: null, seq: null, count: 0 };
    const body = encodePoints(points, new Date().toISOString(), options.batchId);
    const prefix = experimentKeys.metricsPrefix(pipeline, run, trial);
    const { key, seq } = await this.streams.append(prefix, '.ndjson', body, { contentType: 'application/x-ndjson' });
    return { key, seq, count: points.length };
  }

  /** A trial's metric points (of one metric, or all), in step order. */
  async readMetrics(pipeline: string, run: string, trial: number, name?: string): Promise<MetricPoint[]> {
    await this.requireTrial(pipeline, run, trial);
    if (name !== undefined) check.validMetricName(name, 'name');
    const chunks = await this.streams.read(experimentKeys.metricsPrefix(pipeline, run, trial), '.ndjson');
    return decodePoints(
      chunks.map((chunk) => chunk.body),
      name,
    );
  }

  /** Appends text to a trial's log (one chunk; a newline is added when `text` lacks one). */
  async logText(pipeline: string, run: string, trial: number, text: string): Promise<ChunkWritten> {
    await this.requireTrial(pipeline, run, trial);
    if (typeof text !== 'string') throw new InvalidArgumentError('text', 'must be text');
    if (text === '') return { key: null, seq: null, count: 0 };
    const body = text.endsWith('\n') ? text : `${text}\n`;
    const prefix = experimentKeys.logsPrefix(pipeline, run, trial);
    const { key, seq } = await this.streams.append(prefix, '.txt', body, { contentType: 'text/plain; charset=utf-8' });
    return { key, seq, count: Buffer.byteLength(body) };
  }

  /** A trial's whole log, chunks in the order they were written. */
  async readLogs(pipeline: string, run: string, trial: number): Promise<string> {
    await this.requireTrial(pipeline, run, trial);
    const chunks = await this.streams.read(experimentKeys.logsPrefix(pipeline, run, trial), '.txt');
    return chunks.map((chunk) => chunk.body.toString('utf8')).join('');
  }

  /** Stores an artifact of a trial (replacing one of the same name) and lists it on the trial. */
  async putArtifact(pipeline: string, run: string, trial: number, name: string, body: Body): Promise<ArtifactRef> {
    await this.requireTrial(pipeline, run, trial);
    const key = experimentKeys.artifact(pipeline, run, trial, check.validArtifactName(name));
    await this.store.put(key, body);
    const size = (await this.store.head(key))?.size ?? 0;
    await this.updateTrial(pipeline, run, trial, (current) => ({
      ...current,
      artifacts: [...current.artifacts.filter((a) => a.name !== name), { name, key, size }].sort((a, b) =>
        a.name.localeCompare(b.name),
      ),
    }));
    return { name, key, size, uri: `${this.store.uri.replace(/\/+$/, '')}/${key}` };
  }

  /** The bytes of a trial's artifact; throws `NotFoundError` when absent. */
  async getArtifact(pipeline: string, run: string, trial: number, name: string): Promise<Buffer> {
    await this.requireTrial(pipeline, run, trial);
    return this.store.getBytes(experimentKeys.artifact(pipeline, run, trial, check.validArtifactName(name)));
  }

  /** Merges `tags` into a trial's tags. */
  async setTags(pipeline: string, run: string, trial: number, tags: Record<string, string>): Promise<Trial> {
    const valid = check.validTags(tags);
    return this.updateTrial(pipeline, run, trial, (current) => ({ ...current, tags: { ...current.tags, ...valid } }));
  }

  /** Ends a trial with its final metrics; a trial already ended is returned unchanged. */
  async finishTrial(pipeline: string, run: string, trial: number, options: FinishTrialOptions): Promise<Trial> {
    const status = check.validStatus(options?.status, 'status', true);
    const metrics = check.validMetrics(options.metrics);
    return this.updateTrial(pipeline, run, trial, (current) =>
      current.endedAt
        ? undefined
        : { ...current, status, metrics: { ...current.metrics, ...metrics }, endedAt: new Date().toISOString() },
    );
  }

  /** One trial; throws `TrialNotFoundError` when it was never started. */
  async getTrial(pipeline: string, run: string, trial: number): Promise<Trial> {
    const key = experimentKeys.trial(check.validPipeline(pipeline), check.validRun(run), check.validTrial(trial));
    const record = await readJson<Trial>(this.store, key);
    if (!record) throw new TrialNotFoundError(pipeline, run, trial);
    return record;
  }

  /** The trials of a run, sorted by `sortBy` (a final metric: trials lacking it last; or `trial`, `startedAt`). */
  async listTrials(pipeline: string, run: string, options: ListTrialsOptions = {}): Promise<Trial[]> {
    const prefix = experimentKeys.trialIndexPrefix(check.validPipeline(pipeline), check.validRun(run));
    const numbers = (await listKeys(this.store, prefix))
      .map((key) => Number(key.slice(prefix.length)))
      .filter((n) => Number.isSafeInteger(n));
    const trials = await mapLimit(numbers, READ_CONCURRENCY, (n) =>
      readJson<Trial>(this.store, experimentKeys.trial(pipeline, run, n)),
    );
    return orderTrials(
      trials.filter((trial): trial is Trial => trial !== undefined),
      options,
    );
  }

  private async updateTrial(pipeline: string, run: string, trial: number, change: (t: Trial) => Trial | undefined) {
    const key = experimentKeys.trial(check.validPipeline(pipeline), check.validRun(run), check.validTrial(trial));
    return updateRecord<Trial>(this.store, key, change, () => new TrialNotFoundError(pipeline, run, trial));
  }

  /** Checks the names and that the trial was started (remembered per process: trials are never deleted). */
  private async requireTrial(pipeline: string, run: string, trial: number): Promise<void> {
    const key = experimentKeys.trial(check.validPipeline(pipeline), check.validRun(run), check.validTrial(trial));
    if (this.knownTrials.has(key)) return;
    if (!(await this.store.head(key))) throw new TrialNotFoundError(pipeline, run, trial);
    if (this.knownTrials.size >= 10_000) this.knownTrials.clear();
    this.knownTrials.add(key);
  }
}
