import { strict as assert } from 'node:assert'
import { ErrProposalDropped } from '../../../src/raft/index.js'
import { Cluster } from './sim/cluster.js'

describe('raft scenarios: elections', () => {
  it('elects one leader and drops proposals while there is none', () => {
    const c = new Cluster({ seed: 11, voters: 3 })
    c.stabilize()
    assert.throws(() => c.node(2n).propose(new Uint8Array([1])), ErrProposalDropped)
    const leader = c.waitForLeader()
    assert.equal(c.leaders().length, 1)
    for (const id of c.ids) assert.equal(c.node(id).status().lead, leader)
    const p = c.propose(2n === leader ? 3n : 2n)
    c.stabilize()
    for (const id of c.ids) assert.deepEqual(c.appliedPayloads(id), [p], 'a follower forwards proposals to the leader')
  })

  it('randomizes the election timeout within [electionTick, 2*electionTick)', () => {
    const c = new Cluster({ seed: 5, voters: 5, electionTick: 10 })
    const seen = new Set<number>()
    for (let i = 0; i < 20; i++) {
      for (const id of c.ids) {
        const t = c.node(id).raft.randomizedElectionTimeout
        assert.ok(t >= 10 && t < 20, `timeout ${t}`)
        seen.add(t)
      }
      c.tickAndStabilize(25)
      const l = c.leader()
      if (l !== undefined) c.node(l).raft.becomeFollower(c.node(l).raft.term, 0n)
    }
    assert.ok(seen.size > 3, 'timeouts vary')
  })

  it('stale leader: steps down on rejoin and its uncommitted entries are overwritten', () => {
    const c = new Cluster({ seed: 1, voters: 3, checkQuorum: false, preVote: false })
    c.stabilize()
    c.campaign(1n)
    c.stabilize()
    c.isolate(1n)
    const lost = c.propose(1n)!
    c.stabilize()
    const index = c.node(1n).raft.log.lastIndex()
    c.campaign(2n)
    c.stabilize()
    assert.equal(c.node(2n).status().role, 'leader')
    assert.equal(c.node(1n).status().role, 'leader', 'the old leader does not know yet')
    const kept = c.propose(2n)!
    c.stabilize()
    c.heal()
    c.tickAndStabilize(3)
    assert.equal(c.node(1n).status().role, 'follower')
    assert.equal(c.node(1n).status().lead, 2n)
    for (const id of c.ids) {
      assert.ok(c.appliedPayloads(id).includes(kept))
      assert.ok(!c.appliedPayloads(id).includes(lost))
      assert.equal(c.node(id).raft.log.term(index), c.node(2n).raft.log.term(index), 'the stale entry was overwritten')
    }
  })

  it('a partitioned minority cannot commit; the majority can', () => {
    const c = new Cluster({ seed: 2, voters: 5, checkQuorum: false })
    c.stabilize()
    c.campaign(1n)
    c.stabilize()
    const commitBefore = c.node(1n).status().commit
    c.net.partition([
      [1n, 2n],
      [3n, 4n, 5n],
    ])
    const minority = [c.propose(1n)!, c.propose(2n)!]
    c.tickAndStabilize(5)
    assert.equal(c.node(1n).status().commit, commitBefore)
    assert.deepEqual(c.appliedPayloads(1n), [])
    c.tickElection(3n)
    c.stabilize()
    const majority = c.propose(3n)!
    c.stabilize()
    assert.deepEqual(c.appliedPayloads(4n), [majority])
    c.heal()
    c.tickAndStabilize(5)
    for (const id of c.ids) {
      assert.deepEqual(c.appliedPayloads(id), [majority])
      for (const p of minority) assert.ok(!c.appliedPayloads(id).includes(p))
    }
  })

  it('CheckQuorum: an isolated leader steps down within an election timeout', () => {
    for (const checkQuorum of [true, false]) {
      const c = new Cluster({ seed: 3, voters: 3, checkQuorum, electionTick: 10 })
      c.stabilize()
      c.campaign(1n)
      c.stabilize()
      c.isolate(1n)
      for (let i = 0; i < 21; i++) c.tick(1n)
      assert.equal(c.node(1n).status().role, checkQuorum ? 'follower' : 'leader', `checkQuorum=${checkQuorum}`)
    }
  })

  it('PreVote: a rejoining member that kept campaigning does not disrupt the leader', () => {
    for (const preVote of [true, false]) {
      const c = new Cluster({ seed: 4, voters: 3, preVote, checkQuorum: false })
      c.stabilize()
      c.campaign(1n)
      c.stabilize()
      const term = c.node(1n).status().term
      c.isolate(3n)
      for (let i = 0; i < 5; i++) {
        c.tickElection(3n)
        c.stabilize()
      }
      c.heal()
      c.tickAndStabilize(25)
      if (preVote) {
        assert.equal(c.node(3n).status().term, term, 'pre-elections never raised its term')
        assert.equal(c.leader(), 1n)
        assert.equal(c.node(1n).status().term, term)
      } else {
        assert.ok(c.node(3n).status().term > term + 3, 'without PreVote the term climbs')
        assert.ok(c.node(1n).status().term > term, 'and the leader is deposed')
      }
    }
  })

  it('CheckQuorum lease: members that hear from a leader ignore a higher-term vote request', () => {
    const c = new Cluster({ seed: 6, voters: 3, preVote: false, checkQuorum: true })
    c.stabilize()
    c.campaign(1n)
    c.stabilize()
    const term = c.node(1n).status().term
    c.isolate(3n)
    c.tickElection(3n)
    c.stabilize()
    assert.equal(c.node(3n).status().term, term + 1)
    c.heal()
    c.campaign(3n)
    c.stabilize()
    assert.equal(c.node(1n).status().role, 'leader', 'vote requests were ignored inside the lease')
    assert.equal(c.node(2n).status().term, term)
  })
})
