import { strict as assert } from 'node:assert'
import { ErrConfChangePending } from '../../../src/raft/index.js'
import { Cluster } from './sim/cluster.js'

function elected(seed: number): Cluster {
  const c = new Cluster({ seed, voters: 3 })
  c.stabilize()
  c.campaign(1n)
  c.stabilize()
  return c
}

describe('raft scenarios: membership', () => {
  it('a learner replicates but neither votes nor counts; promoted, it does both', () => {
    const c = elected(30)
    c.addMember(4n)
    assert.ok(c.proposeConfChange(1n, { type: 'addLearner', nodeId: 4n }))
    c.stabilize()
    c.tickAndStabilize(3)
    assert.deepEqual(c.node(1n).status().config, { voters: [1n, 2n, 3n], learners: [4n] })
    const p = c.propose(1n)!
    c.stabilize()
    assert.ok(c.appliedPayloads(4n).includes(p), 'the learner replicates')
    c.tickElection(4n)
    assert.equal(c.node(4n).status().role, 'follower', 'a learner never campaigns')
    // Leader + learner are not a quorum.
    c.crash(2n)
    c.crash(3n)
    const stuck = c.propose(1n)!
    c.tickAndStabilize(3)
    assert.ok(!c.appliedPayloads(1n).includes(stuck))
    c.restart(2n)
    c.restart(3n)
    c.tickAndStabilize(3)
    assert.ok(c.appliedPayloads(1n).includes(stuck))
    assert.ok(c.proposeConfChange(1n, { type: 'promoteLearner', nodeId: 4n }))
    c.stabilize()
    assert.deepEqual(c.node(4n).status().config, { voters: [1n, 2n, 3n, 4n], learners: [] })
    c.node(c.leader()!).transferLeader(4n)
    c.stabilize()
    assert.equal(c.leader(), 4n, 'the promoted member can win an election')
  })

  it('applies one change at a time', () => {
    const c = elected(31)
    c.addMember(4n)
    c.addMember(5n)
    c.node(1n).proposeConfChange({ type: 'addLearner', nodeId: 4n })
    assert.throws(() => c.node(1n).proposeConfChange({ type: 'addLearner', nodeId: 5n }), ErrConfChangePending)
    c.stabilize()
    c.node(1n).proposeConfChange({ type: 'addLearner', nodeId: 5n })
    c.stabilize()
    assert.deepEqual(c.node(2n).status().config.learners, [4n, 5n])
  })

  it('a removed leader steps down once the change applies; the rest carry on', () => {
    const c = elected(32)
    assert.ok(c.proposeConfChange(1n, { type: 'removeNode', nodeId: 1n }))
    c.stabilize()
    assert.equal(c.node(1n).status().role, 'follower')
    assert.deepEqual(c.node(2n).status().config.voters, [2n, 3n])
    const leader = c.waitForLeader()
    assert.notEqual(leader, 1n)
    const p = c.propose(leader)!
    c.stabilize()
    assert.ok(c.appliedPayloads(2n).includes(p) && c.appliedPayloads(3n).includes(p))
    c.tickAndStabilize(50)
    assert.notEqual(c.node(1n).status().role, 'leader', 'the removed member never campaigns')
  })

  it('removing a follower shrinks the quorum', () => {
    const c = elected(33)
    assert.ok(c.proposeConfChange(1n, { type: 'removeNode', nodeId: 3n }))
    c.stabilize()
    c.crash(3n)
    const p = c.propose(1n)!
    c.stabilize()
    assert.ok(c.appliedPayloads(2n).includes(p))
    assert.equal(c.node(1n).status().progress!.has(3n), false)
  })

  it('a new member counts as recently active for the first CheckQuorum round after it is added', () => {
    const c = new Cluster({ seed: 34, voters: 1, checkQuorum: true, electionTick: 10 })
    c.stabilize()
    c.campaign(1n)
    c.stabilize()
    c.addMember(2n)
    c.crash(2n) // not started yet
    assert.ok(c.proposeConfChange(1n, { type: 'addNode', nodeId: 2n }))
    c.stabilize()
    assert.deepEqual(c.node(1n).status().config.voters, [1n, 2n])
    assert.equal(c.node(1n).status().progress!.get(2n)!.recentActive, true)
    c.tickAndStabilize(10) // one CheckQuorum round
    assert.equal(c.node(1n).status().role, 'leader', 'the new member gets an election timeout to show up')
    c.tickAndStabilize(10)
    assert.equal(c.node(1n).status().role, 'follower', 'then it counts as down')
  })
})
