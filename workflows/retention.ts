import type { RestoreCopy } from '../shared/activity-contract';

export interface RetentionRule {
  keepNewest: number;
  keepDays: number;
}

export interface CopyDecision {
  copy: RestoreCopy;
  drop: boolean;
  /** Why it is kept or dropped, for the result an SRE reads. */
  reason: string;
}

/**
 * Which restore copies of one service may go: the newest `keepNewest` and any younger than `keepDays` stay,
 * and so does anything not older than the last drill that passed: until a newer backup is proven restorable,
 * a copy may be the only good data there is. No passed drill at all: nothing is dropped.
 */
export function decideRetention(
  copies: RestoreCopy[],
  rule: RetentionRule,
  nowMs: number,
  lastPassedDrill: string | undefined,
): CopyDecision[] {
  const newestFirst = [...copies].sort((a, b) => b.madeAt.localeCompare(a.madeAt));
  const youngestDroppableMs = nowMs - rule.keepDays * 86_400_000;
  const drillMs = lastPassedDrill ? Date.parse(lastPassedDrill) : undefined;
  return newestFirst.map((copy, index) => {
    const madeMs = Date.parse(copy.madeAt);
    if (index < rule.keepNewest) return { copy, drop: false, reason: `one of the ${rule.keepNewest} newest` };
    if (madeMs > youngestDroppableMs) return { copy, drop: false, reason: `younger than ${rule.keepDays} days` };
    if (drillMs === undefined) return { copy, drop: false, reason: 'no drill of this service has passed yet' };
    if (madeMs >= drillMs)
      return { copy, drop: false, reason: `not older than the last passed drill (${lastPassedDrill})` };
    return { copy, drop: true, reason: `older than ${rule.keepDays} days and than the last passed drill` };
  });
}
