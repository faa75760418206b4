/** How a (pre-)candidate reacts to messages of its current term. */
import { ErrProposalDropped } from './errors.js'
import type { Raft } from './raft.js'
import type { Message } from './types.js'

export function stepCandidate(r: Raft, m: Message): void {
  switch (m.type) {
    case 'MsgProp':
      throw new ErrProposalDropped('raft proposal dropped: no leader')
    case 'MsgReadIndex':
      throw new ErrProposalDropped('raft read index dropped: no leader')
    case 'MsgApp':
      r.becomeFollower(m.term, m.from)
      r.handleAppend(m)
      return
    case 'MsgHeartbeat':
      r.becomeFollower(m.term, m.from)
      r.handleHeartbeat(m)
      return
    case 'MsgSnap':
      r.becomeFollower(m.term, m.from)
      r.handleSnapshot(m)
      return
    case 'MsgPreVoteResp':
      if (r.role === 'preCandidate') r.poll(m.from, !m.reject)
      return
    case 'MsgVoteResp':
      if (r.role === 'candidate') r.poll(m.from, !m.reject)
      return
    default:
      // MsgTimeoutNow, MsgTransferLeader, stale responses: nothing to do without a leader.
      return
  }
}
