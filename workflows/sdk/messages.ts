/** The messages every pipeline answers: the `status` query, and the `approve` / `reject` updates. */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ApprovalDecision, ApproveInput, PipelineStatus, RejectInput } from './types';

/** Approves the registered candidate while the run awaits approval. */
export const approveUpdate = defineUpdate<ApprovalDecision, [ApproveInput]>('approve');
/** Rejects the registered candidate while the run awaits approval (a reason is required). */
export const rejectUpdate = defineUpdate<ApprovalDecision, [RejectInput]>('reject');
/** Steps with their state, times and summaries; links to reports and child runs. */
export const statusQuery = defineQuery<PipelineStatus>('status');
