/** Links to the Temporal UI, printed by the commands that start a workflow. */
import type { LoadedConfig } from '../lib/config';
import { readStackFile } from '../lib/config/stack-file';

/** The Temporal UI page of a run: MLOPS_UI_URL, else the local stack's UI, else localhost:8233. */
export function uiUrl(config: LoadedConfig, workflowId: string): string {
  const base = (
    process.env.MLOPS_UI_URL ??
    readStackFile(config.home).temporal?.uiUrl ??
    'http://localhost:8233'
  ).replace(/\/+$/, '');
  return `${base}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
