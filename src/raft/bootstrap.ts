/**
 * A brand-new cluster starts from a log whose first entries add the initial
 * members, committed at term 1. Applying them (like any other conf change)
 * gives every member the initial configuration, and a member that joins
 * later learns it by replaying the same entries.
 */
import { encodeConfChange } from './conf-change.js';
import type { Entry, HardState, NodeId } from './types.js';

export function bootstrapLog(voters: readonly NodeId[], learners: readonly NodeId[] = []): { entries: Entry[]; hardState: HardState } {
  if (voters.length === 0) throw new RangeError('bootstrap needs at least one voter');
  const changes = [
    ...voters.map((nodeId) => ({ type: 'addNode' as const, nodeId })),
    ...learners.map((nodeId) => ({ type: 'addLearner' as const, nodeId })),
  ];
  const entries: Entry[] = changes.map((cc, i) => ({ term: 1, index: i + 1, type: 'confChange', data: encodeConfChange(cc) }));
  return { entries, hardState: { term: 1, vote: 0n, commit: entries.length } };
}
