/** How one dump fared: psql and the product agree (both restored the same, or both failed on one statement), or not. */
export type VerdictKind = 'restored' | 'both-failed' | 'false-refusal' | 'mismatch';

export interface Verdict {
  kind: VerdictKind;
  /** What differed or failed, a few lines. */
  detail: string[];
}

export function isFailure(verdict: Verdict): boolean {
  return verdict.kind === 'false-refusal' || verdict.kind === 'mismatch';
}
