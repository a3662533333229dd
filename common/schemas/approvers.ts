/**
 * The registry-wide approvers file, `registry/approvers.json` at the store's root: who may sign
 * decisions with which SSH public keys, for every pipeline and model of the store, and whether every
 * decision must be signed. A spec's own `approval.approvers` add to it (docs/approvals.md).
 */
import { z } from 'zod';
import { sshPublicKeySchema } from './spec';

/** The key of the approvers file in the store. */
export const APPROVERS_FILE_KEY = 'registry/approvers.json';

export const approversFileSchema = z
  .strictObject({
    approvers: z
      .array(
        z.strictObject({
          name: z.string().trim().min(1).describe('The actor name (MLOPS_ACTOR, --as)'),
          key: z
            .union([sshPublicKeySchema, z.array(sshPublicKeySchema).min(1)])
            .describe('OpenSSH public key line(s) of this approver'),
        }),
      )
      .default([])
      .describe('Approvers and their keys'),
    requireSigned: z
      .boolean()
      .default(false)
      .describe(
        'Every decision (approve, reject, alias and status changes, rollout promote/abort, A/B stop) must be signed',
      ),
  })
  .describe('Who signs decisions in this registry, with which keys');

export type ApproversFile = z.infer<typeof approversFileSchema>;
