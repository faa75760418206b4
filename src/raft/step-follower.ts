/** How a follower reacts to messages of its current term. */
import { ErrProposalDropped } from './errors.js'
import type { Raft } from './raft.js'
import { NONE, type Message } from './types.js'

export function stepFollower(r: Raft, m: Message): void {
  switch (m.type) {
    case 'MsgProp':
      if (r.lead === NONE) throw new ErrProposalDropped('raft proposal dropped: no leader')
      r.send({ ...m, to: r.lead })
      return
    case 'MsgApp':
      r.electionElapsed = 0
      r.lead = m.from
      r.handleAppend(m)
      return
    case 'MsgHeartbeat':
      r.electionElapsed = 0
      r.lead = m.from
      r.handleHeartbeat(m)
      return
    case 'MsgSnap':
      r.electionElapsed = 0
      r.lead = m.from
      r.handleSnapshot(m)
      return
    case 'MsgTransferLeader':
      if (r.lead === NONE) return
      r.send({ ...m, to: r.lead })
      return
    case 'MsgTimeoutNow':
      // The leader asks us to take over now: skip the pre-vote and lease checks.
      r.hup(true)
      return
    case 'MsgReadIndex':
      if (r.lead === NONE) throw new ErrProposalDropped('raft read index dropped: no leader')
      // Keep `from`: the leader answers the member that asked, however many hops away.
      r.send({ ...m, to: r.lead })
      return
    case 'MsgReadIndexResp':
      r.readStates.push({ index: m.index, requestCtx: m.context ?? new Uint8Array(0) })
      return
    default:
      return
  }
}
