/**
 * The `signed decisions` line of `mlops doctor`: whether approvals (and the other decisions) of the
 * pipelines in MLOPS_PIPELINES_DIR are verified — signed by a key listed in the spec's
 * `approval.approvers` or in the store's `registry/approvers.json` — or unverified, where anyone
 * who can reach Temporal decides as whomever `--as` names.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { readApproversFile } from '../../activities/approvals';
import { createBlobStore } from '../../activities/storage';
import { APPROVERS_FILE_KEY, type ApproversFile } from '../../common/schemas/approvers';
import type { PipelineSpec } from '../../common/schemas/spec';
import { requiresSignatures } from '../../common/signed-decision';
import type { LoadedConfig } from '../../lib/config';
import { checkPipelineSpec } from '../pipeline-spec';
import { specFilesOf } from '../schedules/apply';

export interface ApprovalsVerdict {
  status: 'ok' | 'warn' | 'fail';
  detail: string;
}

/** What the doctor says of the specs' approvals under the registry's approvers file (pure). */
export function approvalsVerdict(
  specs: readonly Pick<PipelineSpec, 'name' | 'approval'>[],
  file: ApproversFile | undefined,
): ApprovalsVerdict {
  const keyed = file?.approvers.length ?? 0;
  if (file?.requireSigned)
    return {
      status: 'ok',
      detail: `${APPROVERS_FILE_KEY} requires every decision signed (${keyed} approver${keyed === 1 ? '' : 's'} with keys there)`,
    };
  const approving = specs.filter((s) => s.approval?.required);
  const unverified = approving.filter((s) => !requiresSignatures(s.approval?.approvers)).map((s) => s.name);
  const signed = approving.filter((s) => requiresSignatures(s.approval?.approvers)).map((s) => s.name);
  const hint = `list approvers with their SSH public keys in approval.approvers, or in ${APPROVERS_FILE_KEY} with requireSigned: true (docs/approvals.md)`;
  if (unverified.length > 0)
    return {
      status: 'warn',
      detail: `decisions are unverified for ${unverified.join(', ')}: no approver has a key, so anyone who reaches Temporal decides as whomever --as names; ${hint}`,
    };
  if (signed.length > 0)
    return {
      status: 'ok',
      detail: `approvals, rollout promote and abort of ${signed.join(', ')} must be signed; alias, status and A/B decisions are unverified unless ${APPROVERS_FILE_KEY} has requireSigned: true`,
    };
  return { status: 'warn', detail: `decisions are unverified: no approver has a key; ${hint}` };
}

/** Reads the approvers file and the specs, and says whether decisions are verified; never throws. */
export async function approvalsCheck(config: LoadedConfig): Promise<ApprovalsVerdict> {
  let file: ApproversFile | undefined;
  try {
    file = await readApproversFile(createBlobStore(config.store));
  } catch (err) {
    return { status: 'fail', detail: (err as Error).message };
  }
  const specs: PipelineSpec[] = [];
  if (fs.existsSync(config.pipelinesDir)) {
    for (const spec of specFilesOf([config.pipelinesDir])) {
      const checked = checkPipelineSpec(spec);
      if (checked.ok) specs.push(checked.loaded.spec);
    }
  }
  const verdict = approvalsVerdict(specs, file);
  const needsKeygen = file?.requireSigned || specs.some((s) => requiresSignatures(s.approval?.approvers));
  if (needsKeygen && spawnSync('ssh-keygen', ['-?'], { stdio: 'ignore' }).error)
    return { status: 'warn', detail: `${verdict.detail}; ssh-keygen not found here: install OpenSSH to sign` };
  return verdict;
}
