/**
 * A brand-new cluster starts from a log whose first entries add the initial
 * members, committed at term 1. Applying them (like any other conf change)
 * gives every member the initial configuration, and a member that joins
 * later learns it by replaying the same entries. `context` gives each change
 * the application's description of the member (etcd: the member as JSON).
 */
import { encodeConfChange, type ConfChange } from './conf-change.js'
import type { Entry, HardState, NodeId } from './types.js'

export function bootstrapLog(
  voters: readonly NodeId[],
  learners: readonly NodeId[] = [],
  context?: (nodeId: NodeId) => Uint8Array | undefined,
): { entries: Entry[]; hardState: HardState } {
  if (voters.length === 0) throw new RangeError('bootstrap needs at least one voter')
  const withContext = (cc: ConfChange): ConfChange => {
    const ctx = context?.(cc.nodeId)
    return ctx === undefined ? cc : { ...cc, context: ctx }
  }
  const changes = [
    ...voters.map((nodeId) => withContext({ type: 'addNode', nodeId })),
    ...learners.map((nodeId) => withContext({ type: 'addLearner', nodeId })),
  ]
  const entries: Entry[] = changes.map((cc, i) => ({
    term: 1,
    index: i + 1,
    type: 'confChange',
    data: encodeConfChange(cc),
  }))
  return { entries, hardState: { term: 1, vote: 0n, commit: entries.length } }
}
