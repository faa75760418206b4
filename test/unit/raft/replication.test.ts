import { strict as assert } from 'node:assert'
import type { Message } from '../../../src/raft/index.js'
import { Cluster } from './sim/cluster.js'

const isApp = (m: Message) => m.type === 'MsgApp'

describe('raft scenarios: replication', () => {
  it('Figure 8: an old-term entry on a majority is not committed by counting, and may be overwritten', () => {
    // maxSizePerMsg: 1 sends one entry per MsgApp, so we can replicate a prefix only.
    const c = new Cluster({ seed: 8, voters: 5, preVote: false, checkQuorum: false, maxSizePerMsg: 1 })
    c.stabilize()
    c.campaign(1n)
    c.stabilize()
    // (a) S1, leader of term 2, replicates x only to S2.
    c.net.partition([
      [1n, 2n],
      [3n, 4n, 5n],
    ])
    const x = c.propose(1n)!
    c.stabilize()
    const k = c.node(1n).raft.log.lastIndex()
    const xTerm = c.node(1n).raft.log.term(k)!
    assert.equal(c.node(2n).raft.log.term(k), xTerm)
    // (b) S1 crashes; S5 wins with S3, S4 and appends at k in a new term, sending nothing.
    c.crash(1n)
    c.heal()
    c.campaign(5n)
    c.stabilize({ drop: (m) => m.from === 5n && isApp(m) })
    assert.equal(c.node(5n).status().role, 'leader')
    assert.ok(c.node(5n).raft.log.term(k)! > xTerm)
    c.crash(5n)
    // (c) S1 returns, wins, and replicates x (but not its own new entry) to S3: x is on a majority.
    c.restart(1n)
    c.stabilize() // replays its committed log (and configuration) first
    // Members that already hold x do not get S1's newer entry.
    const dropNew = {
      drop: (m: Message) =>
        isApp(m) && m.entries.some((e) => e.index > k) && c.member(m.to).rn?.raft.log.term(k) === xTerm,
    }
    c.campaign(1n) // term 3 is taken by S5's votes: this one loses
    c.stabilize(dropNew)
    c.campaign(1n)
    c.stabilize(dropNew)
    assert.equal(c.node(1n).status().role, 'leader')
    const holders = [1n, 2n, 3n, 4n].filter((id) => c.node(id).raft.log.term(k) === xTerm)
    assert.ok(holders.length >= 3, `x is on a majority (${holders})`)
    assert.ok(c.node(1n).status().commit < k, 'x is of an older term: not committed by counting replicas')
    // (d) S1 crashes; S5 returns with a higher last term, wins and overwrites x everywhere.
    c.crash(1n)
    c.restart(5n)
    c.stabilize()
    c.campaign(5n)
    c.stabilize()
    if (c.node(5n).status().role !== 'leader') {
      c.campaign(5n)
      c.stabilize()
    }
    assert.equal(c.node(5n).status().role, 'leader')
    const y = c.propose(5n)!
    c.stabilize()
    for (const id of [2n, 3n, 4n, 5n]) {
      assert.notEqual(c.node(id).raft.log.term(k), xTerm)
      assert.ok(!c.appliedPayloads(id).includes(x), 'nobody ever applied x')
      assert.ok(c.appliedPayloads(id).includes(y))
    }
  })

  it('fast rejection hints back up a divergent follower log by terms, not entries', () => {
    const c = new Cluster({ seed: 9, voters: 3, preVote: false, checkQuorum: false })
    c.stabilize()
    // S3 leads, gets cut off, and piles up 50 entries of its term that never commit.
    c.campaign(3n)
    c.stabilize()
    c.isolate(3n)
    for (let i = 0; i < 50; i++) c.propose(3n)
    c.stabilize()
    // Meanwhile S1 is elected at a higher term and commits 50 entries of its own.
    c.campaign(1n)
    c.stabilize()
    for (let i = 0; i < 50; i++) c.propose(1n)
    c.stabilize()
    assert.ok(c.node(3n).raft.log.lastIndex() > 50 && c.node(3n).raft.log.lastTerm() < c.node(1n).raft.log.lastTerm())
    // A fresh leader starts probing S3 at its own last index, deep in the divergent part.
    c.campaign(2n)
    c.stabilize()
    assert.equal(c.leader(), 2n)
    c.heal()
    let rejections = 0
    for (let i = 0; i < 10; i++) {
      c.tickAll()
      c.stabilize({ seen: (m) => m.type === 'MsgAppResp' && m.reject && (rejections++, true) })
    }
    assert.deepEqual(c.applied(3n), c.applied(2n))
    assert.ok(rejections > 0 && rejections <= 3, `${rejections} rejections to find the divergence point`)
  })

  it('flow control: at most maxInflightMsgs appends in flight to a follower', () => {
    const c = new Cluster({ seed: 10, voters: 3, maxInflightMsgs: 3, maxSizePerMsg: 1 })
    c.stabilize()
    c.campaign(1n)
    c.stabilize()
    c.isolate(2n)
    c.isolate(3n)
    for (let i = 0; i < 10; i++) {
      c.propose(1n)
      c.processReady(1n)
    }
    const inFlight = c.net.takeAll().filter((m) => isApp(m) && m.to === 2n && m.entries.length > 0)
    assert.equal(inFlight.length, 3)
    c.heal()
    c.tickAndStabilize(5)
    assert.equal(c.appliedPayloads(2n).length, 10, 'replication resumes once the window frees up')
  })

  it('snapshot catch-up: a follower behind the compacted log gets a snapshot', () => {
    const c = new Cluster({ seed: 12, voters: 3, snapshotEvery: 10, keepAfterCompact: 2 })
    c.stabilize()
    c.campaign(1n)
    c.stabilize()
    c.crash(3n)
    const payloads: string[] = []
    for (let i = 0; i < 40; i++) {
      payloads.push(c.propose(1n)!)
      c.stabilize()
    }
    assert.ok(c.member(1n).storage.firstIndex() > c.member(3n).storage.lastIndex() + 1, 'the leader compacted past S3')
    c.restart(3n)
    c.tickAndStabilize(5)
    assert.equal(c.member(3n).snapshotsRestored, 1)
    assert.deepEqual(c.appliedPayloads(3n), payloads)
    assert.equal(c.node(1n).status().progress!.get(3n)!.state, 'replicate')
    const after = c.propose(1n)!
    c.stabilize()
    assert.deepEqual(c.appliedPayloads(3n).at(-1), after)
  })

  it('a lost snapshot is retried', () => {
    const c = new Cluster({ seed: 13, voters: 3, snapshotEvery: 5, keepAfterCompact: 1 })
    c.stabilize()
    c.campaign(1n)
    c.stabilize()
    c.crash(3n)
    for (let i = 0; i < 12; i++) {
      c.propose(1n)
      c.stabilize()
    }
    c.restart(3n)
    let dropped = 0
    for (let i = 0; i < 10; i++) {
      c.tickAll()
      c.stabilize({ drop: (m) => m.type === 'MsgSnap' && dropped++ === 0 })
    }
    assert.equal(dropped >= 2, true, 'a second snapshot was sent')
    assert.deepEqual(c.applied(3n), c.applied(1n))
  })
})
