/**
 * All activities, built from their dependencies: `createActivities(deps)` is what the worker
 * registers and what workflows proxy (`proxyActivities<Activities>`). Each concern lives in its
 * own folder; backends are picked from config in one place (worker/dependencies.ts).
 *
 * - health.ts     store round-trip probes (`healthCheck` workflow)
 * - code/         code packages: a code folder as a content-addressed archive in the store (`packageCode`)
 * - data/         dataset snapshots, materialize, profiles, validation, diffs
 * - approvals/    signed decisions: `verifyDecision` against the listed SSH keys
 * - registry/     model versions with lineage, aliases, statuses, audit, model cards
 * - tracking/     experiment runs and trials: params, metrics, logs, artifacts
 * - training/     training backends (local process, Ray) and `runTrainingJob`
 * - reports/      HTML reports with plots (vega-lite rendered to SVG): sweeps
 * - serving/      variants of OIP v2 endpoints (the project's model server behind the gateway), traffic, metrics
 * - rollout/      the endpoint before a rollout, and one analysis window of a candidate
 * - abtest/       online A/B test outcomes: captured requests joined with feedback labels
 * - monitoring/   drift statistics, drift windows of an endpoint against its champion's data, reports
 * - storage/      the BlobStore everything above persists through
 */
import { createAbTestActivities } from './abtest';
import { createApprovalActivities } from './approvals';
import { createCodeActivities } from './code';
import { createDataActivities } from './data';
import { createEvaluationActivities } from './evaluation';
import { createHealthActivities } from './health';
import { withKeepalive } from './keepalive';
import { createMonitoringActivities } from './monitoring/activities';
import { createNotificationActivities } from './notifications';
import { createRegistryActivities } from './registry';
import { createReportActivities } from './reports';
import { createRolloutActivities } from './rollout/activities';
import { createServingActivities } from './serving';
import type { ServingBackend } from './serving/types';
import type { BlobStore } from './storage/types';
import { createTrackingActivities } from './tracking';
import { createTrainingActivities } from './training';
import type { TrainingBackend } from './training/types';

export interface ActivityDeps {
  store: BlobStore;
  /** Folder for local caches (the dataset stat cache). */
  cacheDir: string;
  /** A store for a source URI (`s3://bucket/prefix`, `file://…`), e.g. a dataset to snapshot. */
  openStore: (uri: string) => BlobStore;
  /** Folders a local dataset source must lie in (MLOPS_SOURCE_ROOTS); absent: any folder. */
  sourceRoots?: readonly string[];
  /** The most files one snapshot may hold (MLOPS_MAX_SNAPSHOT_FILES). @default 2,000,000 */
  maxSnapshotFiles?: number;
  /** Where training jobs run (picked from config in worker/dependencies.ts). */
  trainingBackend: TrainingBackend;
  /** Where endpoints are served; absent when the worker has no gateway configured (serving activities then fail). */
  servingBackend?: ServingBackend;
  /** The worker's secret values, redacted from job logs and notifications (lib/redact.ts). @default those of process.env */
  secrets?: readonly string[];
  /** The size limit of a code package (MLOPS_CODE_PACKAGE_MAX_BYTES). @default 50 MiB */
  codePackageMaxBytes?: number;
  /** The prefix of the variables a notification's `webhookEnv` may name. @default 'MLOPS_WEBHOOK_' */
  webhookEnvPrefix?: string;
}

export function createActivities(deps: ActivityDeps) {
  return {
    // these heartbeat their own details (resume points, job ids, progress)
    ...createDataActivities(deps),
    ...createTrainingActivities(deps),
    ...createServingActivities(deps),
    // these report nothing while they run: keepalive heartbeats let workflows notice a dead worker early
    ...withKeepalive({
      ...createHealthActivities(deps),
      ...createCodeActivities(deps),
      ...createRegistryActivities(deps),
      ...createApprovalActivities(deps),
      ...createTrackingActivities(deps),
      ...createReportActivities(deps),
      ...createEvaluationActivities(deps),
      ...createNotificationActivities({
        ...(deps.secrets && { secrets: deps.secrets }),
        ...(deps.webhookEnvPrefix && { webhookEnvPrefix: deps.webhookEnvPrefix }),
      }),
      ...createRolloutActivities(deps),
      ...createAbTestActivities(deps),
      ...createMonitoringActivities(deps),
    }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
