/**
 * A thin client of a Ray head's Jobs REST API (the dashboard, e.g. http://127.0.0.1:8265): submit,
 * job info, list, logs, stop, and the package upload the job SDK uses for `runtime_env.working_dir`.
 * A missing job or package is `undefined`; any other non-2xx answer is a `RayHeadError` and a
 * network error a plain `Error` (both transient: the activity retries them).
 *
 * Requests go through node:http, not fetch: the dashboard refuses every method but GET from what
 * looks like a browser, and fetch always sends `Sec-Fetch-Mode`, one of the headers it checks.
 */
import http from 'node:http';
import https from 'node:https';
import { RayHeadError } from '../../common/failures';

export { RayHeadError };

/** What the head reports about one job (the fields this project reads). */
export interface RayJobInfo {
  submission_id: string | null;
  status: 'PENDING' | 'RUNNING' | 'STOPPED' | 'SUCCEEDED' | 'FAILED';
  entrypoint: string;
  message?: string | null;
  error_type?: string | null;
  /** Milliseconds since the epoch. */
  start_time?: number | null;
  end_time?: number | null;
  metadata?: Record<string, string> | null;
  driver_exit_code?: number | null;
}

export interface RaySubmitRequest {
  entrypoint: string;
  submission_id: string;
  /** `py_modules`: packages whose folders Ray puts on the job's PYTHONPATH. */
  runtime_env: { working_dir: string; py_modules?: string[]; env_vars: Record<string, string> };
  metadata: Record<string, string>;
  entrypoint_num_cpus?: number;
  entrypoint_num_gpus?: number;
  /** Bytes. */
  entrypoint_memory?: number;
}

export class RayJobsClient {
  private readonly base: string;

  constructor(
    address: string,
    private readonly timeoutMs = 30_000,
  ) {
    this.base = address.replace(/\/+$/, '');
  }

  /** Submits a job; the head refuses a `submission_id` it already has (see `RayHeadError.body`). */
  async submit(request: RaySubmitRequest): Promise<void> {
    const res = await this.request('POST', '/api/jobs/', JSON.stringify(request), 'application/json');
    if (!res.ok) throw new RayHeadError(res.status, res.text(), `submitting ${request.submission_id}`);
  }

  /** The job's info, or `undefined` when the head has no such job. */
  async job(submissionId: string): Promise<RayJobInfo | undefined> {
    const res = await this.request('GET', `/api/jobs/${encodeURIComponent(submissionId)}`);
    if (res.status === 404) return undefined;
    if (!res.ok) throw new RayHeadError(res.status, res.text(), `job ${submissionId}`);
    return res.json() as RayJobInfo;
  }

  /** Every job the head knows. */
  async jobs(): Promise<RayJobInfo[]> {
    const res = await this.request('GET', '/api/jobs/');
    if (!res.ok) throw new RayHeadError(res.status, res.text(), 'listing jobs');
    return res.json() as RayJobInfo[];
  }

  /** The job's whole log (stdout and stderr of its entrypoint), or `undefined` when there is no such job. */
  async logs(submissionId: string): Promise<string | undefined> {
    const res = await this.request('GET', `/api/jobs/${encodeURIComponent(submissionId)}/logs`);
    if (res.status === 404) return undefined;
    if (!res.ok) throw new RayHeadError(res.status, res.text(), `logs of ${submissionId}`);
    return (res.json() as { logs: string }).logs;
  }

  /** Asks the head to stop the job; `false` when there is no such job. */
  async stop(submissionId: string): Promise<boolean> {
    const res = await this.request('POST', `/api/jobs/${encodeURIComponent(submissionId)}/stop`);
    if (res.status === 404) return false;
    if (!res.ok) throw new RayHeadError(res.status, res.text(), `stopping ${submissionId}`);
    return true;
  }

  /** Whether the head's GCS holds package `name` (e.g. `_ray_pkg_<hash>.zip`); also pins it for a while. */
  async hasPackage(name: string): Promise<boolean> {
    const res = await this.request('GET', `/api/packages/gcs/${encodeURIComponent(name)}`);
    if (res.status === 404) return false;
    if (!res.ok) throw new RayHeadError(res.status, res.text(), `package ${name}`);
    return true;
  }

  /** Uploads a zip package into the head's GCS as `gcs://<name>`. */
  async uploadPackage(name: string, zip: Uint8Array): Promise<void> {
    const res = await this.request('PUT', `/api/packages/gcs/${encodeURIComponent(name)}`, zip);
    if (!res.ok) throw new RayHeadError(res.status, res.text(), `uploading package ${name}`);
  }

  private async request(
    method: string,
    route: string,
    body?: string | Uint8Array,
    contentType?: string,
  ): Promise<Reply> {
    const url = new URL(`${this.base}${route}`);
    const payload = body === undefined ? undefined : Buffer.from(body);
    const headers: Record<string, string | number> = {};
    if (contentType) headers['content-type'] = contentType;
    if (payload) headers['content-length'] = payload.length;
    try {
      return await new Promise<Reply>((resolve, reject) => {
        const req = (url.protocol === 'https:' ? https : http).request(
          url,
          { method, headers, timeout: this.timeoutMs },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('error', reject);
            res.on('end', () => resolve(new Reply(res.statusCode ?? 0, Buffer.concat(chunks))));
          },
        );
        req.on('timeout', () => req.destroy(new Error(`no answer in ${this.timeoutMs} ms`)));
        req.on('error', reject);
        req.end(payload);
      });
    } catch (error) {
      throw new Error(`Ray head ${this.base} unreachable (${method} ${route}): ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
}

/** A whole HTTP answer (the head's answers are small JSON documents or logs). */
class Reply {
  constructor(
    readonly status: number,
    private readonly body: Buffer,
  ) {}

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  text(): string {
    return this.body.toString('utf8');
  }

  json(): unknown {
    return JSON.parse(this.text()) as unknown;
  }
}
