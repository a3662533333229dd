/**
 * Monitoring activities for the `modelMonitor` workflow: one drift window (./window.ts) with its
 * HTML report (./report.ts) written to the store, which retrains of a pipeline are running (a
 * visibility query, so a drift never starts a second one), and when a retrain closed (its cooldown
 * runs from there).
 */
import { getClient } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { pipelineRunIdPrefix } from '../../common/pipeline-start';
import { asActivity } from '../failures';
import type { BlobStore } from '../storage/types';
import { renderDriftReport } from './report';
import {
  computeDriftWindow,
  monitoringKeys,
  type DriftWindowDetails,
  type DriftWindowInput,
  type DriftWindowSummary,
} from './window';

/** Windows drawn in a report's time series. */
const REPORT_WINDOWS = 20;

export interface DriftWindowResult extends DriftWindowSummary {
  /** Store URI of the window's HTML report. */
  report: string;
}

export function createMonitoringActivities(deps: { store: BlobStore }) {
  const { store } = deps;
  return {
    /** Compares the captured requests of (from, to] with the champion's training data; writes the window's report. */
    async computeDriftWindow(input: DriftWindowInput): Promise<DriftWindowResult> {
      return asActivity(async () => {
        const summary = await computeDriftWindow(store, input);
        const keys: string[] = [];
        for await (const info of store.list(monitoringKeys.windows(input.endpoint))) keys.push(info.key);
        const recent = keys.filter((k) => k <= summary.detailsKey).slice(-REPORT_WINDOWS);
        const windows = await Promise.all(
          recent.map(async (k) => JSON.parse((await store.getBytes(k)).toString('utf8')) as DriftWindowDetails),
        );
        const html = await renderDriftReport(windows, input.settings.thresholds.psi);
        const reportKey = monitoringKeys.report(input.endpoint, input.to);
        await store.put(reportKey, html, { contentType: 'text/html; charset=utf-8' });
        return { ...summary, report: `${store.uri.replace(/\/+$/, '')}/${reportKey}` };
      });
    },

    /**
     * Workflow ids of the pipeline's running retrains: its runs by id (`retrain/<pipeline>/…`),
     * whatever workflow the spec names, so a code pipeline's runs count too.
     */
    async runningRetrains(input: { pipeline: string }): Promise<string[]> {
      if (!/^[a-z0-9][a-z0-9._-]{0,62}$/.test(input.pipeline))
        throw new Error(`pipeline: not a pipeline name: ${input.pipeline}`);
      const ids: string[] = [];
      for await (const wf of getClient().workflow.list({
        query: `WorkflowId STARTS_WITH '${pipelineRunIdPrefix(input.pipeline)}' AND ExecutionStatus = 'Running'`,
      }))
        ids.push(wf.workflowId);
      return ids;
    },

    /** When the retrain `workflowId` closed (ISO time); `running` while it runs; undefined when not found. */
    async retrainClosedAt(input: { workflowId: string }): Promise<{ closedAt: string } | 'running' | undefined> {
      try {
        const d = await getClient().workflow.getHandle(input.workflowId).describe();
        if (d.status.name === 'RUNNING') return 'running';
        return d.closeTime ? { closedAt: d.closeTime.toISOString() } : undefined;
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return undefined;
        throw err;
      }
    },
  };
}

export type MonitoringActivities = ReturnType<typeof createMonitoringActivities>;
