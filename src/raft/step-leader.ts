/** How a leader reacts to messages of its current term. */
import { ErrConfChangePending, ErrProposalDropped } from './errors.js'
import type { Raft } from './raft.js'
import { decodeRound } from './read-only.js'
import { NONE, type Message } from './types.js'

export function stepLeader(r: Raft, m: Message): void {
  switch (m.type) {
    case 'MsgProp':
      return propose(r, m)
    case 'MsgReadIndex':
      return readIndex(r, m)
    case 'MsgTransferLeader':
      return transferLeader(r, m.from)
  }
  const pr = r.tracker.progress.get(m.from)
  if (!pr) return
  switch (m.type) {
    case 'MsgAppResp':
      pr.recentActive = true
      if (m.reject) {
        // Skip back past every entry whose term cannot match, using the follower's hint.
        let nextProbe = m.rejectHint
        if (m.logTerm > 0) nextProbe = r.log.findConflictByTerm(m.rejectHint, m.logTerm).index
        if (pr.maybeDecrTo(m.index, nextProbe)) {
          if (pr.state === 'replicate') pr.becomeProbe()
          r.sendAppend(m.from)
        }
        return
      }
      if (pr.maybeUpdate(m.index) || (pr.match === m.index && pr.state === 'probe')) {
        if (pr.state === 'probe') pr.becomeReplicate()
        else if (pr.state === 'snapshot' && pr.match + 1 >= r.log.firstIndex()) {
          // The follower caught up through the snapshot (or the log): stream again.
          pr.becomeProbe()
          pr.becomeReplicate()
        } else if (pr.state === 'replicate') pr.inflights.freeLE(m.index)

        if (r.maybeCommit()) r.onCommitAdvanced()
        else
          while (r.maybeSendAppend(m.from, false)) {
            // keep filling the window
          }
        if (m.from === r.leadTransferee && pr.match === r.log.lastIndex()) r.sendTimeoutNow(m.from)
      }
      return
    case 'MsgHeartbeatResp':
      pr.recentActive = true
      pr.probeSent = false
      // An acknowledgement may have been lost: free a slot so replication cannot stall.
      if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirstOne()
      if (pr.match < r.log.lastIndex()) r.sendAppend(m.from)
      {
        const round = decodeRound(m.context)
        if (round > 0) {
          r.readOnly.recvAck(m.from, round)
          r.releaseConfirmedReads()
        }
      }
      return
    case 'MsgSnapStatus':
      if (pr.state !== 'snapshot') return
      if (m.reject) pr.pendingSnapshot = 0
      pr.becomeProbe()
      // Wait for the next heartbeat answer before probing again.
      pr.probeSent = true
      return
    case 'MsgUnreachable':
      if (pr.state === 'replicate') pr.becomeProbe()
      return
    default:
      return
  }
}

function propose(r: Raft, m: Message): void {
  if (m.entries.length === 0) throw new Error('raft: stepped empty MsgProp')
  if (!r.tracker.progress.has(r.id)) throw new ErrProposalDropped('raft proposal dropped: this member was removed')
  if (r.leadTransferee !== NONE) throw new ErrProposalDropped('raft proposal dropped: leader transfer in progress')
  let confIndex = 0
  m.entries.forEach((e, i) => {
    if (e.type !== 'confChange') return
    if (confIndex > 0 || r.pendingConfIndex > r.log.applied) throw new ErrConfChangePending()
    confIndex = r.log.lastIndex() + i + 1
  })
  if (!r.increaseUncommittedSize(m.entries)) {
    throw new ErrProposalDropped('raft proposal dropped: too many uncommitted entries')
  }
  if (confIndex > 0) r.pendingConfIndex = confIndex
  r.appendEntries(m.entries)
  r.bcastAppend()
}

function readIndex(r: Raft, m: Message): void {
  const ctx = m.context ?? new Uint8Array(0)
  const from = m.from === NONE ? r.id : m.from
  if (!r.committedEntryInCurrentTerm()) {
    // Our commit index may lag until an entry of our term commits: hold the request.
    r.pendingReadIndex.push(m)
    return
  }
  r.readOnly.add(r.log.committed, ctx, from)
}

function transferLeader(r: Raft, target: bigint): void {
  const pr = r.tracker.progress.get(target)
  if (!pr || pr.isLearner) return
  if (r.leadTransferee !== NONE) {
    if (r.leadTransferee === target) return
    r.leadTransferee = NONE
  }
  if (target === r.id) return
  // The transfer must complete within one election timeout.
  r.electionElapsed = 0
  r.leadTransferee = target
  if (pr.match === r.log.lastIndex()) r.sendTimeoutNow(target)
  else r.sendAppend(target)
}
