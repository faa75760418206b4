import { strict as assert } from 'node:assert'
import { ErrProposalDropped } from '../../../src/raft/index.js'
import { Cluster } from './sim/cluster.js'

function elected(seed: number, opts: { checkQuorum?: boolean } = {}): Cluster {
  const c = new Cluster({ seed, voters: 3, preVote: false, ...opts })
  c.stabilize()
  c.campaign(1n)
  c.stabilize()
  return c
}

describe('raft scenarios: ReadIndex', () => {
  it('the leader answers with its commit index after a heartbeat round', () => {
    const c = elected(20)
    c.propose(1n)
    c.stabilize()
    const ctx = c.readIndex(1n)!
    c.stabilize()
    assert.deepEqual(c.member(1n).reads, [{ index: c.node(1n).status().commit, ctx }])
  })

  it('requests arriving together share one heartbeat round', () => {
    const c = elected(21)
    const ctxs = [c.readIndex(1n)!, c.readIndex(1n)!, c.readIndex(1n)!, c.readIndex(1n)!]
    let heartbeats = 0
    c.stabilize({ seen: (m) => m.type === 'MsgHeartbeat' && (heartbeats++, true) })
    assert.equal(heartbeats, 2, 'one heartbeat per follower for all four reads')
    assert.deepEqual(
      c.member(1n).reads.map((r) => r.ctx),
      ctxs,
    )
    // A read arriving after the round started needs a round of its own.
    c.readIndex(1n)
    c.processReady(1n)
    c.readIndex(1n)
    heartbeats = 0
    c.stabilize({ seen: (m) => m.type === 'MsgHeartbeat' && (heartbeats++, true) })
    assert.equal(heartbeats, 4)
    assert.equal(c.member(1n).reads.length, 6)
  })

  it('a follower forwards the request and gets the read index back', () => {
    const c = elected(22)
    c.propose(2n)
    c.stabilize()
    const ctx = c.readIndex(3n)!
    c.stabilize()
    assert.deepEqual(c.member(3n).reads, [{ index: c.node(1n).status().commit, ctx }])
  })

  it('a member that knows no leader refuses reads', () => {
    const c = new Cluster({ seed: 25, voters: 3 })
    c.stabilize()
    assert.throws(() => c.node(3n).readIndex(new Uint8Array([1])), ErrProposalDropped)
  })

  it('a new leader serves no read before committing an entry of its term', () => {
    const c = elected(23, { checkQuorum: false })
    c.propose(1n)
    c.stabilize()
    const noApp = { drop: (m: { type: string }) => m.type === 'MsgApp' }
    c.campaign(2n)
    c.stabilize(noApp)
    assert.equal(c.node(2n).status().role, 'leader')
    const st = c.node(2n).status()
    assert.ok(c.node(2n).raft.log.term(st.commit)! < st.term, 'nothing of its term is committed yet')
    const ctx = c.readIndex(2n)!
    c.stabilize(noApp)
    assert.deepEqual(c.member(2n).reads, [], 'held back')
    c.tickAndStabilize(2) // heartbeat answers resume replication; the empty entry commits
    assert.equal(c.member(2n).reads.length, 1)
    assert.equal(c.member(2n).reads[0]!.ctx, ctx)
    assert.equal(c.member(2n).reads[0]!.index, c.node(2n).status().commit)
    assert.equal(c.node(2n).raft.log.term(c.member(2n).reads[0]!.index), st.term)
  })

  it('a deposed leader cut off from the quorum serves no stale read', () => {
    const c = elected(24, { checkQuorum: false })
    c.isolate(1n)
    c.campaign(2n)
    c.stabilize()
    const written = c.propose(2n)!
    c.stabilize()
    assert.ok(c.appliedPayloads(3n).includes(written))
    assert.equal(c.node(1n).status().role, 'leader', 'it still believes it leads')
    c.readIndex(1n)
    c.tickAndStabilize(5)
    assert.deepEqual(c.member(1n).reads, [], 'no quorum confirms the old leader')
    c.heal()
    c.tickAndStabilize(5)
    assert.equal(c.node(1n).status().role, 'follower')
    assert.deepEqual(c.member(1n).reads, [], 'the pending read was dropped, never answered stale')
  })

  it('a request forwarded twice is answered to the member that asked', () => {
    const c = elected(26, { checkQuorum: false })
    // 2 takes over while 3 hears nothing: 3 still believes 1 leads.
    c.campaign(2n)
    c.stabilize({ drop: (m) => m.to === 3n || m.from === 3n })
    assert.equal(c.leader(), 2n)
    assert.equal(c.node(1n).status().lead, 2n)
    assert.equal(c.node(3n).status().lead, 1n)
    const ctx = c.readIndex(3n)! // 3 -> 1 (now a follower) -> 2 (the leader)
    c.stabilize()
    assert.deepEqual(c.member(1n).reads, [], '1 never asked')
    assert.deepEqual(c.member(3n).reads, [{ index: c.node(2n).status().commit, ctx }])
  })
})
