import { strict as assert } from 'node:assert'
import { ErrProposalDropped } from '../../../src/raft/index.js'
import { Cluster } from './sim/cluster.js'

describe('raft scenarios: leader transfer', () => {
  it('hands leadership to an up-to-date follower at once, despite PreVote and CheckQuorum', () => {
    const c = new Cluster({ seed: 40, voters: 3, preVote: true, checkQuorum: true })
    c.stabilize()
    c.campaign(1n)
    c.stabilize()
    const term = c.node(1n).status().term
    c.node(1n).transferLeader(3n)
    c.stabilize()
    assert.equal(c.leader(), 3n)
    assert.equal(c.node(3n).status().term, term + 1)
    assert.equal(c.node(1n).status().lead, 3n)
  })

  it('brings a lagging target up to date first and drops proposals meanwhile', () => {
    const c = new Cluster({ seed: 41, voters: 3 })
    c.stabilize()
    c.campaign(1n)
    c.stabilize()
    c.isolate(3n)
    for (let i = 0; i < 5; i++) c.propose(1n)
    c.stabilize()
    c.node(1n).transferLeader(3n)
    assert.equal(c.node(1n).status().leadTransferee, 3n)
    assert.throws(() => c.node(1n).propose(new Uint8Array([1])), ErrProposalDropped)
    c.heal()
    c.tickAndStabilize(2)
    assert.equal(c.leader(), 3n)
    assert.deepEqual(c.appliedPayloads(3n), c.appliedPayloads(1n))
    assert.equal(c.appliedPayloads(3n).length, 5)
  })

  it('gives up after an election timeout if the target does not respond', () => {
    const c = new Cluster({ seed: 42, voters: 3, electionTick: 10 })
    c.stabilize()
    c.campaign(1n)
    c.stabilize()
    c.crash(3n)
    c.node(1n).transferLeader(3n)
    assert.equal(c.node(1n).status().leadTransferee, 3n)
    c.tickAndStabilize(10)
    assert.equal(c.node(1n).status().leadTransferee, 0n)
    assert.equal(c.leader(), 1n)
    assert.ok(c.propose(1n) !== undefined, 'proposals are accepted again')
  })

  it('a transfer requested on a follower is forwarded to the leader for the named target', () => {
    const c = new Cluster({ seed: 43, voters: 3 })
    c.stabilize()
    c.campaign(1n)
    c.stabilize()
    c.node(2n).transferLeader(3n)
    c.stabilize()
    assert.equal(c.leader(), 3n, 'the target, not the follower that forwarded the request, leads')
    assert.equal(c.node(2n).status().role, 'follower')
  })
})
