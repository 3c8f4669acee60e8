/**
 * Queries, signals, updates and search attributes of the workflows. Client code imports this file too
 * (`handle.query(progressQuery)`, `handle.executeUpdate(approveUpdate, { args: [{ by }] })`).
 */
import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { RESTORE_PROGRESS_SIGNAL, type RestoreProgressUpdate } from '../shared/activity-contract';
import type { ApprovalDecision, ApprovalState, SwapPreview, WorkflowProgress } from '../shared/workflow-types';

/** The current step, the plan and per-service progress: bytes, percent and ETA as of the restore's last milestone
 * signal (see restoreProgressSignal); live bytes between milestones are in the pending activity's heartbeat
 * details (`handle.describe()`), which the CLI merges in. */
export const progressQuery = defineQuery<WorkflowProgress>('progress');
/** What the swap would change: live row counts against the backup's, per service. */
export const swapPreviewQuery = defineQuery<SwapPreview>('swapPreview');

/**
 * Approve or reject the swap of a verified restore. Refused (by the validator, nothing recorded) unless the
 * restore is waiting for approval; the answer says whether it is approved, waits for a second approver, or
 * why this request was refused. The approver is the client identity Temporal records; `by` is a note.
 */
export const approveUpdate = defineUpdate<ApprovalState, [ApprovalDecision]>('approveSwap');
export const rejectUpdate = defineUpdate<ApprovalState, [ApprovalDecision]>('rejectSwap');
/** The same decisions as signals, for `temporal workflow signal` and older clients: same rules, no answer. */
export const approveSignal = defineSignal<[ApprovalDecision?]>('approve');
export const rejectSignal = defineSignal<[ApprovalDecision?]>('reject');
/** Sent by the restore activity to its own workflow at milestones (first bytes, every 10%, done), so `progress`
 * carries bytes, percent and the ETA of the last milestone at a bounded cost in history events. */
export const restoreProgressSignal = defineSignal<[RestoreProgressUpdate]>(RESTORE_PROGRESS_SIGNAL);

// Plain keywords, as scripts/temporal-dev.sh registers them: a list value in a Keyword attribute is rejected
// and blocks the workflow. Each service's drill is a child of its own, so OparetaService='hermes' finds it.

/** The service, or the services joined by "," for a full-system restore. */
export const OparetaService = defineSearchAttributeKey('OparetaService', SearchAttributeType.KEYWORD);
/** restore | full-restore | drill (the whole drill) | drill-service (one service's part) | prune */
export const OparetaKind = defineSearchAttributeKey('OparetaKind', SearchAttributeType.KEYWORD);
/** A RestoreOutcome, or passed | failed | cancelled for drills; "running" while in flight. */
export const OparetaOutcome = defineSearchAttributeKey('OparetaOutcome', SearchAttributeType.KEYWORD);
/** The backup file name used (joined by "," when several). */
export const OparetaBackup = defineSearchAttributeKey('OparetaBackup', SearchAttributeType.KEYWORD);

/** Every custom search attribute, to register on a server (`--search-attribute OparetaKind=Keyword`). */
export const OPARETA_SEARCH_ATTRIBUTES = [OparetaService, OparetaKind, OparetaOutcome, OparetaBackup];

export type WorkflowKind = 'restore' | 'full-restore' | 'drill' | 'drill-service' | 'prune';
