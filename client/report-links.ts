/**
 * Where the HTML reports of a run are (evaluation, sweep, drift), and how a browser reaches them:
 * a filesystem store's report is a `file://` URL; an S3 store's goes through a report server
 * (`MLOPS_REPORTS_URL`: the codec server's `/reports/<key>` route), else stays its `s3://` URI,
 * which `mlops report` downloads and opens.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError } from '../common/errors';
import type { BlobStore } from '../activities/storage';
import { reportKeys } from '../activities/reports/keys';
import { runKeyOf } from '../activities/tracking/run-keys';
import type { Config } from '../lib/config/schema';

export const REPORT_KINDS = ['evaluation', 'sweep', 'drift'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];

/** A report of a run found in the store. */
export interface FoundReport {
  kind: ReportKind;
  key: string;
}

/** The store prefixes reports live under; nothing else is served as a report. */
export const REPORT_PREFIXES = ['reports/evaluations/', 'reports/sweeps/', 'reports/monitoring/'] as const;

/** Whether `key` is a report's key: under a report prefix, an `.html` file, no dot or empty segment. */
export function isReportKey(key: string): boolean {
  if (!REPORT_PREFIXES.some((p) => key.startsWith(p)) || !key.endsWith('.html')) return false;
  return key.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..' && /^[A-Za-z0-9._~-]+$/.test(seg));
}

/**
 * The reports of a run, newest kinds first: `monitor/<endpoint>` has the drift report of its latest
 * window; `sweep/…` its sweep report; any other run its evaluation report and the reports of its sweeps.
 */
export async function findReports(store: BlobStore, runId: string): Promise<FoundReport[]> {
  const found: FoundReport[] = [];
  const monitor = /^monitor\/([^/]+)$/.exec(runId);
  if (monitor) {
    let latest: string | undefined;
    // window reports are named by their compact UTC end time: key order is time order
    for await (const info of store.list(`reports/monitoring/${monitor[1]}/`))
      if (isReportKey(info.key)) latest = info.key;
    if (latest) found.push({ kind: 'drift', key: latest });
    return found;
  }
  if (runId.startsWith('sweep/')) {
    const key = reportKeys.sweep(runId);
    if (await store.head(key)) found.push({ kind: 'sweep', key });
    return found;
  }
  const evaluation = reportKeys.evaluation(runId);
  if (await store.head(evaluation)) found.push({ kind: 'evaluation', key: evaluation });
  // a pipeline's sweeps are its children sweep/<run id>[ <label>]
  for await (const info of store.list(`reports/sweeps/${runKeyOf(`sweep/${runId}`)}`))
    if (info.key.endsWith('.html')) found.push({ kind: 'sweep', key: info.key });
  return found;
}

/** The one report `kind` asks for, else the first found; a clear error when there is none. */
export function pickReport(found: FoundReport[], runId: string, kind?: ReportKind): FoundReport {
  const matching = kind ? found.filter((r) => r.kind === kind) : found;
  if (matching[0]) return matching[0];
  if (kind && found.length > 0)
    throw new UserError(
      `${runId} has no ${kind} report (it has: ${[...new Set(found.map((r) => r.kind))].join(', ')}); try --kind ${found[0]!.kind}`,
      1,
    );
  throw new UserError(
    `no report of ${runId} in the store: reports are written when a run evaluates (retrain runs), ends a sweep (sweep/…) or computes a drift window (monitor/<endpoint>)`,
    1,
  );
}

/** The URL a browser opens for a report key, or undefined when it has none (an S3 store without a report server). */
export function browserUrlOf(config: Pick<Config, 'store' | 'reportsUrl'>, key: string): string | undefined {
  if (config.reportsUrl) return `${config.reportsUrl}/${key}`;
  if (config.store.kind === 'file') return pathToFileURL(path.join(config.store.root, ...key.split('/'))).href;
  return undefined;
}

/** Copies a report into a folder of this machine's temp folder and returns its `file://` URL. */
export async function downloadReport(store: BlobStore, key: string): Promise<string> {
  const dir = path.join(os.tmpdir(), 'mlops-reports');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, key.split('/').join('_'));
  fs.writeFileSync(file, await store.getBytes(key));
  return pathToFileURL(file).href;
}

/**
 * A function that turns a report URI as runs record it (`<store uri>/reports/…`) into the link to
 * print: the browser URL when there is one, as an OSC 8 hyperlink when `hyperlinks` (a terminal);
 * any other value is returned as it is.
 */
export function reportLinker(
  config: Pick<Config, 'store' | 'reportsUrl'>,
  hyperlinks: boolean = process.stdout.isTTY === true,
): (value: string) => string {
  const storeUri = config.store.uri.replace(/\/+$/, '');
  return (value) => {
    if (!value.startsWith(`${storeUri}/`)) return value;
    const key = value.slice(storeUri.length + 1);
    if (!isReportKey(key)) return value;
    const url = browserUrlOf(config, key) ?? value;
    return hyperlinks && /^(https?|file):/.test(url) ? osc8(url, url) : url;
  };
}

/** `text` as a terminal hyperlink to `url` (OSC 8; terminals without it show the text). */
export function osc8(url: string, text: string): string {
  return `\u001b]8;;${url}\u001b\\${text}\u001b]8;;\u001b\\`;
}
