import { strict as assert } from 'node:assert'
import { makeMessage, RaftError, type Message, type RawNode } from '../../../src/raft/index.js'
import { Cluster } from './sim/cluster.js'

/** Everything about a member's Raft state that a message could change. */
function stateOf(rn: RawNode): unknown {
  const r = rn.raft
  return {
    status: rn.status(),
    last: r.log.lastIndex(),
    lastTerm: r.log.lastTerm(),
    electionElapsed: r.electionElapsed,
    hasReady: rn.hasReady(),
  }
}

const isInvalidMessage = (e: unknown) => e instanceof RaftError && e.name === 'ErrInvalidMessage'

describe('raft: messages the core cannot represent are refused', () => {
  const BAD: unknown[] = [NaN, -1, 1.5, Infinity, -Infinity, 2 ** 53, 2 ** 64, '3', 3n, null, undefined]

  function corruptions(c: Cluster): Array<[string, Message]> {
    const leader = c.node(1n).raft
    const term = leader.term
    const last = leader.log.lastIndex()
    const app = (): Message =>
      makeMessage({
        type: 'MsgApp',
        from: 1n,
        to: 2n,
        term,
        index: last,
        logTerm: leader.log.lastTerm(),
        commit: leader.log.committed,
        entries: [{ term, index: last + 1, type: 'normal', data: new Uint8Array([1]) }],
      })
    const out: Array<[string, Message]> = []
    for (const bad of BAD) {
      for (const field of ['term', 'logTerm', 'index', 'commit', 'rejectHint'] as const) {
        out.push([`${field}=${String(bad)}`, { ...app(), [field]: bad as number }])
      }
      for (const field of ['term', 'index'] as const) {
        const m = app()
        m.entries = [{ ...m.entries[0]!, [field]: bad as number }]
        out.push([`entries[0].${field}=${String(bad)}`, m])
      }
      const snap = makeMessage({
        type: 'MsgSnap',
        from: 1n,
        to: 2n,
        term,
        snapshot: {
          metadata: { index: bad as number, term, confState: { voters: [1n, 2n, 3n], learners: [] } },
          data: new Uint8Array(0),
        },
      })
      out.push([`snapshot index=${String(bad)}`, snap])
      out.push([
        `heartbeat commit=${String(bad)}`,
        makeMessage({ type: 'MsgHeartbeat', from: 1n, to: 2n, term, commit: bad as number }),
      ])
      out.push([
        `vote term=${String(bad)}`,
        makeMessage({ type: 'MsgVote', from: 3n, to: 2n, term: bad as number, index: last, logTerm: term }),
      ])
    }
    const gap = app()
    gap.entries = [{ ...gap.entries[0]!, index: last + 2 }]
    out.push(['entries not following index', gap])
    out.push(['from is not an id', { ...app(), from: 1 as unknown as bigint }])
    out.push(['unknown type', { ...app(), type: 'MsgBogus' as Message['type'] }])
    return out
  }

  it('a follower refuses each malformed message and its state does not move', () => {
    const c = new Cluster({ seed: 60, voters: 3 })
    c.stabilize()
    c.campaign(1n)
    c.stabilize()
    c.propose(1n)
    c.stabilize()
    const cases = corruptions(c)
    assert.ok(cases.length > 50)
    for (const [name, m] of cases) {
      const before = stateOf(c.node(2n))
      assert.throws(() => c.node(2n).step(m), isInvalidMessage, name)
      assert.deepEqual(stateOf(c.node(2n)), before, `${name} changed the state`)
    }
    const p = c.propose(1n)!
    c.stabilize()
    for (const id of c.ids) assert.ok(c.appliedPayloads(id).includes(p), `${id} keeps working`)
  })

  it('a leader refuses malformed responses and keeps replicating', () => {
    const c = new Cluster({ seed: 61, voters: 3 })
    c.stabilize()
    c.campaign(1n)
    c.stabilize()
    const term = c.node(1n).raft.term
    for (const bad of BAD) {
      for (const type of ['MsgAppResp', 'MsgHeartbeatResp', 'MsgVoteResp'] as const) {
        const m = makeMessage({ type, from: 2n, to: 1n, term, index: bad as number })
        const before = stateOf(c.node(1n))
        assert.throws(() => c.node(1n).step(m), isInvalidMessage, `${type} index=${String(bad)}`)
        assert.deepEqual(stateOf(c.node(1n)), before)
      }
    }
    const p = c.propose(1n)!
    c.stabilize()
    for (const id of c.ids) assert.ok(c.appliedPayloads(id).includes(p))
  })
})
